#pragma once
// What an instance's supervisor (the shim's restart policy) did on its own, with no agentctl
// running: exits, restarts, a new agent pid, max_restarts exhausted. The shim can only write
// its status file; whoever looks next (status, events, the monitor) turns what it says into
// the instance's row and one event per exit and restart.

#include <vector>

#include "deploy/live_status.hpp"
#include "runners/runner.hpp"
#include "state/state_store.hpp"

namespace agentctl::deploy {

/// The row as it should now be, and the events not yet recorded.
struct SupervisorChanges {
    bool changed = false;
    state::InstanceRecord record;
    std::vector<state::EventRecord> events;
};

/// Compares `record` with `inspection` (no I/O): a new agent pid, the restart count, the last
/// exit status, `failed` once max_restarts ran out, and one event per exit numbered past
/// `record.exits_recorded` and per restart numbered past `record.restarts`.
SupervisorChanges supervisor_changes(const state::InstanceRecord& record, const runners::Inspection& inspection);

/// A cheap precheck of supervisor_changes (no copies): false when `inspection` cannot change
/// `record`, which is what nearly every check of a monitor finds.
bool supervisor_may_have_news(const state::InstanceRecord& record, const runners::Inspection& inspection);

/// Records supervisor_changes for every pair in one transaction; a row replaced meanwhile (a
/// different shim now) is left alone. Returns the records as they now are, in order.
std::vector<state::InstanceRecord> record_supervisor_changes(state::StateStore& store,
                                                             std::vector<state::InstanceRecord> records,
                                                             const std::vector<runners::Inspection>& inspections);

/// Inspects every record (identity-checked) and records what their supervisors did; returns
/// the records as they now are.
std::vector<state::InstanceRecord> sync_supervisors(state::StateStore& store,
                                                    const std::vector<state::InstanceRecord>& records,
                                                    const RunnerSource& runners);

/// "exited with status 137 (SIGKILL)": an exit status in words.
std::string describe_exit(int exit_status);

}  // namespace agentctl::deploy
