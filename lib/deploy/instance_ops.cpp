#include "deploy/instance_ops.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <thread>

#include "deploy/observer.hpp"
#include "deploy/readiness.hpp"
#include "runners/health_probe.hpp"
#include "util/process.hpp"

namespace agentctl::deploy {

namespace {
// How many stops run side by side; each mostly waits for its process to exit.
constexpr std::size_t k_parallel_stops = 32;
}  // namespace

state::InstanceRecord record_of(const LaunchRecord& launch, const runners::InstanceHandle& handle, const std::string& status) {
    const runners::LaunchRequest& request = launch.request;
    state::InstanceRecord record;
    record.job = request.job;
    record.instance = request.instance;
    record.agent = request.agent;
    record.host = request.host;
    record.target = spec::target_name(request.target);
    record.revision = launch.revision;
    record.stage = launch.stage;
    record.shim = handle.shim;
    record.agent_process = handle.agent;
    record.boot_id = util::boot_id();
    record.container_id = handle.container_id;
    record.url = launch.url;
    record.spec_hash = launch.request.spec_hash;
    record.health_check = runners::health_check_text(launch.health);
    record.status = status;
    record.run_dir = request.run_dir;
    record.log_path = request.log_path;
    record.updated_at = state::Clock::now();
    return record;
}

InstanceOps::InstanceOps(state::StateStore& store, RunnerSource runners, runners::HealthProber& prober, Observer& observer,
                         std::function<bool()> interrupted)
    : m_store(store), m_runners(std::move(runners)), m_prober(prober), m_observer(observer), m_interrupted(std::move(interrupted)) {}

std::string InstanceOps::log_tail(runners::Runner& runner, const runners::InstanceHandle& handle) {
    std::string out;
    runners::LogOptions options;
    options.tail = k_ready_log_tail;
    try {
        runner.read_logs(handle, options, [&out](const runners::LogLine& line) { out += "  | " + line.text + "\n"; });
    } catch (const std::exception&) {
        // A missing log is no reason to hide the failure itself.
    }
    return out;
}

bool InstanceOps::start_and_wait(std::vector<Slot>& slots, std::vector<StartedInstance>& started, bool until_ready) {
    // Intent: rows (and launch records) exist before any process does, so a crash from here on
    // leaves something `status` and the next deploy can find through the run dir.
    {
        auto tx = m_store.begin();
        for (auto& slot : slots) {
            write_launch_record(slot.launch);
            tx->upsert_instance(record_of(slot.launch, {}, "starting"));
            const auto& request = slot.launch.request;
            tx->add_event({0, {}, request.job, request.agent, request.instance, "instance-starting",
                           "revision " + std::to_string(slot.launch.revision)});
            m_observer.instance(slot.launch.request.instance, InstanceStep::starting, "");
        }
        tx->commit();
    }

    // One start call per target kind: a runner batches its own hosts.
    std::map<spec::Target, std::vector<std::size_t>> by_target;
    for (std::size_t i = 0; i < slots.size(); ++i) by_target[slots[i].launch.request.target].push_back(i);
    std::vector<runners::StartOutcome> outcomes(slots.size());
    for (const auto& [target, indexes] : by_target) {
        std::vector<runners::LaunchRequest> requests;
        for (std::size_t i : indexes) requests.push_back(slots[i].launch.request);
        auto results = m_runners(target).start(requests);
        for (std::size_t k = 0; k < indexes.size(); ++k) outcomes[indexes[k]] = results[k];
    }

    bool all_started = true;
    {
        auto tx = m_store.begin();
        for (std::size_t i = 0; i < slots.size(); ++i) {
            const auto& outcome = outcomes[i];
            auto record = record_of(slots[i].launch, outcome.handle, outcome.started ? "starting" : "failed");
            const auto& request = slots[i].launch.request;
            if (!outcome.started) {
                record.exit_status = outcome.exit_status;
                record.last_error = outcome.error;
                tx->add_event({0, {}, request.job, request.agent, request.instance, "instance-failed", outcome.error});
            } else {
                started.push_back({slots[i].launch, outcome.handle});
                std::string where = outcome.handle.container_id.empty()
                                        ? "pid " + std::to_string(outcome.handle.agent.pid)
                                        : "container " + outcome.handle.container_id.substr(0, 12);
                tx->add_event({0, {}, request.job, request.agent, request.instance, "instance-started", where});
            }
            tx->upsert_instance(record);
        }
        tx->commit();
    }
    for (std::size_t i = 0; i < slots.size(); ++i) {
        if (outcomes[i].started) continue;
        all_started = false;
        const auto& request = slots[i].launch.request;
        m_observer.instance(request.instance, InstanceStep::failed, outcomes[i].error);
        if (m_failure.instance.empty()) {
            m_failure.instance = request.instance;
            m_failure.error = outcomes[i].timed_out ? "start timed out: " + outcomes[i].error : outcomes[i].error;
            m_failure.log_tail = log_tail(m_runners(request.target), outcomes[i].handle);
        }
    }
    if (!all_started) return false;
    if (!until_ready) return true;

    std::vector<ReadyTarget> targets;
    for (std::size_t i = 0; i < slots.size(); ++i) {
        const auto& launch = slots[i].launch;
        ReadyTarget target;
        target.instance = launch.request.instance;
        target.runner = &m_runners(launch.request.target);
        target.handle = outcomes[i].handle;
        target.health = launch.health;
        target.probe_url = launch.url;
        target.deadline = slots[i].deadline;
        targets.push_back(std::move(target));
    }
    auto on_done = [this, &targets](std::size_t index, const ReadyOutcome& outcome) {
        std::string took = std::to_string(outcome.took.count()) + "ms";
        if (outcome.state == ReadyState::ready) {
            m_observer.instance(targets[index].instance, InstanceStep::ready, "in " + took);
        } else if (outcome.state != ReadyState::interrupted) {
            m_observer.instance(targets[index].instance, InstanceStep::failed, outcome.detail);
        }
    };
    auto ready = wait_ready(targets, m_prober, m_interrupted, on_done);

    bool all_ready = true;
    auto tx = m_store.begin();
    for (std::size_t i = 0; i < slots.size(); ++i) {
        const auto& outcome = ready[i];
        const auto& launch = slots[i].launch;
        bool is_ready = outcome.state == ReadyState::ready;
        std::string status = is_ready ? (launch.health.kind == spec::HealthKind::none ? "running" : "healthy")
                                      : (outcome.state == ReadyState::exited ? "exited" : "failed");
        if (outcome.state == ReadyState::interrupted) status = "starting";
        auto record = record_of(launch, outcomes[i].handle, status);
        record.exit_status = outcome.exit_status;
        record.last_health = outcome.detail;
        if (!is_ready) record.last_error = outcome.detail;
        tx->upsert_instance(record);
        if (is_ready) {
            tx->add_event({0, {}, launch.request.job, launch.request.agent, launch.request.instance, "instance-ready", outcome.detail});
            continue;
        }
        all_ready = false;
        if (outcome.state == ReadyState::interrupted) {
            m_failure.interrupted = true;
            if (m_failure.error.empty()) m_failure.error = "interrupted";
            continue;
        }
        tx->add_event({0, {}, launch.request.job, launch.request.agent, launch.request.instance, "instance-failed", outcome.detail});
        if (m_failure.instance.empty()) {
            m_failure.instance = launch.request.instance;
            m_failure.error = outcome.detail;
            for (const auto& line : outcome.log_tail) m_failure.log_tail += "  | " + line + "\n";
        }
    }
    tx->commit();
    return all_ready;
}

std::vector<runners::StopOutcome> InstanceOps::stop_all(const std::vector<state::InstanceRecord>& records,
                                                        std::optional<util::Millis> timeout, bool force,
                                                        const std::string& why) {
    if (records.empty()) return {};
    std::vector<runners::StopOptions> options(records.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
        if (auto launch = read_launch_record(records[i].run_dir)) {
            options[i].signal = launch->request.stop.signal;
            options[i].timeout = launch->request.stop.timeout;
        }
        if (timeout) options[i].timeout = *timeout;
        options[i].force = force;
    }
    {
        auto tx = m_store.begin();
        for (const auto& record : records) {
            state::InstanceRecord stopping = record;
            stopping.status = "stopping";
            stopping.updated_at = state::Clock::now();
            tx->upsert_instance(stopping);
        }
        tx->commit();
    }
    for (const auto& record : records) m_observer.instance(record.instance, InstanceStep::stopping, why);

    // Each stop may wait its whole timeout: run them side by side, a bounded number at once.
    std::vector<runners::StopOutcome> outcomes(records.size());
    std::vector<std::optional<int>> exit_statuses(records.size());
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
        for (std::size_t i = next++; i < records.size(); i = next++) {
            runners::Runner& runner = m_runners(target_of(records[i]));
            outcomes[i] = runner.stop(handle_of(records[i]), options[i]);
            if (!outcomes[i].refused) exit_statuses[i] = runner.inspect(handle_of(records[i])).exit_status;
        }
    };
    std::size_t threads = std::min<std::size_t>(records.size(), k_parallel_stops);
    std::vector<std::thread> pool;
    for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& thread : pool) thread.join();

    auto tx = m_store.begin();
    for (std::size_t i = 0; i < records.size(); ++i) {
        const auto& record = records[i];
        const auto& outcome = outcomes[i];
        state::InstanceRecord after = record;
        after.updated_at = state::Clock::now();
        if (outcome.refused) {
            after.last_error = "not signalled: " + outcome.message;
            tx->add_event({0, {}, record.job, record.agent, record.instance, "stop-refused", outcome.message});
            m_observer.instance(record.instance, InstanceStep::failed, "not signalled: " + outcome.message);
        } else {
            after.status = outcome.stopped ? "stopped" : record.status;
            if (!outcome.stopped) after.last_error = outcome.message;
            if (exit_statuses[i]) after.exit_status = exit_statuses[i];
            std::string detail = outcome.killed ? "killed after " + std::to_string(options[i].timeout.count()) + "ms"
                                                : outcome.message;
            tx->add_event({0, {}, record.job, record.agent, record.instance,
                           outcome.stopped ? "instance-stopped" : "stop-failed", detail.empty() ? why : detail});
            m_observer.instance(record.instance, outcome.stopped ? InstanceStep::stopped : InstanceStep::failed, detail);
        }
        tx->upsert_instance(after);
    }
    tx->commit();
    return outcomes;
}

