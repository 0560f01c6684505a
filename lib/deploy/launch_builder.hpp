#pragma once
// From a planned instance to what a runner launches: argv (module agents run as
// `<python> -m <module>`; `$(VAR)` in command expanded from the agent's final environment),
// the workdir (relative to the job file), and the per-instance run dir and log path.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "runners/launch_record.hpp"
#include "plan/plan.hpp"

namespace agentctl::deploy {

using runners::LaunchRecord;
using runners::read_launch_record;
using runners::write_launch_record;

/// Looks a variable up; nullopt when unset.
using VarLookup = std::function<std::optional<std::string>(const std::string&)>;

/// Expands Kubernetes-style `$(VAR)` references: a defined VAR is replaced by its value, an
/// undefined one is left as written; `$$(` becomes a literal `$(`.
std::string expand_launch_refs(std::string_view arg, const VarLookup& lookup);

/// Where one deploy puts its files.
struct LaunchPaths {
    std::string state_dir;
    std::string job_dir;  ///< absolute directory of the job file
};

/// The run dir of an instance for one revision: <state>/run/<job>/<instance>/r<revision>.
std::string run_dir_of(const std::string& state_dir, const std::string& job, const std::string& instance, int revision);
/// The log file of an instance: <state>/logs/<job>/<instance>.log (shared by its revisions).
std::string log_path_of(const std::string& state_dir, const std::string& job, const std::string& instance);

/// Builds the launch record of `instance` of `agent` for `revision`. `inherited` is the
/// environment agentctl runs in, consulted (under the job-defined environment) for `$(VAR)`.
LaunchRecord build_launch(const plan::Plan& plan, const plan::PlannedAgent& agent, const plan::PlannedInstance& instance,
                          const LaunchPaths& paths, int revision, const VarLookup& inherited);

}  // namespace agentctl::deploy
