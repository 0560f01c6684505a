#pragma once
// What a deploy changes, per instance and summed up per agent (DESIGN.md §5: an unchanged,
// alive and healthy instance is kept; a changed or dead one is replaced; a new one created; one
// no longer in the file removed).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "deploy/live_status.hpp"
#include "plan/plan.hpp"
#include "state/state_store.hpp"

namespace agentctl::deploy {

/// The decision for one planned or recorded instance.
struct InstanceChange {
    std::string agent;
    std::string instance;
    plan::ChangeAction action = plan::ChangeAction::create;
    std::string reason;
    std::optional<state::InstanceRecord> recorded;  ///< what state holds for it now, if anything
    bool was_alive = false;                         ///< the recorded instance was running
};

/// Every instance's decision: planned instances in start order, then removed ones.
std::vector<InstanceChange> instance_changes(const plan::Plan& plan, const std::vector<state::InstanceRecord>& recorded,
                                             const std::vector<LiveStatus>& live, bool force_recreate);

/// One Change per agent (plan file order, then removed agents): keep when every instance is kept,
/// create when none existed, remove when the agent left the file, else replace.
std::vector<plan::Change> agent_changes(const plan::Plan& plan, const std::vector<InstanceChange>& changes);

}  // namespace agentctl::deploy
