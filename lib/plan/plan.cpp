#include "plan/plan.hpp"

namespace agentctl::plan {

const char* change_action_name(ChangeAction action) {
    switch (action) {
        case ChangeAction::create: return "create";
        case ChangeAction::replace: return "replace";
        case ChangeAction::keep: return "keep";
        case ChangeAction::remove: return "remove";
    }
    return "create";
}

const PlannedAgent* Plan::find(const std::string& id) const {
    for (const auto& agent : agents) {
        if (agent.spec.id == id) return &agent;
    }
    return nullptr;
}

}  // namespace agentctl::plan
