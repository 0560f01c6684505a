#pragma once
/* The shim's life: start the agent, hand the handshake to the launcher, copy output into the
 * log, forward signals, record the exit, restart by policy. */

#include <stdbool.h>
#include <sys/types.h>

#include "agent_process.h"
#include "line_buffer.h"
#include "log_writer.h"
#include "shim_options.h"
#include "status_file.h"

/** Supervises one agent process (one per shim; lives for the whole run). */
typedef struct ShimSupervisor {
    const ShimOptions* m_options;
    ShimLogWriter m_log;
    ShimLineBuffer m_lines;
    int m_signal_fd;                 /**< read end of the self-pipe */
    ShimStatus m_status;
    ShimSpawnResult m_spawned;       /**< reused for every start */
    pid_t m_agent_pid;               /**< the running agent; -1 once reaped */
    int m_output_fd;                 /**< the agent's output pipe; -1 at EOF */
    long long m_last_output_ms;
    long long m_drain_deadline_ms;   /**< set once the agent exited */
    int m_exit_code;
    long long m_agent_started_ms;    /**< monotonic, when the current agent started */
    long long m_restart_at_ms;       /**< monotonic, when a pending restart is due; -1: none */
    int m_crashes_in_a_row;          /**< exits without k_stable_ms of uptime: the backoff's exponent */
    int m_exits;                     /**< exits so far (numbers the status file's history) */
    bool m_stop_requested;           /**< SIGTERM/SIGINT/SIGQUIT reached the shim itself */
} ShimSupervisor;

/** Starts the agent `options` describe, writes the handshake, supervises until the agent
 * exited (and was not restarted) and its output is drained; returns the agent's exit status
 * (128 + signal), or 127 if it never started. `options` must outlive the call. */
int shim_supervise(const ShimOptions* options);
