#include "runners/local_runner.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "runners/launch_record.hpp"
#include "runners/local_exec.hpp"
#include "runners/local_preflight.hpp"
#include "runners/log_file.hpp"
#include "runners/process_control.hpp"
#include "runners/shim_handshake.hpp"
#include "runners/shim_launcher.hpp"
#include "runners/shim_status.hpp"
#include "util/errors.hpp"

namespace agentctl::runners {

namespace {

constexpr const char* k_local_host = "127.0.0.1";
// How long to wait for a shim that reported an error to exit, so it can be reaped.
constexpr util::Millis k_failed_shim_reap{1000};
// How old a watching runner's answer to "does it still run?" may be (util::ProcessWatch): a
// monitor round inspects a thousand instances within a few milliseconds.
constexpr std::chrono::milliseconds k_liveness_batch_window{50};
// A shim records its agent's exit within milliseconds; inspect waits this long for it.
constexpr util::Millis k_status_settle{300};
constexpr util::Millis k_after_kill_wait{5000};

std::string parent_dir(const std::string& path) {
    auto slash = path.find_last_of('/');
    if (slash == std::string::npos) return {};
    return slash == 0 ? "/" : path.substr(0, slash);
}

// mkdir -p, every created directory 0700 (run dirs and log dirs hold secrets and output).
bool make_private_dirs(const std::string& dir, std::string& error) {
    if (dir.empty() || dir == "/") return true;
    struct stat info {};
    if (::stat(dir.c_str(), &info) == 0) {
        if (S_ISDIR(info.st_mode)) return true;
        error = dir + " is not a directory";
        return false;
    }
    if (!make_private_dirs(parent_dir(dir), error)) return false;
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        error = "cannot create " + dir + ": " + std::strerror(errno);
        return false;
    }
    return true;
}

// Waits for a direct child that is about to exit; its exit status, or nullopt.
std::optional<int> reap_child(int pid, util::Millis timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
        if (done < 0 && errno != EINTR) return std::nullopt;
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

std::vector<std::string> shim_arguments(const LaunchRequest& request, const LocalRunnerOptions& options) {
    std::vector<std::string> args = {"--log", request.log_path, "--status", shim_status_path(request.run_dir),
                                     "--log-max-bytes", std::to_string(options.log_max_bytes),
                                     "--log-keep", std::to_string(options.log_keep)};
    if (!request.workdir.empty()) {
        args.push_back("--workdir");
        args.push_back(request.workdir);
    }
    // The restart policy lives in the shim, so agents are kept alive with no monitor running.
    args.insert(args.end(), {"--restart", spec::restart_policy_name(request.restart.policy), "--max-restarts",
                             std::to_string(request.restart.max_restarts), "--backoff-ms",
                             std::to_string(request.restart.backoff.count()), "--max-backoff-ms",
                             std::to_string(request.restart.max_backoff.count()), "--stop-file",
                             shim_stop_file_path(request.run_dir)});
    args.push_back("--");
    args.insert(args.end(), request.argv.begin(), request.argv.end());
    return args;
}

// Everything before the spawn: checks, directories, no stale status. (The launch record, with
// the secrets, is the deployer's <run_dir>/instance.json, written before the start.)
std::string prepare_launch(const LaunchRequest& request, const RunnerContext& context) {
    if (context.shim_path.empty()) return "agentctl-shim was not found (looked next to agentctl and on PATH)";
    if (request.argv.empty()) return "no command to run";
    if (request.run_dir.empty() || request.log_path.empty()) return "no run directory or log path given";
    std::string error;
    if (!make_private_dirs(request.run_dir, error) || !make_private_dirs(parent_dir(request.log_path), error)) {
        return error;
    }
    // A status file left by an earlier run in this directory must never describe this one.
    // Nor may an earlier stop request keep this one from being restarted.
    for (const std::string& stale : {shim_status_path(request.run_dir), shim_stop_file_path(request.run_dir)}) {
        if (::unlink(stale.c_str()) != 0 && errno != ENOENT) return "cannot remove " + stale + ": " + std::strerror(errno);
    }
    return {};
}

void apply_handshake(const Handshake& handshake, int shim_pid, util::Millis timeout, StartOutcome& outcome) {
    switch (handshake.kind) {
        case Handshake::Kind::ok:
            outcome.started = true;
            outcome.handle.shim = handshake.shim;
            outcome.handle.agent = handshake.agent;
            return;
        case Handshake::Kind::error:
            outcome.error = handshake.message;
            outcome.exit_status = reap_child(shim_pid, k_failed_shim_reap).value_or(127);
            return;
        case Handshake::Kind::closed: {
            auto status = reap_child(shim_pid, k_failed_shim_reap);
            outcome.error = "agentctl-shim exited without a handshake";
            if (status) outcome.error += " (exit status " + std::to_string(*status) + ")";
            outcome.exit_status = status;
            return;
        }
        case Handshake::Kind::garbled:
            outcome.error = "agentctl-shim sent an unexpected handshake: " + handshake.message;
            break;
        case Handshake::Kind::timed_out:
            outcome.timed_out = true;
            outcome.error = "agentctl-shim gave no handshake within " + util::format_duration(timeout);
            break;
    }
    // Still there, in an unknown state: recorded so that the caller can stop it.
    if (auto shim = util::process_ref(shim_pid)) outcome.handle.shim = *shim;
}

bool same_process(const util::ProcessRef& a, const util::ProcessRef& b) {
    return a.pid == b.pid && a.start_time == b.start_time;
}

// The recorded shim has since restarted the agent (its restart policy): the agent it names now
// is the instance's, once its own pid + start time are proven. A recorded agent whose pid the
// shim still names with another start time is not a restart, and is never followed.
bool restarted_by_shim(const ShimStatus& status, const InstanceHandle& handle) {
    return !handle.shim.empty() && same_process(status.shim, handle.shim) && status.restarts > 0 &&
           status.agent.pid != handle.agent.pid;
}

}  // namespace

LocalRunner::LocalRunner(RunnerContext context, LocalRunnerOptions options)
    : m_context(std::move(context)), m_options(options) {
    if (m_context.watch) {
        // A quarter of the descriptor limit for pidfds, as the health prober takes another. A
        // watcher inspects its instances one after another: one epoll_wait() answers a round.
        m_watch = std::make_unique<util::ProcessWatch>(util::open_files_share(4, 1024), k_liveness_batch_window);
        m_status_cache = std::make_unique<ShimStatusCache>();
    }
}

bool LocalRunner::alive(const util::ProcessRef& process) {
    return m_watch ? m_watch->matches(process) : util::process_matches(process);
}

std::optional<ShimStatus> LocalRunner::status_at(const std::string& path) {
    return m_status_cache ? m_status_cache->read(path) : read_shim_status(path);
}

std::vector<StartOutcome> LocalRunner::start(const std::vector<LaunchRequest>& requests) {
    std::vector<StartOutcome> outcomes(requests.size());
    std::vector<int> fds(requests.size(), -1);
    std::vector<int> pids(requests.size(), -1);
    // Spawn every shim first and read the handshakes together: a batch of 200 agents costs one
    // round of process start-ups, not 200 sequential waits.
    for (std::size_t i = 0; i < requests.size(); ++i) {
        const auto& request = requests[i];
        auto& outcome = outcomes[i];
        outcome.handle.host = k_local_host;
        outcome.handle.run_dir = request.run_dir;
        outcome.handle.log_path = request.log_path;
        outcome.error = prepare_launch(request, m_context);
        if (!outcome.error.empty()) continue;
        SpawnedShim spawned = spawn_shim(m_context.shim_path, shim_arguments(request, m_options), request.environment);
        if (!spawned.error.empty()) {
            outcome.error = spawned.error;
            continue;
        }
        fds[i] = spawned.handshake_fd;
        pids[i] = spawned.pid;
    }
    std::vector<Handshake> handshakes = read_handshakes(fds, m_options.handshake_timeout);
    for (std::size_t i = 0; i < requests.size(); ++i) {
        if (pids[i] > 0) apply_handshake(handshakes[i], pids[i], m_options.handshake_timeout, outcomes[i]);
    }
    return outcomes;
}

Inspection LocalRunner::inspect(const InstanceHandle& handle) {
    const std::string path = handle.run_dir.empty() ? std::string() : shim_status_path(handle.run_dir);
    // Liveness first: while the agent the status file named runs, the shim has not rewritten
    // the file, so a watching runner does not look at it again.
    const bool agent_alive = alive(handle.agent);
    std::optional<ShimStatus> status;
    if (!path.empty()) {
        const ShimStatus* cached = agent_alive && m_status_cache ? m_status_cache->while_running(path, handle.agent) : nullptr;
        status = cached ? std::optional<ShimStatus>(*cached) : status_at(path);
    }
    // The status file speaks for this instance when it names the recorded shim (the same
    // incarnation: the shim may since have restarted the agent) or the recorded agent.
    auto describes = [&](const std::optional<ShimStatus>& s) {
        if (!s) return false;
        if (!handle.shim.empty() && same_process(s->shim, handle.shim)) return true;
        return handle.agent.empty() || same_process(s->agent, handle.agent);
    };
    auto with_restarts = [&](Inspection inspection) {
        if (describes(status)) apply_restart_info(*status, inspection);
        return inspection;
    };
    // What the status file proves, if anything: a running agent (perhaps a restarted one, whose
    // own pid + start time is checked), a restart pending, or a recorded exit.
    auto judge = [&]() -> std::optional<Inspection> {
        if (!describes(status)) return std::nullopt;
        Inspection inspection;
        if (!status->exited && restarted_by_shim(*status, handle) && alive(status->agent)) {
            inspection.liveness = Liveness::running;
            inspection.agent = status->agent;
            return with_restarts(inspection);
        }
        if (status->restarting && alive(handle.shim)) {
            inspection = exited_inspection(*status);
            return with_restarts(inspection);
        }
        if (status->exited && !status->restarting) return with_restarts(exited_inspection(*status));
        return std::nullopt;
    };

    if (agent_alive) {
        Inspection inspection;
        inspection.liveness = Liveness::running;
        inspection.agent = handle.agent;
        return with_restarts(inspection);
    }
    reap_if_own_zombie(handle.shim);
    if (auto judged = judge()) return *judged;
    // The agent is gone but its shim may be writing the exit (or the restart) down right now.
    if (describes(status) && alive(handle.shim)) {
        auto deadline = std::chrono::steady_clock::now() + k_status_settle;
        while (std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            status = status_at(path);
            if (auto judged = judge()) return *judged;
        }
    }
    Inspection inspection;
    if (describes(status)) {
        inspection.liveness = Liveness::exited;
        inspection.reason = "the agent (pid " + std::to_string(handle.agent.pid) +
                            ") is gone and its shim recorded no exit (both killed?)";
        return with_restarts(inspection);
    }
    inspection.liveness = Liveness::missing;
    inspection.reason = handle.agent.empty() ? "no agent process was recorded"
                                             : "no process " + std::to_string(handle.agent.pid) +
                                                   " with the recorded start time, and no status file";
    return inspection;
}

StopOutcome LocalRunner::stop(const InstanceHandle& handle, const StopOptions& options) {
    StopOutcome outcome;
    auto signal = options.force ? std::optional<int>(SIGKILL) : signal_number(options.signal);
    if (!signal) {
        outcome.message = "unknown signal " + options.signal;
        return outcome;
    }
    // The stop request comes before any signal: the shim reads it before it would restart, so
    // nothing this stop ends is brought back by the restart policy.
    if (!handle.run_dir.empty()) {
        int fd = ::open(shim_stop_file_path(handle.run_dir).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0) ::close(fd);
    }
    if (util::process_matches(handle.agent)) return stop_running(handle, options, *signal);

    auto status = handle.run_dir.empty() ? std::nullopt : read_shim_status(shim_status_path(handle.run_dir));
    const bool same_shim = status && !handle.shim.empty() && same_process(status->shim, handle.shim);
    // The shim restarted the agent: the one to stop is the new one, proven by its own start time.
    if (same_shim && !status->exited && restarted_by_shim(*status, handle) && util::process_matches(status->agent)) {
        InstanceHandle current = handle;
        current.agent = status->agent;
        return stop_running(current, options, *signal);
    }
    // Waiting out its backoff: wake the shim, which finds the stop request and exits.
    if (same_shim && status->restarting && util::process_matches(handle.shim)) {
        signal_group(handle.shim, SIGTERM);
        wait_until_gone(handle.shim, m_options.shim_exit_wait);
        outcome.stopped = !util::process_matches(handle.shim);
        outcome.message = outcome.stopped ? "stopped while waiting to restart" : "its shim did not exit";
        return outcome;
    }

    // Not running under the recorded identity: never signal. Either it already exited (gone,
    // or its exit is on record), or its pid now belongs to some other process.
    bool exit_recorded = status && status->exited && (same_shim || same_process(status->agent, handle.agent));
    bool pid_reused = !handle.agent.empty() && util::process_start_time(handle.agent.pid).has_value();
    if (pid_reused && !exit_recorded) {
        outcome.refused = true;
        outcome.message = "pid " + std::to_string(handle.agent.pid) +
                          " is no longer the recorded agent (its start time differs); nothing was signalled";
        return outcome;
    }
    // A start that timed out may have left a shim with no agent recorded: stop it too, by its
    // own proven identity (it is the leader of its own process group).
    if (handle.agent.empty() && util::process_matches(handle.shim)) {
        signal_group(handle.shim, SIGTERM);
        if (!wait_until_gone(handle.shim, m_options.shim_exit_wait) && util::process_matches(handle.shim)) {
            signal_group(handle.shim, SIGKILL);
            wait_until_gone(handle.shim, k_after_kill_wait);
        }
        outcome.stopped = !util::process_matches(handle.shim);
        outcome.message = "stopped a shim whose agent never started";
        return outcome;
    }
    wait_until_gone(handle.shim, m_options.shim_exit_wait);
    outcome.stopped = true;
    outcome.message = "already exited";
    return outcome;
}

StopOutcome LocalRunner::stop_running(const InstanceHandle& handle, const StopOptions& options, int signal) {
    StopOutcome outcome;
    signal_group(handle.agent, signal);
    if (options.force) {
        outcome.killed = true;
    } else if (!wait_until_gone(handle.agent, options.timeout)) {
        // Identity is checked again: in the meantime the pid may have been freed and reused.
        if (util::process_matches(handle.agent)) signal_group(handle.agent, SIGKILL);
        outcome.killed = true;
    }
    if (!wait_until_gone(handle.agent, k_after_kill_wait)) {
        outcome.message = "pid " + std::to_string(handle.agent.pid) + " is still running after SIGKILL";
        return outcome;
    }
    // The shim writes the exit down and drains the output (at most 1 s more), then exits.
    if (!wait_until_gone(handle.shim, m_options.shim_exit_wait)) {
        outcome.message = "the agent stopped but its shim (pid " + std::to_string(handle.shim.pid) + ") did not exit";
    }
    outcome.stopped = true;
    return outcome;
}

void LocalRunner::read_logs(const InstanceHandle& handle, const LogOptions& options,
                            const std::function<void(const LogLine&)>& sink) {
    if (handle.log_path.empty()) return;
    read_log(handle.log_path, options, sink);
}

ExecResult LocalRunner::exec(const InstanceHandle& handle, const std::vector<std::string>& argv,
                             util::Millis timeout) {
    LocalCommand command;
    command.argv = argv;
    command.timeout = timeout;
    // As `docker exec` does: the agent's working directory and environment when they are on
    // record, else "/" and agentctl's own environment.
    if (!handle.run_dir.empty()) {
        if (auto launch = read_launch_record(handle.run_dir)) {
            if (!launch->request.workdir.empty()) command.workdir = launch->request.workdir;
            command.environment = launch->request.environment;
        }
    }
    return run_local_command(command);
}

std::string find_shim_executable() {
    auto executable = [](const std::string& path) { return ::access(path.c_str(), X_OK) == 0; };
    char self[4096];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        std::string beside = parent_dir(self) + "/agentctl-shim";
        if (executable(beside)) return beside;
    }
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        auto end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        std::string dir = dirs.substr(start, end - start);
        if (!dir.empty() && executable(dir + "/agentctl-shim")) return dir + "/agentctl-shim";
        start = end + 1;
    }
    return {};
}

std::vector<PreflightProblem> LocalRunner::preflight(const std::vector<LaunchRequest>& requests) {
    return local_preflight(requests);
}

}  // namespace agentctl::runners
