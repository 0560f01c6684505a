// AgentDeployer::stop and ::restart: act on the instances a job already has, from their
// records and launch records alone (no job file needed).

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "deploy/agent_deployer.hpp"
#include "deploy/instance_ops.hpp"
#include "runners/launch_record.hpp"
#include "deploy/observer.hpp"
#include "state/state_store.hpp"
#include "util/errors.hpp"
#include "util/text.hpp"

namespace agentctl::deploy {
namespace {

// The instances `only` names (agent ids or instance names; empty: all), or NotFoundError.
std::vector<state::InstanceRecord> select_instances(const std::string& job, const std::vector<state::InstanceRecord>& rows,
                                                    const std::vector<std::string>& only) {
    if (only.empty()) return rows;
    std::vector<std::string> names;
    for (const auto& row : rows) {
        names.push_back(row.instance);
        if (row.agent != row.instance) names.push_back(row.agent);
    }
    std::set<std::string> wanted(only.begin(), only.end());
    for (const auto& name : only) {
        if (std::find(names.begin(), names.end(), name) != names.end()) continue;
        std::string hint = util::did_you_mean(name, names);
        throw util::NotFoundError("job '" + job + "' has no agent or instance '" + name + "'" +
                                  (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
    }
    std::vector<state::InstanceRecord> out;
    for (const auto& row : rows) {
        if (wanted.count(row.instance) || wanted.count(row.agent)) out.push_back(row);
    }
    return out;
}

// Groups records by stage: latest stage first for stopping, earliest first for starting.
std::vector<std::vector<state::InstanceRecord>> by_stage(const std::vector<state::InstanceRecord>& records, bool reverse) {
    std::map<int, std::vector<state::InstanceRecord>> groups;
    for (const auto& record : records) groups[record.stage].push_back(record);
    std::vector<std::vector<state::InstanceRecord>> out;
    for (auto& [stage, group] : groups) out.push_back(std::move(group));
    if (reverse) std::reverse(out.begin(), out.end());
    return out;
}

state::JobRecord require_job(state::StateStore& store, const std::string& job) {
    auto record = store.job(job);
    if (!record) throw util::NotFoundError("no job named '" + job + "' (see agentctl list)");
    return *record;
}

}  // namespace

StopResult AgentDeployer::stop(const StopRequest& request) {
    auto started_at = std::chrono::steady_clock::now();
    state::JobLock lock = m_store.lock_job(request.job, "stop", request.lock_wait);
    state::JobRecord job = require_job(m_store, request.job);
    auto selected = select_instances(request.job, m_store.instances(request.job), request.only);
    const bool whole_job = request.only.empty();

    m_observer.begin("stop", request.job, job.revision);
    if (whole_job) {
        auto tx = m_store.begin();
        job.desired = "stopped";
        job.status = "stopping";
        job.updated_at = state::Clock::now();
        tx->upsert_job(job);
        tx->add_event({0, {}, request.job, "", "", "stop-started", ""});
        tx->commit();
    }

    InstanceOps ops(m_store, m_runners, m_prober, m_observer, m_interrupted);
    StopResult result;
    for (const auto& group : by_stage(selected, true)) {
        auto outcomes = ops.stop_all(group, request.timeout, request.force, "stop requested");
        for (std::size_t i = 0; i < group.size(); ++i) {
            if (outcomes[i].refused) {
                result.refused.push_back(group[i].instance);
                result.ok = false;
            } else if (outcomes[i].stopped) {
                result.stopped.push_back(group[i].instance);
            } else {
                result.errors.push_back(group[i].instance + ": " + outcomes[i].message);
                result.ok = false;
            }
        }
    }

    // A whole job stopped: the runners drop what they made for it (the Docker job network).
    if (whole_job && result.ok) {
        std::set<spec::Target> targets;
        for (const auto& record : selected) targets.insert(target_of(record));
        for (spec::Target target : targets) {
            try {
                m_runners(target).release_job(request.job);
            } catch (const std::exception& error) {
                result.errors.push_back(std::string("releasing the job's resources: ") + error.what());
            }
        }
    }

    auto tx = m_store.begin();
    job = require_job(m_store, request.job);
    if (whole_job) job.status = result.ok ? "stopped" : "failed";
    else if (job.status == "running") job.status = "degraded";
    job.updated_at = state::Clock::now();
    tx->upsert_job(job);
    tx->add_event({0, {}, request.job, "", "", result.ok ? "stop-succeeded" : "stop-failed",
                   std::to_string(result.stopped.size()) + " stopped"});
    tx->commit();

    auto took = std::chrono::duration_cast<util::Millis>(std::chrono::steady_clock::now() - started_at);
    m_observer.end(result.ok, result.ok ? "Stopped " + std::to_string(result.stopped.size()) + " instance(s) of " + request.job
                                        : "Stop of " + request.job + " incomplete",
                   took);
    return result;
}

StopResult AgentDeployer::restart(const StopRequest& request) {
    auto started_at = std::chrono::steady_clock::now();
    state::JobLock lock = m_store.lock_job(request.job, "restart", request.lock_wait);
    state::JobRecord job = require_job(m_store, request.job);
    auto selected = select_instances(request.job, m_store.instances(request.job), request.only);

    m_observer.begin("restart", request.job, job.revision);
    InstanceOps ops(m_store, m_runners, m_prober, m_observer, m_interrupted);
    StopResult result;
    for (const auto& group : by_stage(selected, true)) {
        auto outcomes = ops.stop_all(group, request.timeout, request.force, "restart requested");
        for (std::size_t i = 0; i < group.size(); ++i) {
            if (outcomes[i].refused) result.refused.push_back(group[i].instance);
        }
    }
    for (const auto& group : by_stage(selected, false)) {
        std::vector<Slot> slots;
        for (const auto& record : group) {
            if (std::find(result.refused.begin(), result.refused.end(), record.instance) != result.refused.end()) continue;
            auto launch = read_launch_record(record.run_dir);
            if (!launch) {
                result.errors.push_back(record.instance + ": its launch record is gone; deploy the job again");
                continue;
            }
            Slot slot;
            slot.launch = *launch;
            slot.deadline = launch->health.start_period + launch->health.interval * launch->health.retries;
            if (slot.deadline < util::Millis(10000)) slot.deadline = util::Millis(10000);
            if (request.timeout) slot.deadline = *request.timeout;
            slots.push_back(std::move(slot));
        }
        std::vector<StartedInstance> started;
        if (!slots.empty() && !ops.start_and_wait(slots, started)) {
            const Failure& failure = ops.failure();
            result.errors.push_back(failure.instance + ": " + failure.error);
            if (!failure.log_tail.empty()) m_observer.note("last lines of its log:\n" + failure.log_tail);
            result.interrupted = failure.interrupted;
            break;
        }
        for (const auto& instance : started) result.stopped.push_back(instance.launch.request.instance);
    }
    result.ok = result.errors.empty() && result.refused.empty();

    auto tx = m_store.begin();
    job = require_job(m_store, request.job);
    job.status = result.ok ? "running" : "degraded";
    job.updated_at = state::Clock::now();
    tx->upsert_job(job);
    tx->add_event({0, {}, request.job, "", "", result.ok ? "restart-succeeded" : "restart-failed",
                   util::join(result.errors, "; ")});
    tx->commit();

    auto took = std::chrono::duration_cast<util::Millis>(std::chrono::steady_clock::now() - started_at);
    m_observer.end(result.ok, result.ok ? "Restarted " + std::to_string(result.stopped.size()) + " instance(s) of " + request.job
                                        : "Restart of " + request.job + " failed",
                   took);
    return result;
}

}  // namespace agentctl::deploy
