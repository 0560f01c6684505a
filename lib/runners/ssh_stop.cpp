#include <map>

#include "runners/process_control.hpp"
#include "runners/shim_status.hpp"
#include "runners/ssh_runner.hpp"
#include "runners/ssh_runner_support.hpp"
#include "runners/ssh_scripts.hpp"

// Stopping a remote agent (the rule is in ssh_runner.hpp), as LocalRunner::stop does locally:
// the stop request first, then the recorded agent, or the one its shim restarted since, or a
// shim waiting out its backoff; never a process whose pid + start time is not proven.

namespace agentctl::runners {

namespace {

// Beyond the stop timeout: the round trip, the SIGKILL wait and the shim's exit.
constexpr util::Millis k_stop_margin{15000};
// How long a shim waiting to restart gets to find the stop request and exit.
constexpr util::Millis k_shim_exit_wait{3000};

bool same_process(const util::ProcessRef& a, const util::ProcessRef& b) {
    return a.pid == b.pid && a.start_time == b.start_time;
}

}  // namespace

StopOutcome SshRunner::stop(const InstanceHandle& handle, const StopOptions& options) {
    forget(handle);
    StopOutcome outcome;
    if (!options.force && !signal_number(options.signal)) {
        outcome.message = "unknown signal " + options.signal;
        return outcome;
    }
    std::string signal = options.force ? "KILL" : options.signal;
    if (signal.rfind("SIG", 0) == 0) signal = signal.substr(3);
    if (handle.agent.empty()) {
        outcome.stopped = true;
        outcome.message = "no agent was recorded on " + handle.host;
        return outcome;
    }
    try {
        Remote remote = remote_of(handle);
        const std::string run_dir = remote_run_dir(remote.request);
        util::Millis timeout = options.force ? util::Millis(0) : options.timeout;
        // One script per attempt: it writes the stop request, then signals `agent` if it is still ours.
        auto attempt = [&](const util::ProcessRef& agent, const std::string& sig, util::Millis wait) {
            HostResult result =
                run_script(*remote.host, stop_script(agent, handle.shim, sig, wait, run_dir), wait + k_stop_margin);
            if (result.timed_out) throw HostError("timed out stopping the agent on " + describe_target(remote.target), true);
            return parse_answer(result.out);
        };
        auto signalled = [&](std::map<std::string, std::string>& answer) {
            if (!answer.count("stopped") && !answer.count("killed")) return false;
            outcome.stopped = true;
            outcome.killed = answer.count("killed") > 0 || options.force;
            return true;
        };

        auto answer = attempt(handle.agent, signal, timeout);
        if (signalled(answer)) return outcome;
        if (answer.count("alive")) {
            outcome.message = "pid " + std::to_string(handle.agent.pid) + " on " + handle.host +
                              " is still running after SIGKILL";
            return outcome;
        }
        auto status = parse_shim_status(answer["status"]);
        const bool same_shim = status && !handle.shim.empty() && same_process(status->shim, handle.shim);
        // The shim restarted the agent: the one to stop is the new one, proven by its own start time.
        if (same_shim && !status->exited && status->restarts > 0 && status->agent.pid != handle.agent.pid) {
            answer = attempt(status->agent, signal, timeout);
            if (signalled(answer)) return outcome;
            if (answer.count("gone")) {
                outcome.stopped = true;
                outcome.message = "already exited";
            } else {
                outcome.message = "the restarted agent (pid " + std::to_string(status->agent.pid) + " on " +
                                  handle.host + ") was not stopped";
            }
            return outcome;
        }
        // Waiting out its backoff: wake the shim (a group leader), which finds the request and exits.
        if (same_shim && status->restarting) {
            answer = attempt(handle.shim, "TERM", k_shim_exit_wait);
            outcome.stopped = signalled(answer) || answer.count("gone") > 0;
            outcome.killed = false;
            outcome.message = outcome.stopped ? "stopped while waiting to restart" : "its shim did not exit";
            return outcome;
        }
        if (answer.count("gone") ||
            (status && status->exited && (same_shim || same_process(status->agent, handle.agent)))) {
            outcome.stopped = true;
            outcome.message = "already exited";
            return outcome;
        }
        outcome.refused = true;
        outcome.message = "pid " + std::to_string(handle.agent.pid) + " on " + handle.host +
                          " is no longer the recorded agent (its start time differs); nothing was signalled";
    } catch (const std::exception& error) {
        outcome.message = error.what();
    }
    return outcome;
}

}  // namespace agentctl::runners
