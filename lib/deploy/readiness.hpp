#pragma once
// Readiness: waiting for freshly started instances to become ready, all at once, as DESIGN.md §2
// "Readiness" says — fast-first polling, the deadline rule, and an instance that exits during
// its start reported at once.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runners/health_probe.hpp"
#include "runners/runner.hpp"
#include "spec/job_spec.hpp"
#include "util/duration.hpp"

namespace agentctl::deploy {

using util::Millis;

/// One started instance to wait for.
struct ReadyTarget {
    std::string instance;                ///< for messages ("weather", "weather@h1")
    runners::Runner* runner = nullptr;   ///< the runner that started it (inspect, exec, logs)
    runners::InstanceHandle handle;
    spec::HealthSpec health;             ///< kind none: ready = alive after `start_period`
    std::string probe_url;               ///< base URL seen from here, e.g. "http://127.0.0.1:9001"
    Millis deadline{60000};              ///< counted from the call to wait_ready
};

enum class ReadyState { ready, exited, timed_out, interrupted };
/// The spelling used in messages and progress events ("ready", "exited", "timed-out", "interrupted").
const char* ready_state_name(ReadyState state);

/// How waiting for one instance ended.
struct ReadyOutcome {
    ReadyState state = ReadyState::interrupted;
    std::optional<int> exit_status;      ///< exited: its exit code (or 128+signal) when known
    std::string detail;                  ///< the last check's detail, or why it is not ready
    Millis took{0};                      ///< from the call to wait_ready to the decision
    std::vector<std::string> log_tail;   ///< exited / timed_out: the last lines of its log
};

/// How many log lines a failed outcome carries.
constexpr std::size_t k_ready_log_tail = 10;

/// Waits until every target is ready, exited, past its deadline, or `interrupted()` returns
/// true (polled at least every ~20 ms), and returns one outcome per target, in order.
/// Each round inspects every undecided instance, then checks all of them concurrently (http and
/// tcp in one `prober` call, exec through its runner). Polls start ~20 ms apart and grow ×1.5 up
/// to the health interval; they never count against `retries`. `on_done` (optional) is called,
/// on this thread, as soon as each target's outcome is decided.
std::vector<ReadyOutcome> wait_ready(const std::vector<ReadyTarget>& targets, runners::HealthProber& prober,
                                     const std::function<bool()>& interrupted,
                                     const std::function<void(std::size_t index, const ReadyOutcome&)>& on_done = {});

}  // namespace agentctl::deploy
