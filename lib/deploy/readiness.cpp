#include "deploy/readiness.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <future>
#include <map>
#include <thread>

namespace agentctl::deploy {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr Millis k_first_poll{20};
constexpr double k_poll_growth = 1.5;
// Sleeps are cut into slices this long so an interruption is seen within ~one slice.
constexpr Millis k_sleep_slice{20};
// The check made at the deadline still gets this long (or the health timeout, if shorter), so
// a last-moment answer is not lost to a timeout of nearly zero.
constexpr Millis k_min_last_check{250};
constexpr std::size_t k_max_exec_output = 200;

// The per-target bookkeeping of one wait.
struct Slot {
    bool done = false;
    SteadyClock::time_point due{};
    SteadyClock::time_point deadline{};
    Millis delay = k_first_poll;
    std::string last_detail = "no check finished yet";
};

// What one health check said.
struct Check {
    bool healthy = false;
    std::string detail;
    bool cancelled = false;  // abandoned on interruption: keeps the previous detail
};

// Liveness of one instance, with runner errors (an unreachable host) turned into `unknown`.
runners::Inspection inspect(const ReadyTarget& target) {
    try {
        return target.runner->inspect(target.handle);
    } catch (const std::exception& error) {
        runners::Inspection inspection;
        inspection.liveness = runners::Liveness::unknown;
        inspection.reason = error.what();
        return inspection;
    }
}

bool is_gone(const runners::Inspection& inspection) {
    return inspection.liveness == runners::Liveness::exited || inspection.liveness == runners::Liveness::missing;
}

std::string gone_detail(const runners::Inspection& inspection) {
    if (inspection.liveness == runners::Liveness::missing)
        return "no longer running" + (inspection.reason.empty() ? std::string() : ": " + inspection.reason);
    if (inspection.exit_status) return "exited with status " + std::to_string(*inspection.exit_status);
    return "exited" + (inspection.reason.empty() ? std::string() : ": " + inspection.reason);
}

std::string first_line(const std::string& text) {
    std::string line = text.substr(0, text.find('\n'));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.size() > k_max_exec_output) line = line.substr(0, k_max_exec_output) + "...";
    return line;
}

Check run_exec(const ReadyTarget& target, Millis timeout) {
    if (target.health.exec.empty()) return {false, "no exec command"};
    try {
        runners::ExecResult result = target.runner->exec(target.handle, target.health.exec, timeout);
        if (result.timed_out) return {false, "exec timed out after " + util::format_duration(timeout)};
        std::string detail = "exec exit status " + std::to_string(result.exit_status);
        std::string output = first_line(result.output);
        if (result.exit_status != 0 && !output.empty()) detail += ": " + output;
        return {result.exit_status == 0, detail};
    } catch (const std::exception& error) {
        return {false, error.what()};
    }
}

std::vector<std::string> log_tail(const ReadyTarget& target) {
    std::vector<std::string> lines;
    runners::LogOptions options;
    options.tail = k_ready_log_tail;
    try {
        target.runner->read_logs(target.handle, options,
                                 [&](const runners::LogLine& line) { lines.push_back(line.text); });
    } catch (const std::exception&) {
        // A log that cannot be read must not hide why the instance failed.
    }
    if (lines.size() > k_ready_log_tail) lines.erase(lines.begin(), lines.end() - k_ready_log_tail);
    return lines;
}

// The timeout of a check that starts `now`: the health timeout, shortened so the check does not
// run (much) past the target's deadline.
Millis check_timeout(const ReadyTarget& target, const Slot& slot, SteadyClock::time_point now) {
    const Millis full = std::max(target.health.timeout, Millis(1));
    const Millis left = std::chrono::duration_cast<Millis>(slot.deadline - now);
    return std::clamp(left, std::min(full, k_min_last_check), full);
}

// Runs the checks of one round: http and tcp through the prober in one call, exec through each
// runner on its own thread (one thread per runner, not per instance), kind none inline.
std::map<std::size_t, Check> run_checks(const std::vector<ReadyTarget>& targets, const std::vector<Slot>& slots,
                                        const std::vector<std::size_t>& due, SteadyClock::time_point start,
                                        runners::HealthProber& prober, const std::function<bool()>& interrupted) {
    const auto now = SteadyClock::now();
    std::map<std::size_t, Check> checks;
    std::vector<runners::ProbeRequest> requests;
    std::vector<std::size_t> probed;
    std::map<runners::Runner*, std::vector<std::size_t>> exec_groups;
    for (std::size_t i : due) {
        const ReadyTarget& target = targets[i];
        switch (target.health.kind) {
            case spec::HealthKind::http:
            case spec::HealthKind::tcp: {
                runners::ProbeRequest request = runners::make_probe_request(target.health, target.probe_url);
                request.timeout = check_timeout(target, slots[i], now);
                requests.push_back(std::move(request));
                probed.push_back(i);
                break;
            }
            case spec::HealthKind::exec: exec_groups[target.runner].push_back(i); break;
            case spec::HealthKind::none: {
                const bool settled = now - start >= target.health.start_period;
                checks[i] = {settled, settled ? "running" : "starting"};
                break;
            }
        }
    }

    std::vector<std::future<std::vector<std::pair<std::size_t, Check>>>> exec_runs;
    for (auto& group : exec_groups) {
        std::vector<std::size_t> members = group.second;
        exec_runs.push_back(std::async(std::launch::async, [&targets, &slots, members, now] {
            std::vector<std::pair<std::size_t, Check>> done;
            for (std::size_t i : members) done.emplace_back(i, run_exec(targets[i], check_timeout(targets[i], slots[i], now)));
            return done;
        }));
    }
    if (!requests.empty()) {
        std::vector<runners::ProbeResult> results = prober.probe(requests, interrupted);
        for (std::size_t k = 0; k < probed.size(); ++k) checks[probed[k]] = {results[k].healthy, results[k].detail, results[k].cancelled};
    }
    for (auto& run : exec_runs)
        for (auto& entry : run.get()) checks[entry.first] = std::move(entry.second);
    return checks;
}

}  // namespace

