#include "deploy/change_set.hpp"

#include <algorithm>
#include <set>

namespace agentctl::deploy {

std::vector<InstanceChange> instance_changes(const plan::Plan& plan, const std::vector<state::InstanceRecord>& recorded,
                                             const std::vector<LiveStatus>& live, bool force_recreate) {
    std::map<std::string, std::size_t> by_instance;
    for (std::size_t i = 0; i < recorded.size(); ++i) by_instance[recorded[i].instance] = i;

    std::vector<InstanceChange> out;
    std::set<std::string> planned;
    for (const auto& id : plan.start_order) {
        const plan::PlannedAgent* agent = plan.find(id);
        if (!agent) continue;
        for (const auto& instance : agent->instances) {
            planned.insert(instance.name);
            InstanceChange change;
            change.agent = id;
            change.instance = instance.name;
            auto found = by_instance.find(instance.name);
            if (found == by_instance.end()) {
                change.action = plan::ChangeAction::create;
                out.push_back(change);
                continue;
            }
            const auto& record = recorded[found->second];
            const auto& now = live[found->second];
            change.recorded = record;
            change.was_alive = now.liveness == runners::Liveness::running;
            bool usable = now.status == "healthy" || now.status == "running";
            if (force_recreate) {
                change.action = plan::ChangeAction::replace;
                change.reason = "--force-recreate";
            } else if (record.spec_hash != agent->spec_hash) {
                change.action = plan::ChangeAction::replace;
                change.reason = "spec changed";
            } else if (!usable) {
                change.action = plan::ChangeAction::replace;
                change.reason = now.status;
            } else {
                change.action = plan::ChangeAction::keep;
            }
            out.push_back(change);
        }
    }
    // Recorded instances the file no longer has: latest stage first, as stop does.
    std::vector<const state::InstanceRecord*> removed;
    for (const auto& record : recorded) {
        if (!planned.count(record.instance)) removed.push_back(&record);
    }
    std::stable_sort(removed.begin(), removed.end(),
                     [](const auto* a, const auto* b) { return a->stage > b->stage; });
    for (const auto* record : removed) {
        InstanceChange change;
        change.agent = record->agent;
        change.instance = record->instance;
        change.action = plan::ChangeAction::remove;
        change.reason = "no longer in the job file";
        change.recorded = *record;
        auto found = by_instance.find(record->instance);
        change.was_alive = live[found->second].liveness == runners::Liveness::running;
        out.push_back(change);
    }
    return out;
}

std::vector<plan::Change> agent_changes(const plan::Plan& plan, const std::vector<InstanceChange>& changes) {
    struct Summary {
        bool any_recorded = false;
        bool all_keep = true;
        bool removed = false;
        std::string reason;
    };
    std::map<std::string, Summary> by_agent;
    for (const auto& change : changes) {
        Summary& summary = by_agent[change.agent];
        if (change.recorded) summary.any_recorded = true;
        if (change.action != plan::ChangeAction::keep) summary.all_keep = false;
        if (change.action == plan::ChangeAction::remove) summary.removed = true;
        if (summary.reason.empty() && !change.reason.empty()) summary.reason = change.reason;
    }
    std::vector<plan::Change> out;
    for (const auto& agent : plan.agents) {
        const Summary& summary = by_agent[agent.spec.id];
        plan::Change change;
        change.agent = agent.spec.id;
        if (summary.all_keep && summary.any_recorded) {
            change.action = plan::ChangeAction::keep;
        } else if (!summary.any_recorded) {
            change.action = plan::ChangeAction::create;
        } else {
            change.action = plan::ChangeAction::replace;
            change.reason = summary.reason;
        }
        out.push_back(change);
    }
    std::set<std::string> listed;
    for (const auto& change : changes) {
        if (change.action != plan::ChangeAction::remove || plan.find(change.agent) || !listed.insert(change.agent).second) continue;
        out.push_back({change.agent, plan::ChangeAction::remove, change.reason});
    }
    return out;
}

}  // namespace agentctl::deploy
