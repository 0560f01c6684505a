#include "deploy/job_monitor.hpp"

#include <algorithm>
#include <sstream>
#include <thread>
#include <unordered_set>

#include "deploy/instance_ops.hpp"
#include "deploy/monitor_metrics.hpp"
#include "deploy/observer.hpp"
#include "deploy/supervisor_sync.hpp"
#include "runners/health_probe.hpp"
#include "runners/launch_record.hpp"

namespace agentctl::deploy {
namespace {

using SteadyClock = std::chrono::steady_clock;

bool same_process(const util::ProcessRef& a, const util::ProcessRef& b) {
    return a.pid == b.pid && a.start_time == b.start_time;
}

bool stopped_on_purpose(const std::string& status) { return status == "stopped" || status == "stopping"; }

// A state that counts as "was fine": a failing check from here counts toward unhealthy.
bool was_fine(const std::string& state) {
    return state.empty() || state == "healthy" || state == "running" || state == "restarted";
}

// Instances whose runner applies no restart policy itself: containers have no shim (and
// Docker's own restart stays off), so their exits are the monitor's to restart.
bool without_supervisor(const state::InstanceRecord& record) { return target_of(record) == spec::Target::container; }

bool policy_restarts(const spec::RestartSpec& restart, const std::optional<int>& exit_status) {
    if (restart.policy == spec::RestartPolicy::always) return true;
    return restart.policy == spec::RestartPolicy::on_failure && exit_status.value_or(1) != 0;
}

// The shortest interval the monitor checks at: a typo'd "0s" must not spin.
constexpr util::Millis k_min_interval{100};
// How often a waiting monitor looks at its stop request.
constexpr std::chrono::milliseconds k_stop_poll{50};

}  // namespace

JobMonitor::JobMonitor(state::StateStore& store, std::string state_dir, RunnerSource runners,
                       runners::HealthProber& prober, MonitorReporter& reporter, MonitorMetrics* metrics)
    : m_store(store),
      m_state_dir(std::move(state_dir)),
      m_runners(std::move(runners)),
      m_prober(prober),
      m_reporter(reporter),
      m_metrics(metrics) {}

void JobMonitor::run(const MonitorOptions& options) {
    bool announced_gone = false;
    std::string last_error;
    while (!options.stop_requested()) {
        try {
            if (!round(options) && !announced_gone) {
                m_reporter.note("job '" + options.job + "' is no longer recorded; waiting for it to be deployed again");
                announced_gone = true;
            }
            last_error.clear();
        } catch (const std::exception& error) {
            // A busy database or a runner error must not end the watch: the next round retries.
            if (error.what() != last_error) m_reporter.note(std::string("monitor round failed: ") + error.what());
            last_error = error.what();
        }
        // Until the next check is due, looking at the state at least every second (instances
        // added or removed, a job deployed again) and at the stop request every 50 ms (each
        // wake-up costs a context switch; 20 ms ones were 2% of the monitor's time).
        auto until = SteadyClock::now() + std::chrono::seconds(1);
        for (const auto& [name, tracked] : m_tracked) until = std::min(until, tracked.next_due);
        until = std::max(until, SteadyClock::now() + options.tick);
        for (auto now = SteadyClock::now(); now < until && !options.stop_requested(); now = SteadyClock::now()) {
            std::this_thread::sleep_for(std::min<SteadyClock::duration>(until - now, k_stop_poll));
        }
    }
}

void JobMonitor::report(const state::InstanceRecord& record, Tracked& tracked, const std::string& state,
                        const std::string& detail) {
    if (tracked.state == state && tracked.detail == detail) return;
    tracked.state = state;
    tracked.detail = detail;
    m_reporter.change({record.job, record.agent, record.instance, state, detail});
}

void JobMonitor::update_metrics(const state::InstanceRecord& record, const Tracked& tracked, bool up) {
    if (!m_metrics || !tracked.metrics) return;
    bool healthy = tracked.state == "healthy" || (tracked.state == "running" && up);
    m_metrics->set_instance(tracked.metrics, up, healthy, record.restarts);
}

void JobMonitor::refresh(const MonitorOptions& options) {
    const std::pair<std::int64_t, std::uint64_t> version{m_store.data_version(), state::state_writes_committed()};
    if (m_read_at && *m_read_at == version) return;
    m_job_recorded = m_store.job(options.job).has_value();
    auto records = m_job_recorded ? m_store.instances(options.job) : std::vector<state::InstanceRecord>{};
    m_read_at = version;
    // Instances no longer recorded are forgotten (and leave the metrics).
    std::unordered_set<std::string> recorded_names;
    for (const auto& record : records) recorded_names.insert(record.instance);
    for (auto it = m_tracked.begin(); m_job_recorded && it != m_tracked.end();) {
        const bool recorded = recorded_names.count(it->first) != 0;
        if (!recorded && m_metrics) m_metrics->forget_instance({options.job, it->second.agent, it->first});
        it = recorded ? std::next(it) : m_tracked.erase(it);
    }
    m_watched.clear();
    m_watched.reserve(records.size());
    for (auto& record : records) {
        Watched watched;
        watched.handle = handle_of(record);
        watched.tracked = &m_tracked[record.instance];
        watched.record = std::move(record);
        m_watched.push_back(std::move(watched));
    }
}

bool JobMonitor::round(const MonitorOptions& options) {
    refresh(options);
    if (!m_job_recorded) return false;
    const auto now = SteadyClock::now();

    std::vector<Watched*> due;
    due.reserve(m_watched.size());
    for (auto& watched : m_watched) {
        const auto& record = watched.record;
        Tracked& tracked = *watched.tracked;
        if (!tracked.have_launch || !same_process(tracked.shim, record.shim) || tracked.container_id != record.container_id) {
            // A new incarnation (deploy, restart): its own settings, checked at once. The last
            // state reported is kept, so that "restarted" is followed by "healthy".
            Tracked fresh;
            fresh.state = tracked.state;
            fresh.detail = tracked.detail;
            fresh.exit_restarts_in_a_row = tracked.exit_restarts_in_a_row;
            fresh.agent = record.agent;
            fresh.shim = record.shim;
            fresh.container_id = record.container_id;
            fresh.exits_seen = record.exits_recorded;
            fresh.restarts_seen = record.shim_restarts;
            if (auto check = runners::parse_health_check(record.health_check)) fresh.health = *check;
            if (auto launch = runners::read_launch_record(record.run_dir)) {
                if (record.health_check.empty()) fresh.health = launch->health;
                fresh.restart = launch->request.restart;
            }
            fresh.have_launch = true;
            fresh.next_due = now;
            if (record.status == "starting") fresh.grace_until = now + fresh.health.start_period;
            if (m_metrics) fresh.metrics = m_metrics->slot({record.job, record.agent, record.instance});
            tracked = std::move(fresh);
        }
        if (now >= tracked.next_due) due.push_back(&watched);
    }
    if (due.empty()) return true;

    // 1. Identity-proven liveness of everything due (remote ones: one round trip per host).
    {
        std::vector<const state::InstanceRecord*> records;
        records.reserve(due.size());
        for (const Watched* watched : due) records.push_back(&watched->record);
        prefetch_inspections(records, m_runners);
    }
    std::vector<runners::Inspection> inspections;
    inspections.reserve(due.size());
    for (const Watched* watched : due) inspections.push_back(m_runners(target_of(watched->record)).inspect(watched->handle));
    // 2. What the shims did on their own: into the rows and the events (before anything is
    //    said). Only the few rows that may have news are copied for it.
    {
        std::vector<std::size_t> news;
        for (std::size_t i = 0; i < due.size(); ++i) {
            if (supervisor_may_have_news(due[i]->record, inspections[i])) news.push_back(i);
        }
        if (!news.empty()) {
            std::vector<state::InstanceRecord> rows;
            std::vector<runners::Inspection> seen;
            for (std::size_t i : news) {
                rows.push_back(due[i]->record);
                seen.push_back(inspections[i]);
            }
            rows = record_supervisor_changes(m_store, std::move(rows), seen);
            for (std::size_t k = 0; k < news.size(); ++k) {
                Watched& watched = *due[news[k]];
                watched.record = std::move(rows[k]);
                watched.handle = handle_of(watched.record);
            }
        }
    }

    // 3. Exits and shim restarts since the last round, then the state of each; health checks
    //    of the running ones all at once.
    std::vector<runners::ProbeRequest> probes;
    std::vector<std::size_t> probed;
    probes.reserve(due.size());
    probed.reserve(due.size());
    std::vector<bool> up(due.size(), false);
    for (std::size_t i = 0; i < due.size(); ++i) {
        const auto& record = due[i]->record;
        const auto& inspection = inspections[i];
        Tracked& tracked = *due[i]->tracked;
        // At a fixed rate (a round's own duration does not stretch the interval), unless the
        // monitor fell behind by more than an interval.
        const auto interval = std::max(tracked.health.interval, k_min_interval);
        tracked.next_due += interval;
        if (tracked.next_due <= now) tracked.next_due = now + interval;
        for (const auto& exit : inspection.exits) {
            if (exit.number <= tracked.exits_seen) continue;
            tracked.exits_seen = exit.number;
            if (exit.action != "stop") report(record, tracked, "exited", describe_exit(exit.exit_status));
        }
        if (inspection.restarts > tracked.restarts_seen && inspection.liveness == runners::Liveness::running) {
            tracked.restarts_seen = inspection.restarts;
            tracked.failures = 0;
            report(record, tracked, "restarted",
                   "by its shim as pid " + std::to_string(inspection.agent.pid) + " (restart " + std::to_string(record.restarts) + ")");
        }
        if (stopped_on_purpose(record.status)) {
            report(record, tracked, "stopped", "");
            continue;
        }
        switch (inspection.liveness) {
            case runners::Liveness::unknown: report(record, tracked, "unknown", inspection.reason); continue;
            case runners::Liveness::missing: report(record, tracked, "missing", inspection.reason); continue;
            case runners::Liveness::exited: {
                std::string detail = inspection.exit_status ? describe_exit(*inspection.exit_status) : inspection.reason;
                if (inspection.restarting) report(record, tracked, "restarting", detail);
                else if (inspection.gave_up) report(record, tracked, "failed", "max_restarts exhausted; " + detail);
                else report(record, tracked, "exited", detail);
                if (without_supervisor(record) && !tracked.exit_restart_at &&
                    policy_restarts(tracked.restart, inspection.exit_status)) {
                    util::Millis delay = tracked.restart.backoff;
                    for (int k = 0; k < tracked.exit_restarts_in_a_row && delay < tracked.restart.max_backoff; ++k) delay *= 2;
                    tracked.exit_restart_at = now + std::min(delay, tracked.restart.max_backoff);
                }
                continue;
            }
            case runners::Liveness::running: break;
        }
        up[i] = true;
        const spec::HealthSpec& health = tracked.health;
        if (health.kind == spec::HealthKind::none) {
            report(record, tracked, "running", "");
        } else if (health.kind == spec::HealthKind::exec) {
            // exec checks run where the agent runs, one at a time (rare next to http and tcp).
            auto started = SteadyClock::now();
            runners::ExecResult result = m_runners(target_of(record)).exec(handle_of(record), health.exec, health.timeout);
            double seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
            bool ok = result.exit_status == 0 && !result.timed_out;
            if (m_metrics && tracked.metrics) m_metrics->observe_check(tracked.metrics, ok, seconds);
            const bool counts = ok || SteadyClock::now() >= tracked.grace_until;
            if (counts) tracked.failures = ok ? 0 : tracked.failures + 1;
            std::string detail = result.timed_out ? "exec check timed out" : "exec check exit status " + std::to_string(result.exit_status);
            if (ok) report(record, tracked, "healthy", "");
            else if (counts && tracked.failures >= health.retries && was_fine(tracked.state)) report(record, tracked, "unhealthy", detail);
        } else if (!record.url.empty()) {
            if (tracked.probe.url.empty() || tracked.probe_base_url != record.url) {
                tracked.probe = runners::make_probe_request(health, record.url);
                tracked.probe_base_url = record.url;
            }
            probes.push_back(tracked.probe);
            probed.push_back(i);
        }
    }
    if (!probes.empty()) {
        auto results = m_prober.probe(probes, options.stop_requested);
        for (std::size_t k = 0; k < probed.size(); ++k) {
            const auto& result = results[k];
            if (result.cancelled) continue;
            const auto& record = due[probed[k]]->record;
            Tracked& tracked = *due[probed[k]]->tracked;
            if (m_metrics && tracked.metrics) {
                m_metrics->observe_check(tracked.metrics, result.healthy, std::chrono::duration<double>(result.elapsed).count());
            }
            if (result.healthy) {
                tracked.failures = 0;
                report(record, tracked, "healthy", "");
            } else if (SteadyClock::now() < tracked.grace_until) {
                // Still within its start_period: not a failure yet.
            } else if (++tracked.failures >= tracked.health.retries && was_fine(tracked.state)) {
                report(record, tracked, "unhealthy", result.detail);
            }
        }
    }

    // 4. The states seen, into the rows (a row replaced or being stopped meanwhile is left
    //    alone) with one event per change.
    const bool any_change = std::any_of(due.begin(), due.end(), [&](const Watched* watched) {
        const std::string& state = watched->tracked->state;
        const std::string& status = watched->record.status;
        return (state == "healthy" || state == "unhealthy" || state == "running") && state != status &&
               !stopped_on_purpose(status);
    });
    if (any_change) {
        auto tx = m_store.begin();
        bool wrote = false;
        auto current = m_store.instances(options.job);
        for (const Watched* watched : due) {
            const auto& record = watched->record;
            const Tracked& tracked = *watched->tracked;
            if (tracked.state != "healthy" && tracked.state != "unhealthy" && tracked.state != "running") continue;
            auto found = std::find_if(current.begin(), current.end(), [&](const auto& r) { return r.instance == record.instance; });
            if (found == current.end() || !same_process(found->shim, record.shim) || stopped_on_purpose(found->status)) continue;
            if (found->status == tracked.state) continue;
            std::string kind = tracked.state == "unhealthy" ? "instance-unhealthy"
                               : found->status == "unhealthy" ? "instance-recovered"
                                                              : "instance-" + tracked.state;
            state::InstanceRecord updated = *found;
            updated.status = tracked.state;
            if (!tracked.detail.empty()) updated.last_health = tracked.detail;
            updated.updated_at = state::Clock::now();
            tx->upsert_instance(updated);
            tx->add_event({0, {}, record.job, record.agent, record.instance, kind, tracked.detail});
            wrote = true;
        }
        if (wrote) tx->commit();
    }
    for (std::size_t i = 0; i < due.size(); ++i) update_metrics(due[i]->record, *due[i]->tracked, up[i]);

    // 5. Unhealthy instances restarted as their policy says, one at a time, each under the lock.
    for (Watched* watched : due) {
        if (options.stop_requested()) break;
        const auto& record = watched->record;
        Tracked& tracked = *watched->tracked;
        if (tracked.state == "unhealthy" && tracked.failures >= tracked.health.retries) {
            restart_instance(options, record, tracked, "unhealthy (" + tracked.detail + ")");
        } else if (tracked.exit_restart_at && SteadyClock::now() >= *tracked.exit_restart_at) {
            const int in_a_row = tracked.exit_restarts_in_a_row + 1;
            if (restart_instance(options, record, tracked, tracked.detail)) tracked.exit_restarts_in_a_row = in_a_row;
            tracked.exit_restart_at.reset();
        }
    }
    return true;
}

bool JobMonitor::restart_instance(const MonitorOptions& options, const state::InstanceRecord& record, Tracked& tracked,
                                  const std::string& why) {
    if (tracked.restart.policy == spec::RestartPolicy::no) return false;
    if (record.restarts >= tracked.restart.max_restarts) {
        if (tracked.state != "failed") {
            report(record, tracked, "failed", "max_restarts (" + std::to_string(tracked.restart.max_restarts) + ") exhausted");
            auto tx = m_store.begin();
            tx->add_event({0, {}, record.job, record.agent, record.instance, "instance-failed",
                           why + ", and max_restarts exhausted; not restarted"});
            tx->commit();
        }
        return false;
    }
    std::optional<state::JobLock> lock;
    try {
        lock.emplace(m_store.lock_job(record.job, "monitor-restart", options.lock_wait));
    } catch (const state::LockedError& error) {
        m_reporter.note("not restarting " + record.instance + " now: " + error.what());
        return false;
    }
    // Under the lock, the intent is read again: a stop (or a new deploy) wins over the monitor.
    auto job = m_store.job(record.job);
    if (!job || job->desired != "running") return false;
    auto rows = m_store.instances(record.job);
    auto row = std::find_if(rows.begin(), rows.end(), [&](const auto& r) { return r.instance == record.instance; });
    if (row == rows.end() || !same_process(row->shim, record.shim) || stopped_on_purpose(row->status)) return false;
    auto launch = runners::read_launch_record(row->run_dir);
    if (!launch) {
        m_reporter.note("cannot restart " + record.instance + ": its launch record is gone; deploy the job again");
        return false;
    }

    auto quiet = std::ostringstream();
    auto observer = make_observer(ProgressStyle::quiet, quiet, false);
    InstanceOps ops(m_store, m_runners, m_prober, *observer, options.stop_requested);
    ops.stop_all({*row}, std::nullopt, false, "restart by the monitor: " + why);
    Slot slot;
    slot.launch = *launch;
    std::vector<Slot> slots = {slot};
    std::vector<StartedInstance> started;
    // Started, not waited for: the next rounds check the new incarnation (within its
    // start_period failures do not count) while every other instance keeps being checked.
    bool ok = ops.start_and_wait(slots, started, /*until_ready=*/false);

    const int restarts = row->restarts + 1;
    auto tx = m_store.begin();
    auto now_rows = m_store.instances(record.job);
    for (auto& now_row : now_rows) {
        if (now_row.instance != record.instance) continue;
        now_row.restarts = restarts;
        tx->upsert_instance(now_row);
        std::string where = now_row.agent_process.empty() ? "" : " as pid " + std::to_string(now_row.agent_process.pid);
        tx->add_event({0, {}, record.job, record.agent, record.instance, "instance-restarted",
                       "restarted by the monitor" + where + ": " + why + " (restart " + std::to_string(restarts) + ")"});
    }
    tx->commit();
    if (ok) {
        report(record, tracked, "restarted", "by the monitor: " + why + " (restart " + std::to_string(restarts) + ")");
    } else {
        report(record, tracked, "failed", "restart by the monitor failed: " + ops.failure().error);
    }
    return ok;
}

}  // namespace agentctl::deploy