const char* ready_state_name(ReadyState state) {
    switch (state) {
        case ReadyState::ready: return "ready";
        case ReadyState::exited: return "exited";
        case ReadyState::timed_out: return "timed-out";
        case ReadyState::interrupted: break;
    }
    return "interrupted";
}

std::vector<ReadyOutcome> wait_ready(const std::vector<ReadyTarget>& targets, runners::HealthProber& prober,
                                     const std::function<bool()>& interrupted,
                                     const std::function<void(std::size_t index, const ReadyOutcome&)>& on_done) {
    const auto start = SteadyClock::now();
    std::vector<ReadyOutcome> outcomes(targets.size());
    std::vector<Slot> slots(targets.size());
    for (std::size_t i = 0; i < targets.size(); ++i) {
        slots[i].due = start;
        slots[i].deadline = start + targets[i].deadline;
    }
    std::size_t remaining = targets.size();
    auto is_interrupted = [&] { return interrupted && interrupted(); };

    auto decide = [&](std::size_t i, ReadyState state, std::string detail, std::optional<int> exit_status = {}) {
        ReadyOutcome& outcome = outcomes[i];
        outcome.state = state;
        outcome.detail = std::move(detail);
        outcome.exit_status = exit_status;
        outcome.took = std::chrono::duration_cast<Millis>(SteadyClock::now() - start);
        if (state == ReadyState::exited || state == ReadyState::timed_out) outcome.log_tail = log_tail(targets[i]);
        slots[i].done = true;
        --remaining;
        if (on_done) on_done(i, outcome);
    };

    while (remaining > 0) {
        if (is_interrupted()) {
            for (std::size_t i = 0; i < targets.size(); ++i)
                if (!slots[i].done) decide(i, ReadyState::interrupted, "interrupted (" + slots[i].last_detail + ")");
            break;
        }
        auto now = SteadyClock::now();
        std::vector<std::size_t> due;
        auto next_due = SteadyClock::time_point::max();
        for (std::size_t i = 0; i < targets.size(); ++i) {
            if (slots[i].done) continue;
            if (slots[i].due <= now) due.push_back(i);
            next_due = std::min(next_due, slots[i].due);
        }
        if (due.empty()) {
            std::this_thread::sleep_for(std::min<SteadyClock::duration>(k_sleep_slice, next_due - now));
            continue;
        }

        // One inspection per due instance and round, after its check: an instance that died
        // during its start is reported now, not at its deadline, and a healthy answer counts only
        // from an instance still alive (another process may hold its port). Remote runners answer
        // the inspections of a round with one batch per host, so this is one round trip a round.
        std::map<std::size_t, Check> checks = run_checks(targets, slots, due, start, prober, interrupted);
        const bool stop_now = is_interrupted();
        now = SteadyClock::now();
        for (auto& [i, check] : checks) {
            if (!check.cancelled) {
                runners::Inspection inspection = inspect(targets[i]);
                if (is_gone(inspection)) {
                    decide(i, ReadyState::exited, gone_detail(inspection), inspection.exit_status);
                    continue;
                }
                if (check.healthy && targets[i].health.kind == spec::HealthKind::none &&
                    inspection.liveness != runners::Liveness::running) {
                    slots[i].last_detail = "cannot inspect: " + inspection.reason;
                } else if (check.healthy) {
                    decide(i, ReadyState::ready, check.detail);
                    continue;
                } else {
                    slots[i].last_detail = check.detail;
                }
            }
            if (stop_now) continue;
            Slot& slot = slots[i];
            if (now >= slot.deadline) {
                decide(i, ReadyState::timed_out,
                       "not ready after " + util::format_duration(targets[i].deadline) + ": " + slot.last_detail);
                continue;
            }
            slot.due = std::min(now + slot.delay, slot.deadline);
            const auto settles = start + targets[i].health.start_period;
            if (targets[i].health.kind == spec::HealthKind::none && settles > now) slot.due = std::min(slot.due, settles);
            const Millis interval = std::max(targets[i].health.interval, k_first_poll);
            slot.delay = std::min(interval, Millis(static_cast<long long>(slot.delay.count() * k_poll_growth)));
        }
    }
    return outcomes;
}

}  // namespace agentctl::deploy
