#include "supervisor.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent_process.hpp"
#include "proc_stat.hpp"
#include "time_text.hpp"

namespace agentctl::shim {

namespace {

constexpr std::size_t k_max_line = 64 * 1024;
constexpr long long k_partial_flush_ms = 200;  // idle time after which a partial line is written
constexpr long long k_drain_ms = 1000;         // output read after the agent exited (grandchildren)
// An agent that stayed up this long is "stable": its next crash starts the backoff afresh.
constexpr long long k_stable_ms = 10000;

void write_stdout(const std::string& text) {
    const char* data = text.data();
    std::size_t left = text.size();
    while (left > 0) {
        ssize_t n = ::write(1, data, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        data += n;
        left -= static_cast<std::size_t>(n);
    }
}

// The handshake is the only thing the shim ever says on stdout: afterwards nothing may block
// on (or die of) a pipe the launcher has stopped reading.
void detach_stdio() {
    int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0) return;
    ::dup2(null_fd, 0);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
    ::close(null_fd);
}

const char* signal_name(int signal) {
    switch (signal) {
        case SIGTERM: return "SIGTERM";
        case SIGINT: return "SIGINT";
        case SIGHUP: return "SIGHUP";
        case SIGQUIT: return "SIGQUIT";
        case SIGUSR1: return "SIGUSR1";
        case SIGUSR2: return "SIGUSR2";
        case SIGKILL: return "SIGKILL";
        case SIGSEGV: return "SIGSEGV";
        case SIGABRT: return "SIGABRT";
        default: return nullptr;
    }
}

std::string describe_signal(int signal) {
    const char* name = signal_name(signal);
    return name ? std::string(name) : "signal " + std::to_string(signal);
}

}  // namespace

Supervisor::Supervisor(ShimOptions options)
    : m_options(std::move(options)),
      m_log(m_options.log_path, m_options.log_max_bytes, m_options.log_keep),
      m_lines(k_max_line) {
    m_status.shim_pid = ::getpid();
    m_status.shim_start = process_start_time(::getpid());
    m_status.restart_policy = m_options.restart;
}

int Supervisor::run() {
    // A session of its own (the launcher may already have made one): no terminal, and a
    // Ctrl-C in the launcher's terminal never reaches it.
    if (::getsid(0) != ::getpid()) ::setsid();
    // Orphaned grandchildren (an agent's daemonised helpers) are re-parented to the shim, which
    // reaps them while it lives, as containerd-shim does; afterwards they pass on to init.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    if (!m_signals.install()) return fail_start(std::string("signals: ") + std::strerror(errno));
    std::string error = m_log.open();
    if (!error.empty()) return fail_start(error);
    if (!start_agent()) return m_exit_code;
    handshake_ok();
    supervise();
    return m_exit_code;
}

bool Supervisor::start_agent() {
    timespec started = wall_clock_now();
    SpawnResult spawned = spawn_agent(m_options.argv, m_options.workdir);
    if (!spawned.error.empty()) {
        m_log.note(spawned.error);
        fail_start(spawned.error);
        return false;
    }
    adopt_agent(spawned, started);
    std::string error = write_status_file(m_options.status_path, m_status);
    if (!error.empty()) {
        // Without a status file agentctl could never learn how the agent ended: do not run it.
        ::kill(-spawned.pid, SIGKILL);
        while (::waitpid(spawned.pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        ::close(m_output_fd);
        m_output_fd = -1;
        m_agent_pid = -1;
        m_log.note(error);
        fail_start(error);
        return false;
    }
    m_log.note("started " + m_options.argv[0] + " as pid " + std::to_string(spawned.pid));
    return true;
}

int Supervisor::fail_start(const std::string& error) {
    timespec now = wall_clock_now();
    m_status.agent_pid = 0;
    m_status.agent_start = 0;
    m_status.exited = true;
    if (m_status.started_at.empty()) m_status.started_at = utc_millis(now);
    m_status.exit_status = 127;
    m_status.signal.reset();
    m_status.exited_at = utc_millis(now);
    m_status.error = error;
    if (!m_options.status_path.empty()) write_status_file(m_options.status_path, m_status);
    write_stdout("error " + error + "\n");
    m_exit_code = 127;
    return m_exit_code;
}

void Supervisor::handshake_ok() {
    write_stdout("ok " + std::to_string(m_status.shim_pid) + " " + std::to_string(m_status.shim_start) + " " +
                 std::to_string(m_status.agent_pid) + " " + std::to_string(m_status.agent_start) + "\n");
    detach_stdio();
}

// One loop for the whole life: record_exit() decides between "drain and finish" and a restart
// after the backoff, which this loop starts when it is due.
void Supervisor::supervise() {
    for (;;) {
        if (m_restart_at_ms >= 0 && monotonic_ms() >= m_restart_at_ms) {
            if (stop_requested()) cancel_restart();
            else restart_agent();
        }
        bool agent_gone = m_agent_pid < 0 && m_restart_at_ms < 0;
        if (agent_gone && (m_output_fd < 0 || monotonic_ms() >= m_drain_deadline_ms)) break;
        pollfd fds[2];
        nfds_t count = 0;
        fds[count++] = pollfd{m_signals.fd(), POLLIN, 0};
        if (m_output_fd >= 0) fds[count++] = pollfd{m_output_fd, POLLIN, 0};
        int ready = ::poll(fds, count, poll_timeout_ms());
        if (ready < 0 && errno != EINTR) break;
        if (ready > 0 && fds[0].revents) handle_signals();
        if (count > 1 && ready > 0 && fds[1].revents && m_output_fd >= 0) read_output();
        if (m_lines.pending() && monotonic_ms() - m_last_output_ms >= k_partial_flush_ms) {
            m_lines.flush([this](std::string_view line) { m_log.write_line(line); });
        }
    }
    close_output();
}

int Supervisor::poll_timeout_ms() const {
    long long timeout = -1;
    long long now = monotonic_ms();
    if (m_lines.pending()) timeout = std::max(0LL, m_last_output_ms + k_partial_flush_ms - now);
    if (m_agent_pid < 0 && m_output_fd >= 0 && m_drain_deadline_ms >= 0) {
        long long left = std::max(0LL, m_drain_deadline_ms - now);
        timeout = timeout < 0 ? left : std::min(timeout, left);
    }
    if (m_restart_at_ms >= 0) {
        long long left = std::max(0LL, m_restart_at_ms - now);
        timeout = timeout < 0 ? left : std::min(timeout, left);
    }
    return static_cast<int>(timeout);
}

void Supervisor::read_output() {
    char buffer[65536];
    for (;;) {
        ssize_t n = ::read(m_output_fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n <= 0) {
            close_output();
            return;
        }
        m_last_output_ms = monotonic_ms();
        m_lines.feed(buffer, static_cast<std::size_t>(n), [this](std::string_view line) { m_log.write_line(line); });
    }
}

void Supervisor::close_output() {
    m_lines.flush([this](std::string_view line) { m_log.write_line(line); });
    if (m_output_fd >= 0) ::close(m_output_fd);
    m_output_fd = -1;
}

void Supervisor::handle_signals() {
    std::vector<int> signals = m_signals.take();
    // Forwarded signals first: a stop request that arrived together with the agent's death must
    // be known before that death is judged for a restart.
    for (int signal : signals) {
        if (signal == SIGCHLD) continue;
        if (signal == SIGTERM || signal == SIGINT || signal == SIGQUIT) m_stop_requested = true;
        if (m_agent_pid > 0) {
            // Only while the agent is unreaped: its pid, and so its group id, cannot be reused.
            m_log.note("forwarding " + describe_signal(signal) + " to process group " + std::to_string(m_agent_pid));
            ::kill(-m_agent_pid, signal);
        }
    }
    if (std::find(signals.begin(), signals.end(), SIGCHLD) != signals.end()) reap_children();
    if (m_restart_at_ms >= 0 && stop_requested()) cancel_restart();
}

void Supervisor::reap_children() {
    // Every exited child: the agent, and grandchildren re-parented to the subreaper.
    for (;;) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid < 0 && errno == EINTR) continue;
        if (pid <= 0) return;
        if (pid == m_agent_pid) record_exit(status);
    }
}

void Supervisor::record_exit(int wait_status) {
    m_agent_pid = -1;
    m_status.exited = true;
    m_status.exited_at = utc_millis(wall_clock_now());
    std::string note;
    if (WIFSIGNALED(wait_status)) {
        int signal = WTERMSIG(wait_status);
        m_status.exit_status = 128 + signal;
        m_status.signal = signal;
        note = "agent killed by " + describe_signal(signal) + " (exit status " + std::to_string(128 + signal) + ")";
    } else {
        m_status.exit_status = WEXITSTATUS(wait_status);
        m_status.signal.reset();
        note = "agent exited with status " + std::to_string(*m_status.exit_status);
    }
    m_exit_code = *m_status.exit_status;
    m_status.last_exit_status = m_status.exit_status;
    m_status.last_exited_at = m_status.exited_at;
    // Output the agent wrote before it died goes into the log before the note about its death.
    if (m_output_fd >= 0) read_output();
    m_lines.flush([this](std::string_view line) { m_log.write_line(line); });
    m_log.note(note);
    ExitRecord exit;
    exit.pid = m_status.agent_pid;
    exit.exit_status = *m_status.exit_status;
    exit.signal = m_status.signal;
    exit.exited_at = m_status.exited_at;
    after_exit(std::move(exit));
}

bool Supervisor::stop_requested() const {
    return m_stop_requested || (!m_options.stop_file.empty() && ::access(m_options.stop_file.c_str(), F_OK) == 0);
}

long long Supervisor::next_backoff_ms() {
    if (monotonic_ms() - m_agent_started_ms >= k_stable_ms) m_crashes_in_a_row = 0;
    long long delay = m_options.backoff_ms;
    for (int i = 0; i < m_crashes_in_a_row && delay < m_options.max_backoff_ms; ++i) delay *= 2;
    ++m_crashes_in_a_row;
    return std::min(delay, m_options.max_backoff_ms);
}

// The restart policy, applied where the exit is recorded: a restart after the backoff, or the
// end (drain the output, then exit with the agent's status).
void Supervisor::after_exit(ExitRecord exit) {
    exit.number = ++m_exits;
    const bool wanted = m_options.restart == "always" || (m_options.restart == "on-failure" && exit.exit_status != 0);
    if (stop_requested()) {
        exit.action = "stop";
    } else if (!wanted) {
        exit.action = "none";
    } else if (m_status.restarts >= m_options.max_restarts) {
        exit.action = "give-up";
        m_status.failed = true;
        m_log.note("not restarting: max_restarts (" + std::to_string(m_options.max_restarts) + ") reached");
    } else {
        exit.action = "restart";
        long long delay = next_backoff_ms();
        m_restart_at_ms = monotonic_ms() + delay;
        timespec due = wall_clock_now();
        due.tv_sec += static_cast<time_t>(delay / 1000);
        due.tv_nsec += static_cast<long>((delay % 1000) * 1000000);
        if (due.tv_nsec >= 1000000000L) {
            due.tv_sec += 1;
            due.tv_nsec -= 1000000000L;
        }
        m_status.restarting = true;
        m_status.next_restart_at = utc_millis(due);
        m_log.note("restarting in " + std::to_string(delay) + "ms (restart " + std::to_string(m_status.restarts + 1) +
                   " of " + std::to_string(m_options.max_restarts) + ")");
    }
    m_status.history.push_back(std::move(exit));
    if (m_status.history.size() > k_history_kept) m_status.history.erase(m_status.history.begin());
    write_status_file(m_options.status_path, m_status);
    if (m_restart_at_ms >= 0) {
        // The next agent gets a pipe of its own; a grandchild still holding the old one loses
        // whatever it writes later.
        close_output();
    } else {
        m_drain_deadline_ms = monotonic_ms() + k_drain_ms;
    }
}

void Supervisor::cancel_restart() {
    m_restart_at_ms = -1;
    m_status.restarting = false;
    m_status.next_restart_at.clear();
    if (!m_status.history.empty() && m_status.history.back().action == "restart") m_status.history.back().action = "stop";
    m_log.note("stop requested: not restarting");
    write_status_file(m_options.status_path, m_status);
    m_drain_deadline_ms = monotonic_ms();
}

void Supervisor::adopt_agent(const SpawnResult& spawned, const timespec& started) {
    m_agent_pid = spawned.pid;
    m_output_fd = spawned.output_fd;
    m_drain_deadline_ms = -1;
    m_agent_started_ms = monotonic_ms();
    m_status.agent_pid = spawned.pid;
    m_status.agent_start = process_start_time(spawned.pid);
    m_status.exited = false;
    m_status.started_at = utc_millis(started);
    m_status.exit_status.reset();
    m_status.signal.reset();
    m_status.exited_at.clear();
    m_status.error.clear();
}

void Supervisor::restart_agent() {
    m_restart_at_ms = -1;
    m_status.restarting = false;
    m_status.next_restart_at.clear();
    m_status.restarts += 1;
    timespec started = wall_clock_now();
    SpawnResult spawned = spawn_agent(m_options.argv, m_options.workdir);
    if (!spawned.error.empty()) {
        // A restart that cannot even exec counts as an exit with 127, judged like any other.
        m_log.note(spawned.error);
        m_status.agent_pid = 0;
        m_status.agent_start = 0;
        m_status.exited = true;
        m_status.exit_status = 127;
        m_status.signal.reset();
        m_status.exited_at = utc_millis(started);
        m_status.last_exit_status = 127;
        m_status.last_exited_at = m_status.exited_at;
        m_status.error = spawned.error;
        m_exit_code = 127;
        if (!m_status.history.empty()) m_status.history.back().restarted_at = utc_millis(started);
        m_agent_started_ms = monotonic_ms();
        ExitRecord exit;
        exit.exit_status = 127;
        exit.exited_at = m_status.exited_at;
        after_exit(std::move(exit));
        return;
    }
    adopt_agent(spawned, started);
    if (!m_status.history.empty()) {
        m_status.history.back().restarted_at = m_status.started_at;
        m_status.history.back().new_pid = spawned.pid;
    }
    write_status_file(m_options.status_path, m_status);
    m_log.note("restarted " + m_options.argv[0] + " as pid " + std::to_string(spawned.pid) + " (restart " +
               std::to_string(m_status.restarts) + ")");
}

}  // namespace agentctl::shim
