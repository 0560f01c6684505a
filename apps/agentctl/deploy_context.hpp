#pragma once
// What the verbs that act on deployed jobs share: the state dir and its store, the runners
// (created on first use, one per target kind), one health prober, the progress observer and
// the deployer over all of them.

#include <map>
#include <memory>
#include <string>

#include "spec/job_spec.hpp"

namespace agentctl::state {
class StateStore;
}
namespace agentctl::runners {
class Runner;
class HealthProber;
}
namespace agentctl::deploy {
class AgentDeployer;
class Observer;
}

namespace agentctl::cli {

struct GlobalOptions;

/// The state dir --state-dir and the environment name, without creating it.
std::string state_dir_path(const GlobalOptions& globals);

/// True when `state_dir` already holds a database (read-only verbs and dry runs use this to
/// avoid creating one).
bool state_db_exists(const std::string& state_dir);

/// The agentctl-shim to launch agents with: $AGENTCTL_SHIM when set, else the one next to this
/// executable (or on PATH); empty when there is none.
std::string shim_path_for_process();

/// The progress observer of `--progress` (auto|console|plain|json; -q: quiet), writing to
/// stderr: auto is the console on a terminal, plain lines otherwise. Throws util::UsageError
/// for another value.
std::unique_ptr<deploy::Observer> make_progress_observer(const std::string& progress, const GlobalOptions& globals);

/// One agentctl invocation's view of a state dir and the machinery that acts on it.
class DeployContext {
public:
    /// Opens the state dir (created 0700 when missing) and its store; runners are dry-run
    /// stand-ins when `dry_run`.
    explicit DeployContext(const GlobalOptions& globals, bool dry_run = false);
    /// For verbs that only read or act on recorded jobs: the context when the state dir already
    /// has a database, else nullptr (nothing is created: there is simply no job yet).
    static std::unique_ptr<DeployContext> open_existing(const GlobalOptions& globals);
    ~DeployContext();
    DeployContext(const DeployContext&) = delete;
    DeployContext& operator=(const DeployContext&) = delete;

    /// The state dir in use.
    const std::string& state_dir() const { return m_state_dir; }
    /// The open store.
    state::StateStore& store() { return *m_store; }
    /// The runner for `target`, created on first use; throws util::OperationError for a target
    /// agentctl cannot run yet.
    runners::Runner& runner(spec::Target target);
    /// The prober every health check of this invocation goes through.
    runners::HealthProber& prober();

    /// From now on this context serves a long-lived watch (the monitor): its runners and prober
    /// are made anew to keep what makes repeated checks cheap (a kept connection and a pidfd per
    /// agent, within the open-files limit; it is not raised, as restarted agents inherit it).
    void start_watching();
    /// Throws util::OperationError when no agentctl-shim can be found (needed to start agents).
    void require_shim() const;
    /// A deployer over this context reporting to `observer` (which must outlive it); it polls
    /// interrupt_requested() between steps.
    std::unique_ptr<deploy::AgentDeployer> make_deployer(deploy::Observer& observer);

private:
    std::string m_state_dir;
    std::string m_shim_path;
    std::string m_known_hosts;
    std::string m_ssh_config;
    bool m_accept_new_host_keys = false;
    int m_parallel = 16;
    bool m_watch = false;
    bool m_dry_run = false;
    std::unique_ptr<state::StateStore> m_store;
    std::unique_ptr<runners::HealthProber> m_prober;
    std::map<spec::Target, std::unique_ptr<runners::Runner>> m_runners;
};

}  // namespace agentctl::cli
