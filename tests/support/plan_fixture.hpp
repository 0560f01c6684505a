#pragma once
// Plans for deploy-layer tests: a job text loaded and resolved with a fixed hash key and run id,
// so hashes and JOB_ID are the same on every run.

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "plan/plan.hpp"
#include "plan/topology_resolver.hpp"
#include "spec/job_loader.hpp"

namespace agentctl::test {

/// The plan of `yaml` read as if from `path` (no environment variables set); fails the test,
/// showing every diagnostic, when the job does not load or resolve.
inline plan::Plan plan_of(const std::string& yaml, const std::string& path) {
    spec::LoadOptions options;
    options.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
    auto loaded = spec::load_job_text(yaml, path, options);
    std::string problems;
    for (const auto& diagnostic : loaded.diagnostics) problems += spec::format_diagnostic(diagnostic) + "\n";
    INFO(problems);
    REQUIRE(loaded.ok());
    plan::ResolveOptions resolve;
    resolve.hash_key = "test";
    resolve.run_id = "job-20260101000000";
    auto resolved = plan::resolve_plan(*loaded.spec, resolve);
    REQUIRE(resolved.plan);
    return *resolved.plan;
}

/// Changes as one comparable line: "agent=action(reason) ...".
inline std::string describe(const std::vector<plan::Change>& changes) {
    std::string out;
    for (const auto& change : changes) {
        out += change.agent + "=" + plan::change_action_name(change.action);
        if (!change.reason.empty()) out += "(" + change.reason + ")";
        out += " ";
    }
    return out;
}

}  // namespace agentctl::test