bool InstanceOps::roll_back(const std::vector<StartedInstance>& started, const std::vector<state::InstanceRecord>& replaced) {
    std::map<std::string, const state::InstanceRecord*> replaced_by_name;
    for (const auto& record : replaced) replaced_by_name[record.instance] = &record;

    std::vector<state::InstanceRecord> undo;
    for (auto it = started.rbegin(); it != started.rend(); ++it) undo.push_back(record_of(it->launch, it->handle, "starting"));
    stop_all(undo, std::nullopt, false, "rolling back");
    {
        auto tx = m_store.begin();
        for (const auto& record : undo) {
            if (!replaced_by_name.count(record.instance)) tx->delete_instance(record.job, record.instance);
        }
        tx->commit();
    }
    // A replaced instance whose new one never got a row of its own still has "stopped" state:
    // either way it is started again from the launch record of its own revision.
    bool restored_all = true;
    std::vector<Slot> slots;
    for (const auto& record : replaced) {
        auto launch = read_launch_record(record.run_dir);
        if (!launch) {
            restored_all = false;
            m_observer.note("cannot restore " + record.instance + ": its launch record is gone");
            continue;
        }
        Slot slot;
        slot.launch = *launch;
        slot.deadline = launch->health.start_period + launch->health.interval * launch->health.retries;
        if (slot.deadline < util::Millis(10000)) slot.deadline = util::Millis(10000);
        m_observer.instance(record.instance, InstanceStep::restoring, "revision " + std::to_string(launch->revision));
        slots.push_back(std::move(slot));
    }
    if (!slots.empty()) {
        std::vector<StartedInstance> restored;
        Failure saved = m_failure;
        m_failure = {};
        // The rollback itself must not be cut short by the interruption that caused it.
        auto interrupted = std::move(m_interrupted);
        m_interrupted = [] { return false; };
        if (!start_and_wait(slots, restored)) restored_all = false;
        m_interrupted = std::move(interrupted);
        m_failure = saved;
    }
    return restored_all;
}

}  // namespace agentctl::deploy
