#pragma once
// The shim's life: start the agent, hand the handshake to the launcher, copy output into the
// log, forward signals, record the exit.

#include <sys/types.h>

#include <ctime>

#include "agent_process.hpp"
#include "line_buffer.hpp"
#include "log_writer.hpp"
#include "shim_options.hpp"
#include "signal_pipe.hpp"
#include "status_file.hpp"

namespace agentctl::shim {

/// Supervises one agent process; run() returns the shim's exit code.
class Supervisor {
public:
    /// A supervisor for the agent `options` describe.
    explicit Supervisor(ShimOptions options);

    /// Starts the agent, writes the handshake, supervises until the agent exited and its output
    /// is drained; returns the agent's exit status (128 + signal), or 127 if it never started.
    int run();

private:
    bool start_agent();
    /// Makes a freshly spawned agent the one supervised, and describes it in the status.
    void adopt_agent(const SpawnResult& spawned, const timespec& started);
    int fail_start(const std::string& error);
    void handshake_ok();
    void supervise();
    int poll_timeout_ms() const;
    void read_output();
    void close_output();
    void handle_signals();
    void reap_children();
    void record_exit(int wait_status);
    void after_exit(ExitRecord exit);
    long long next_backoff_ms();
    bool stop_requested() const;
    void restart_agent();
    void cancel_restart();

    ShimOptions m_options;
    LogWriter m_log;
    LineBuffer m_lines;
    SignalPipe m_signals;
    ShimStatus m_status;
    pid_t m_agent_pid = -1;       ///< the running agent; -1 once reaped
    int m_output_fd = -1;         ///< the agent's output pipe; -1 at EOF
    long long m_last_output_ms = 0;
    long long m_drain_deadline_ms = -1;  ///< set once the agent exited
    int m_exit_code = 127;
    long long m_agent_started_ms = 0;    ///< monotonic, when the current agent started
    long long m_restart_at_ms = -1;      ///< monotonic, when a pending restart is due; -1: none
    int m_crashes_in_a_row = 0;          ///< exits without k_stable_ms of uptime: the backoff's exponent
    int m_exits = 0;                     ///< exits so far (numbers the status file's history)
    bool m_stop_requested = false;       ///< SIGTERM/SIGINT/SIGQUIT reached the shim itself
};

}  // namespace agentctl::shim
