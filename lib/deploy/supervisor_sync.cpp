#include "deploy/supervisor_sync.hpp"

#include <csignal>
#include <algorithm>
#include <cstring>

namespace agentctl::deploy {
namespace {

bool same_process(const util::ProcessRef& a, const util::ProcessRef& b) {
    return a.pid == b.pid && a.start_time == b.start_time;
}

state::EventRecord event(const state::InstanceRecord& record, const std::string& kind, const std::string& message,
                         const std::optional<runners::Clock::time_point>& time) {
    state::EventRecord out;
    out.time = time.value_or(state::Clock::time_point{});
    out.job = record.job;
    out.agent = record.agent;
    out.instance = record.instance;
    out.kind = kind;
    out.message = message;
    return out;
}

bool stopped_on_purpose(const std::string& status) { return status == "stopped" || status == "stopping"; }

}  // namespace

// False only when none of the facts supervisor_changes compares moved.
bool supervisor_may_have_news(const state::InstanceRecord& record, const runners::Inspection& inspection) {
    for (const auto& exit : inspection.exits) {
        if (exit.number > record.exits_recorded) return true;
    }
    return inspection.restarts != record.shim_restarts || inspection.gave_up ||
           (inspection.last_exit_status && inspection.last_exit_status != record.exit_status) ||
           (inspection.liveness == runners::Liveness::running && !inspection.agent.empty() &&
            !same_process(inspection.agent, record.agent_process));
}

std::string describe_exit(int exit_status) {
    std::string text = "exited with status " + std::to_string(exit_status);
    if (exit_status > 128 && exit_status < 128 + 65) {
        const char* name = ::sigabbrev_np(exit_status - 128);
        if (name) text += std::string(" (SIG") + name + ")";
    }
    return text;
}

SupervisorChanges supervisor_changes(const state::InstanceRecord& record, const runners::Inspection& inspection) {
    SupervisorChanges changes;
    changes.record = record;
    state::InstanceRecord& updated = changes.record;

    int newest_exit = record.exits_recorded;
    for (const auto& exit : inspection.exits) {
        if (exit.number <= record.exits_recorded) continue;
        newest_exit = std::max(newest_exit, exit.number);
        std::string message = describe_exit(exit.exit_status);
        if (exit.action == "stop") message += " (stop requested)";
        if (exit.action == "restart") message += "; restarting";
        changes.events.push_back(event(record, "instance-exited", message, exit.exited_at));
        if (exit.action == "give-up") {
            changes.events.push_back(event(record, "instance-failed",
                                           "max_restarts exhausted after " + std::to_string(inspection.restarts) +
                                               " restart(s); not restarted",
                                           exit.exited_at));
        }
    }
    // The shim numbers its restarts from the newest backwards: the newest is `inspection.restarts`.
    // Those past `shim_restarts` are new; each adds one to the instance's total `restarts`
    // (which also counts the monitor's restarts, made by new shims).
    const int new_restarts = std::max(0, inspection.restarts - record.shim_restarts);
    int number = inspection.restarts;
    std::vector<state::EventRecord> restarts;
    for (auto it = inspection.exits.rbegin(); it != inspection.exits.rend(); ++it) {
        if (!it->restarted_at) continue;
        if (number > record.shim_restarts) {
            int total = record.restarts + (number - record.shim_restarts);
            std::string message = it->new_pid > 0 ? "restarted by its shim as pid " + std::to_string(it->new_pid)
                                                  : "restart by its shim failed to start the agent";
            restarts.insert(restarts.begin(), event(record, "instance-restarted",
                                                    message + " (restart " + std::to_string(total) + ")",
                                                    it->restarted_at));
        }
        --number;
    }
    changes.events.insert(changes.events.end(), restarts.begin(), restarts.end());

    updated.exits_recorded = newest_exit;
    updated.restarts = record.restarts + new_restarts;
    updated.shim_restarts = std::max(record.shim_restarts, inspection.restarts);
    if (inspection.last_exit_status) updated.exit_status = inspection.last_exit_status;
    if (inspection.liveness == runners::Liveness::running && !inspection.agent.empty() &&
        !same_process(inspection.agent, record.agent_process)) {
        updated.agent_process = inspection.agent;
        if (!stopped_on_purpose(record.status)) updated.status = "running";
    }
    if (inspection.gave_up && !stopped_on_purpose(record.status)) {
        updated.status = "failed";
        updated.last_error = "max_restarts exhausted";
    }
    changes.changed = !changes.events.empty() || updated.exits_recorded != record.exits_recorded ||
                      updated.restarts != record.restarts || updated.shim_restarts != record.shim_restarts ||
                      updated.exit_status != record.exit_status ||
                      !same_process(updated.agent_process, record.agent_process) || updated.status != record.status;
    if (changes.changed) updated.updated_at = state::Clock::now();
    return changes;
}

std::vector<state::InstanceRecord> record_supervisor_changes(state::StateStore& store,
                                                             std::vector<state::InstanceRecord> records,
                                                             const std::vector<runners::Inspection>& inspections) {
    bool any = false;
    for (std::size_t i = 0; i < records.size() && i < inspections.size() && !any; ++i) {
        any = supervisor_may_have_news(records[i], inspections[i]) && supervisor_changes(records[i], inspections[i]).changed;
    }
    if (!any) return records;
    auto tx = store.begin();
    // Re-read under the write lock: a deploy or stop may have replaced a row since it was read.
    std::vector<state::InstanceRecord> current;
    std::string current_job;
    for (std::size_t i = 0; i < records.size() && i < inspections.size(); ++i) {
        if (records[i].job != current_job) {
            current_job = records[i].job;
            current = store.instances(current_job);
        }
        const state::InstanceRecord* now = nullptr;
        for (const auto& row : current) {
            if (row.instance == records[i].instance) now = &row;
        }
        if (!now || !same_process(now->shim, records[i].shim)) continue;
        SupervisorChanges changes = supervisor_changes(*now, inspections[i]);
        if (!changes.changed) continue;
        tx->upsert_instance(changes.record);
        for (const auto& row : changes.events) tx->add_event(row);
        records[i] = changes.record;
    }
    tx->commit();
    return records;
}

std::vector<state::InstanceRecord> sync_supervisors(state::StateStore& store,
                                                    const std::vector<state::InstanceRecord>& records,
                                                    const RunnerSource& runners) {
    std::vector<runners::Inspection> inspections;
    for (const auto& record : records) inspections.push_back(runners(target_of(record)).inspect(handle_of(record)));
    return record_supervisor_changes(store, records, inspections);
}

}  // namespace agentctl::deploy
