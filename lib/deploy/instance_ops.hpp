#pragma once
// The steps that act on instances — start a wave and wait for it, stop a recorded instance,
// roll back — each bracketed by state writes: the intent before the action, the outcome after.
// Shared by deploy, stop and restart.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "deploy/change_set.hpp"
#include "runners/launch_record.hpp"
#include "deploy/live_status.hpp"
#include "runners/runner.hpp"
#include "state/state_store.hpp"

namespace agentctl::runners {
class HealthProber;
}

namespace agentctl::deploy {

using runners::LaunchRecord;
using runners::read_launch_record;
using runners::write_launch_record;

class Observer;

/// One instance to start in a wave.
struct Slot {
    const InstanceChange* change = nullptr;  ///< may be null (restart)
    LaunchRecord launch;
    util::Millis deadline{0};
    bool old_stopped = false;
};

/// An instance started by this agentctl run (what a rollback must undo).
struct StartedInstance {
    LaunchRecord launch;
    runners::InstanceHandle handle;
};

/// Why a wave failed.
struct Failure {
    std::string instance;
    std::string error;
    std::string log_tail;
    bool interrupted = false;
};

/// The record state holds for a launched instance.
state::InstanceRecord record_of(const LaunchRecord& launch, const runners::InstanceHandle& handle, const std::string& status);

/// Instance steps over one state store and its runners.
class InstanceOps {
public:
    /// Binds the parts (all outlive it).
    InstanceOps(state::StateStore& store, RunnerSource runners, runners::HealthProber& prober, Observer& observer,
                std::function<bool()> interrupted);

    /// Starts `slots` (intent rows first, then one start call per target, then their pids), waits
    /// for all of them to be ready, and records the outcome. Appends every started instance to
    /// `started`. False at the first failure (see failure()) or on interruption. With
    /// `until_ready` false it returns once they run, recorded "starting" (the monitor's restarts:
    /// its own checks then find them ready, without holding up the other instances).
    bool start_and_wait(std::vector<Slot>& slots, std::vector<StartedInstance>& started, bool until_ready = true);

    /// Stops recorded instances together (the runner calls in parallel), with each one's launch
    /// record's stop settings (`timeout` overrides, `force` SIGKILLs at once): one state write
    /// marks them all "stopping" before, one records every outcome after. Outcomes in order.
    std::vector<runners::StopOutcome> stop_all(const std::vector<state::InstanceRecord>& records,
                                               std::optional<util::Millis> timeout, bool force, const std::string& why);

    /// Undoes a failed deploy: stops what it started (newest first) and deletes their rows unless
    /// they replaced a recorded instance, which is started again from its own launch record.
    /// True when every replaced instance came back ready.
    bool roll_back(const std::vector<StartedInstance>& started, const std::vector<state::InstanceRecord>& replaced);

    /// The failure of the last start_and_wait that returned false.
    const Failure& failure() const { return m_failure; }

private:
    std::string log_tail(runners::Runner& runner, const runners::InstanceHandle& handle);

    state::StateStore& m_store;
    RunnerSource m_runners;
    runners::HealthProber& m_prober;
    Observer& m_observer;
    std::function<bool()> m_interrupted;
    Failure m_failure;
};

}  // namespace agentctl::deploy
