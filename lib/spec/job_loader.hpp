#pragma once
// JobLoader: job file text -> JobSpec, with every problem of the file collected in one pass.

#include <optional>
#include <string>
#include <vector>

#include "spec/diagnostic.hpp"
#include "spec/interpolation.hpp"
#include "spec/job_spec.hpp"
#include "spec/yaml_tree.hpp"

namespace agentctl::spec {

/// How to load: where ${VAR} values come from, and how strict to be.
struct LoadOptions {
    EnvLookup env = process_environment();
    bool strict = false;        ///< unknown keys are errors instead of warnings
    YamlLimits limits;
    std::string name_override;  ///< `deploy --name`: replaces job.name (validated the same way)
};

/// The outcome of loading: a spec when there was no error, and every diagnostic
/// (errors, warnings, notes) sorted by position.
struct LoadResult {
    std::optional<JobSpec> spec;
    std::vector<Diagnostic> diagnostics;

    /// True when no diagnostic is an error.
    bool ok() const { return spec.has_value(); }
};

/// Reads and loads the job file at `path` (I/O errors become diagnostics at 0:0).
LoadResult load_job_file(const std::string& path, const LoadOptions& options = {});

/// Loads job text as if read from `path` (env_file and relative paths resolve from its directory).
LoadResult load_job_text(const std::string& text, const std::string& path, const LoadOptions& options = {});

/// Like load_job_file, but throws SpecError carrying every diagnostic when there is an error.
JobSpec load_job_or_throw(const std::string& path, const LoadOptions& options = {});

}  // namespace agentctl::spec
