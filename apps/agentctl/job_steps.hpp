#pragma once
// The steps verbs share on the way from a job file to a plan: load, resolve, and gather what
// the resolver needs from outside (the ssh_config alias table, the state dir's hash key).

#include <string>

#include "plan/plan.hpp"
#include "plan/topology_resolver.hpp"
#include "spec/job_loader.hpp"
#include "spec/job_spec.hpp"
#include "util/ssh_config.hpp"

namespace agentctl::cli {

class Console;
struct GlobalOptions;

/// Loads the job file at `path`; prints its warnings to stderr unless `quiet`; throws
/// spec::SpecError carrying every diagnostic when the file has an error.
spec::JobSpec load_job(const std::string& path, const spec::LoadOptions& options, const Console& console,
                       bool quiet);

/// Resolves `job` into a plan; prints resolver warnings unless `quiet`; throws spec::SpecError
/// carrying every diagnostic when the topology is unsound (a cycle, a missing advertise).
plan::Plan resolve_job(const spec::JobSpec& job, const plan::ResolveOptions& options, const Console& console,
                       bool quiet);

/// The ssh_config to resolve host aliases with: --ssh-config / $AGENTCTL_SSH_CONFIG when given
/// (a file that cannot be read is a util::UsageError), else ~/.ssh/config (absent: empty).
util::SshConfig load_ssh_config(const GlobalOptions& globals);

/// The state dir from --state-dir and the environment, created 0700 if needed.
std::string open_state_dir(const GlobalOptions& globals);

/// Resolver inputs: the ssh_config, and the state dir's hash key when `with_hash_key`
/// (which creates the state dir); no run id.
plan::ResolveOptions resolve_options_for(const GlobalOptions& globals, bool with_hash_key);

}  // namespace agentctl::cli
