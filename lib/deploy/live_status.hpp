#pragma once
// The truth about recorded instances: identity-checked liveness from their runner plus one
// health probe each (all probes at once). Used by `status`, by `plan`'s diff and by deploy's
// keep/replace decision. Reads only: it never writes state.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runners/runner.hpp"
#include "state/state_store.hpp"

namespace agentctl::runners {
class HealthProber;
}

namespace agentctl::deploy {

/// Finds the runner for a target (created on first use).
using RunnerSource = std::function<runners::Runner&(spec::Target)>;

/// What one recorded instance is doing now.
struct LiveStatus {
    std::string instance;
    runners::Liveness liveness = runners::Liveness::unknown;
    /// healthy | running | starting | unhealthy | restarting | exited | failed | stopped | missing | unknown
    std::string status;
    std::optional<int> exit_status;
    std::string detail;  ///< the probe's detail or why the state is unknown
    runners::Inspection inspection;  ///< what the runner said (restarts, the current agent)
};

/// The runner handle of a recorded instance.
runners::InstanceHandle handle_of(const state::InstanceRecord& record);

/// The target kind recorded for an instance.
spec::Target target_of(const state::InstanceRecord& record);

/// Tells each runner which of `records` are about to be inspected, so that remote runners
/// inspect them in one round trip per host.
void prefetch_inspections(const std::vector<state::InstanceRecord>& records, const RunnerSource& runners);
/// The same for records held elsewhere (the monitor's cache).
void prefetch_inspections(const std::vector<const state::InstanceRecord*>& records, const RunnerSource& runners);

/// Observes every record (one inspect each, then every health probe at once); one result per
/// record, in order. With `probe_health` false, live instances are reported "running".
std::vector<LiveStatus> observe_instances(const std::vector<state::InstanceRecord>& records, const RunnerSource& runners,
                                          runners::HealthProber& prober, bool probe_health = true);

}  // namespace agentctl::deploy
