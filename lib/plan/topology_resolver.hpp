#pragma once
// TopologyResolver: JobSpec -> Plan. Pure: no I/O; what it needs from outside is handed in.

#include <optional>
#include <string>
#include <vector>

#include "plan/plan.hpp"
#include "spec/diagnostic.hpp"
#include "spec/job_spec.hpp"
#include "util/ssh_config.hpp"

namespace agentctl::plan {

/// Inputs from outside the job file.
struct ResolveOptions {
    util::SshConfig ssh_config;  ///< ~/.ssh/config (or --ssh-config), already parsed
    std::string hash_key;        ///< the state dir's secret key for spec hashes
    std::string run_id;          ///< JOB_ID for the environment; empty: JOB_ID left out
};

/// A plan when the topology is sound, and the graph-level problems found: order cycles
/// (with their path "a -> b -> c -> a"), and remote agents that connect to a localhost
/// agent that has no `advertise` address.
struct ResolveResult {
    std::optional<Plan> plan;
    std::vector<spec::Diagnostic> diagnostics;
};

/// Resolves a validated job. Output is deterministic for the same inputs.
ResolveResult resolve_plan(const spec::JobSpec& job, const ResolveOptions& options);

/// A run id for `job` at the current UTC time: "<job>-<yyyymmddHHMMSS>".
std::string make_run_id(const std::string& job);

}  // namespace agentctl::plan
