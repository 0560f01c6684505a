#pragma once
// AgentDeployer: executes a Plan through runners, wave by wave, waiting for readiness,
// recording every step in the state before it acts and after, and rolling back on failure
// (DESIGN.md §4, §5). It knows nothing of topology types: the Plan says what to do.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "plan/plan.hpp"
#include "runners/runner.hpp"
#include "util/duration.hpp"

namespace agentctl::state {
class StateStore;
}
namespace agentctl::runners {
class HealthProber;
}

namespace agentctl::deploy {

class Observer;

enum class OnFailure { rollback, keep };

/// How to deploy.
struct DeployOptions {
    std::optional<util::Millis> timeout;  ///< --timeout: replaces every agent's readiness deadline
    OnFailure on_failure = OnFailure::rollback;
    bool force_recreate = false;          ///< replace every agent, changed or not
    bool force = false;                   ///< deploy even if the job was deployed from another file
    util::Millis lock_wait{0};            ///< --lock-wait
    bool skip_preflight = false;          ///< --skip-preflight: no runner preflight before the first wave
};

/// The job file a plan came from, as recorded in state (never interpolated: no secrets).
struct JobSource {
    std::string file;       ///< absolute path
    std::string spec_text;  ///< the file's text
};

/// The outcome of a deploy. A failed agent is a value, not an exception.
struct DeployResult {
    bool ok = false;
    bool interrupted = false;      ///< SIGINT: the caller exits 130
    bool rolled_back = false;
    int revision = 0;
    std::vector<plan::Change> changes;  ///< what was done per agent
    std::string failed_instance;   ///< the first instance that failed, if any
    std::string error;             ///< why it failed
    std::string log_tail;          ///< its last log lines
    /// Why preflight refused the deploy (nothing was started or recorded); empty otherwise.
    std::vector<runners::PreflightProblem> preflight_problems;
};

/// Which instances of a job to stop, and how.
struct StopRequest {
    std::string job;
    std::vector<std::string> only;  ///< agent ids or instance names; empty: the whole job
    std::optional<util::Millis> timeout;  ///< --timeout: replaces each agent's stop.timeout
    bool force = false;             ///< SIGKILL at once
    util::Millis lock_wait{0};
};

/// The outcome of a stop.
struct StopResult {
    bool ok = true;
    bool interrupted = false;
    std::vector<std::string> stopped;   ///< instances stopped
    std::vector<std::string> refused;   ///< identity no longer matched: left alone
    std::vector<std::string> errors;
};

/// Creates runners on first use, one per target kind.
using RunnerFactory = std::function<runners::Runner&(spec::Target)>;

class DeployRun;
class StopRun;

/// The deployer; one per agentctl invocation.
class AgentDeployer {
public:
    /// Builds a deployer over the state (and its directory, for run dirs and logs), a runner
    /// source, a prober and an observer (all outlive it); `interrupted` is polled between steps.
    AgentDeployer(state::StateStore& store, std::string state_dir, RunnerFactory runners,
                  runners::HealthProber& prober, Observer& observer, std::function<bool()> interrupted);

    /// The changes a deploy of `plan` would make against the recorded, live state (the `plan`
    /// verb's diff): keep (same hash, alive, healthy), create, replace (with the reason), remove.
    std::vector<plan::Change> changes(const plan::Plan& plan, bool force_recreate);

    /// Deploys `plan` (resolved with this run's id) from `source`. Takes the job lock; runs each
    /// runner's preflight over the instances it would start and, when one finds a problem,
    /// returns them in the result before anything is started or recorded. Throws
    /// state::LockedError when it is held, util::OperationError when the job belongs to another
    /// file (without `force`). Everything else is reported in the result.
    DeployResult deploy(const plan::Plan& plan, const JobSource& source, const DeployOptions& options);

    /// Stops instances in reverse stage order and records it. Throws util::NotFoundError for an
    /// unknown job or instance.
    StopResult stop(const StopRequest& request);

    /// Restarts instances (stop, then start again from their launch records, waiting for
    /// readiness), in stage order. Same selection rules and errors as stop.
    StopResult restart(const StopRequest& request);

private:
    friend class DeployRun;
    friend class StopRun;
    state::StateStore& m_store;
    std::string m_state_dir;
    RunnerFactory m_runners;
    runners::HealthProber& m_prober;
    Observer& m_observer;
    std::function<bool()> m_interrupted;
};

}  // namespace agentctl::deploy
