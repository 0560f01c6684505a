#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error_text.h"
#include "proc_stat.h"
#include "signal_pipe.h"
#include "time_text.h"

enum {
    k_max_line = 64 * 1024,
};
static const long long k_partial_flush_ms = 200; /* idle time after which a partial line is written */
static const long long k_drain_ms = 1000;        /* output read after the agent exited (grandchildren) */
/* An agent that stayed up this long is "stable": its next crash starts the backoff afresh. */
static const long long k_stable_ms = 10000;

static void write_stdout(const char* data, size_t left) {
    while (left > 0) {
        ssize_t n = write(1, data, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        data += n;
        left -= (size_t)n;
    }
}

/* The handshake is the only thing the shim ever says on stdout: afterwards nothing may block
 * on (or die of) a pipe the launcher has stopped reading. */
static void detach_stdio(void) {
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0) return;
    dup2(null_fd, 0);
    dup2(null_fd, 1);
    dup2(null_fd, 2);
    close(null_fd);
}

static const char* signal_name(int signal) {
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
        default: return NULL;
    }
}

/* "SIGTERM", or "signal 34" for a signal without a name here. */
static const char* describe_signal(int signal, char buffer[32]) {
    const char* name = signal_name(signal);
    if (name) return name;
    snprintf(buffer, 32, "signal %d", signal);
    return buffer;
}

static void log_line_sink(void* context, const char* line, size_t size) {
    shim_log_write_line((ShimLogWriter*)context, line, size);
}

static void flush_lines(ShimSupervisor* s) { shim_line_buffer_flush(&s->m_lines, log_line_sink, &s->m_log); }

static void set_stamp(char out[SHIM_STAMP_SIZE], const struct timespec* time) { shim_utc_millis(time, out); }

static int fail_start(ShimSupervisor* s, const char* error) {
    struct timespec now = shim_wall_clock_now();
    ShimStatus* status = &s->m_status;
    status->agent_pid = 0;
    status->agent_start = 0;
    status->exited = true;
    if (!status->started_at[0]) set_stamp(status->started_at, &now);
    status->exit_status = 127;
    status->signal = -1;
    set_stamp(status->exited_at, &now);
    if (error != text_str(&status->error)) {
        text_clear(&status->error);
        text_puts(&status->error, error);
    }
    shim_write_status_file(s->m_options->status_path, status, NULL);
    TextBuffer line = TEXT_BUFFER_INIT;
    text_printf(&line, "error %s\n", error);
    /* Out of memory: a shorter line still tells the launcher that the start failed. */
    if (line.failed) write_stdout("error out of memory\n", 20);
    else write_stdout(line.data, line.len);
    text_free(&line);
    s->m_exit_code = 127;
    return s->m_exit_code;
}

static void handshake_ok(ShimSupervisor* s) {
    char line[128];
    int size = snprintf(line, sizeof line, "ok %ld %llu %ld %llu\n", s->m_status.shim_pid,
                        (unsigned long long)s->m_status.shim_start, s->m_status.agent_pid,
                        (unsigned long long)s->m_status.agent_start);
    write_stdout(line, (size_t)size);
    detach_stdio();
}

/* Makes a freshly spawned agent the one supervised, and describes it in the status. */
static void adopt_agent(ShimSupervisor* s, const struct timespec* started) {
    ShimStatus* status = &s->m_status;
    s->m_agent_pid = s->m_spawned.pid;
    s->m_output_fd = s->m_spawned.output_fd;
    s->m_drain_deadline_ms = -1;
    s->m_agent_started_ms = shim_monotonic_ms();
    status->agent_pid = s->m_spawned.pid;
    status->agent_start = shim_process_start_time(s->m_spawned.pid);
    status->exited = false;
    set_stamp(status->started_at, started);
    status->exit_status = -1;
    status->signal = -1;
    status->exited_at[0] = '\0';
    text_clear(&status->error);
}

static bool start_agent(ShimSupervisor* s) {
    struct timespec started = shim_wall_clock_now();
    shim_spawn_agent(s->m_options->argv, s->m_options->workdir, &s->m_spawned);
    if (s->m_spawned.pid < 0) {
        shim_log_note(&s->m_log, "%s", text_str(&s->m_spawned.error));
        fail_start(s, text_str(&s->m_spawned.error));
        return false;
    }
    adopt_agent(s, &started);
    TextBuffer error = TEXT_BUFFER_INIT;
    if (!shim_write_status_file(s->m_options->status_path, &s->m_status, &error)) {
        /* Without a status file agentctl could never learn how the agent ended: do not run it. */
        kill(-s->m_spawned.pid, SIGKILL);
        while (waitpid(s->m_spawned.pid, NULL, 0) < 0 && errno == EINTR) {
        }
        close(s->m_output_fd);
        s->m_output_fd = -1;
        s->m_agent_pid = -1;
        shim_log_note(&s->m_log, "%s", text_str(&error));
        fail_start(s, text_str(&error));
        text_free(&error);
        return false;
    }
    shim_log_note(&s->m_log, "started %s as pid %ld", s->m_options->argv[0], (long)s->m_spawned.pid);
    return true;
}

static void close_output(ShimSupervisor* s) {
    flush_lines(s);
    if (s->m_output_fd >= 0) close(s->m_output_fd);
    s->m_output_fd = -1;
}

static void read_output(ShimSupervisor* s) {
    static char buffer[65536];
    for (;;) {
        ssize_t n = read(s->m_output_fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n <= 0) {
            close_output(s);
            return;
        }
        s->m_last_output_ms = shim_monotonic_ms();
        shim_line_buffer_feed(&s->m_lines, buffer, (size_t)n, log_line_sink, &s->m_log);
    }
}

static bool stop_requested(const ShimSupervisor* s) {
    return s->m_stop_requested || (s->m_options->stop_file && access(s->m_options->stop_file, F_OK) == 0);
}

static long long next_backoff_ms(ShimSupervisor* s) {
    if (shim_monotonic_ms() - s->m_agent_started_ms >= k_stable_ms) s->m_crashes_in_a_row = 0;
    long long delay = s->m_options->backoff_ms;
    for (int i = 0; i < s->m_crashes_in_a_row && delay < s->m_options->max_backoff_ms; ++i) delay *= 2;
    ++s->m_crashes_in_a_row;
    return delay < s->m_options->max_backoff_ms ? delay : s->m_options->max_backoff_ms;
}

/* The restart policy, applied where the exit is recorded: a restart after the backoff, or the
 * end (drain the output, then exit with the agent's status). */
static void after_exit(ShimSupervisor* s, ShimExitRecord* exit) {
    const ShimOptions* options = s->m_options;
    ShimStatus* status = &s->m_status;
    exit->number = ++s->m_exits;
    const bool wanted = strcmp(options->restart, "always") == 0 ||
                        (strcmp(options->restart, "on-failure") == 0 && exit->exit_status != 0);
    if (stop_requested(s)) {
        exit->action = "stop";
    } else if (!wanted) {
        exit->action = "none";
    } else if (status->restarts >= options->max_restarts) {
        exit->action = "give-up";
        status->failed = true;
        shim_log_note(&s->m_log, "not restarting: max_restarts (%d) reached", options->max_restarts);
    } else {
        exit->action = "restart";
        long long delay = next_backoff_ms(s);
        s->m_restart_at_ms = shim_monotonic_ms() + delay;
        struct timespec due = shim_wall_clock_now();
        due.tv_sec += (time_t)(delay / 1000);
        due.tv_nsec += (long)((delay % 1000) * 1000000);
        if (due.tv_nsec >= 1000000000L) {
            due.tv_sec += 1;
            due.tv_nsec -= 1000000000L;
        }
        status->restarting = true;
        set_stamp(status->next_restart_at, &due);
        shim_log_note(&s->m_log, "restarting in %lldms (restart %d of %d)", delay, status->restarts + 1,
                      options->max_restarts);
    }
    shim_status_add_exit(status, exit);
    shim_write_status_file(options->status_path, status, NULL);
    if (s->m_restart_at_ms >= 0) {
        /* The next agent gets a pipe of its own; a grandchild still holding the old one loses
         * whatever it writes later. */
        close_output(s);
    } else {
        s->m_drain_deadline_ms = shim_monotonic_ms() + k_drain_ms;
    }
}

static void record_exit(ShimSupervisor* s, int wait_status) {
    ShimStatus* status = &s->m_status;
    char name[32];
    s->m_agent_pid = -1;
    status->exited = true;
    struct timespec now = shim_wall_clock_now();
    set_stamp(status->exited_at, &now);
    if (WIFSIGNALED(wait_status)) {
        int signal = WTERMSIG(wait_status);
        status->exit_status = 128 + signal;
        status->signal = signal;
    } else {
        status->exit_status = WEXITSTATUS(wait_status);
        status->signal = -1;
    }
    s->m_exit_code = status->exit_status;
    status->last_exit_status = status->exit_status;
    memcpy(status->last_exited_at, status->exited_at, sizeof status->exited_at);
    /* Output the agent wrote before it died goes into the log before the note about its death. */
    if (s->m_output_fd >= 0) read_output(s);
    flush_lines(s);
    if (status->signal >= 0) {
        shim_log_note(&s->m_log, "agent killed by %s (exit status %d)", describe_signal(status->signal, name),
                      status->exit_status);
    } else {
        shim_log_note(&s->m_log, "agent exited with status %d", status->exit_status);
    }
    ShimExitRecord exit = {0};
    exit.pid = status->agent_pid;
    exit.exit_status = status->exit_status;
    exit.signal = status->signal;
    memcpy(exit.exited_at, status->exited_at, sizeof exit.exited_at);
    after_exit(s, &exit);
}

static void reap_children(ShimSupervisor* s) {
    /* Every exited child: the agent, and grandchildren re-parented to the subreaper. */
    for (;;) {
        int status = 0;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid < 0 && errno == EINTR) continue;
        if (pid <= 0) return;
        if (pid == s->m_agent_pid) record_exit(s, status);
    }
}

static void cancel_restart(ShimSupervisor* s) {
    ShimStatus* status = &s->m_status;
    s->m_restart_at_ms = -1;
    status->restarting = false;
    status->next_restart_at[0] = '\0';
    ShimExitRecord* last = shim_status_last_exit(status);
    if (last && strcmp(last->action, "restart") == 0) last->action = "stop";
    shim_log_note(&s->m_log, "stop requested: not restarting");
    shim_write_status_file(s->m_options->status_path, status, NULL);
    s->m_drain_deadline_ms = shim_monotonic_ms();
}

static void handle_signals(ShimSupervisor* s) {
    unsigned char signals[64];
    bool child_exited = false;
    size_t count;
    char name[32];
    /* Forwarded signals first: a stop request that arrived together with the agent's death must
     * be known before that death is judged for a restart. */
    while ((count = shim_signal_pipe_take(s->m_signal_fd, signals, sizeof signals)) > 0) {
        for (size_t i = 0; i < count; ++i) {
            int signal = signals[i];
            if (signal == SIGCHLD) {
                child_exited = true;
                continue;
            }
            if (signal == SIGTERM || signal == SIGINT || signal == SIGQUIT) s->m_stop_requested = true;
            if (s->m_agent_pid > 0) {
                /* Only while the agent is unreaped: its pid, and so its group id, cannot be reused. */
                shim_log_note(&s->m_log, "forwarding %s to process group %ld", describe_signal(signal, name),
                              (long)s->m_agent_pid);
                kill(-s->m_agent_pid, signal);
            }
        }
    }
    if (child_exited) reap_children(s);
    if (s->m_restart_at_ms >= 0 && stop_requested(s)) cancel_restart(s);
}

static void restart_agent(ShimSupervisor* s) {
    ShimStatus* status = &s->m_status;
    s->m_restart_at_ms = -1;
    status->restarting = false;
    status->next_restart_at[0] = '\0';
    status->restarts += 1;
    struct timespec started = shim_wall_clock_now();
    shim_spawn_agent(s->m_options->argv, s->m_options->workdir, &s->m_spawned);
    ShimExitRecord* last = shim_status_last_exit(status);
    if (s->m_spawned.pid < 0) {
        /* A restart that cannot even exec counts as an exit with 127, judged like any other. */
        const char* error = text_str(&s->m_spawned.error);
        shim_log_note(&s->m_log, "%s", error);
        status->agent_pid = 0;
        status->agent_start = 0;
        status->exited = true;
        status->exit_status = 127;
        status->signal = -1;
        set_stamp(status->exited_at, &started);
        status->last_exit_status = 127;
        memcpy(status->last_exited_at, status->exited_at, sizeof status->exited_at);
        text_clear(&status->error);
        text_puts(&status->error, error);
        s->m_exit_code = 127;
        if (last) set_stamp(last->restarted_at, &started);
        s->m_agent_started_ms = shim_monotonic_ms();
        ShimExitRecord exit = {0};
        exit.exit_status = 127;
        exit.signal = -1;
        memcpy(exit.exited_at, status->exited_at, sizeof exit.exited_at);
        after_exit(s, &exit);
        return;
    }
    adopt_agent(s, &started);
    if (last) {
        memcpy(last->restarted_at, status->started_at, sizeof last->restarted_at);
        last->new_pid = s->m_spawned.pid;
    }
    shim_write_status_file(s->m_options->status_path, status, NULL);
    shim_log_note(&s->m_log, "restarted %s as pid %ld (restart %d)", s->m_options->argv[0], (long)s->m_spawned.pid,
                  status->restarts);
}

static int poll_timeout_ms(const ShimSupervisor* s) {
    long long timeout = -1;
    long long now = shim_monotonic_ms();
    if (shim_line_buffer_pending(&s->m_lines)) {
        timeout = s->m_last_output_ms + k_partial_flush_ms - now;
        if (timeout < 0) timeout = 0;
    }
    if (s->m_agent_pid < 0 && s->m_output_fd >= 0 && s->m_drain_deadline_ms >= 0) {
        long long left = s->m_drain_deadline_ms - now;
        if (left < 0) left = 0;
        timeout = timeout < 0 || left < timeout ? left : timeout;
    }
    if (s->m_restart_at_ms >= 0) {
        long long left = s->m_restart_at_ms - now;
        if (left < 0) left = 0;
        timeout = timeout < 0 || left < timeout ? left : timeout;
    }
    return (int)timeout;
}

/* One loop for the whole life: record_exit() decides between "drain and finish" and a restart
 * after the backoff, which this loop starts when it is due. */
static void supervise(ShimSupervisor* s) {
    for (;;) {
        if (s->m_restart_at_ms >= 0 && shim_monotonic_ms() >= s->m_restart_at_ms) {
            if (stop_requested(s)) cancel_restart(s);
            else restart_agent(s);
        }
        bool agent_gone = s->m_agent_pid < 0 && s->m_restart_at_ms < 0;
        if (agent_gone && (s->m_output_fd < 0 || shim_monotonic_ms() >= s->m_drain_deadline_ms)) break;
        struct pollfd fds[2];
        nfds_t count = 0;
        fds[count++] = (struct pollfd){s->m_signal_fd, POLLIN, 0};
        if (s->m_output_fd >= 0) fds[count++] = (struct pollfd){s->m_output_fd, POLLIN, 0};
        int ready = poll(fds, count, poll_timeout_ms(s));
        if (ready < 0 && errno != EINTR) break;
        if (ready > 0 && fds[0].revents) handle_signals(s);
        if (count > 1 && ready > 0 && fds[1].revents && s->m_output_fd >= 0) read_output(s);
        if (shim_line_buffer_pending(&s->m_lines) && shim_monotonic_ms() - s->m_last_output_ms >= k_partial_flush_ms) {
            flush_lines(s);
        }
    }
    close_output(s);
}

static int run(ShimSupervisor* s) {
    /* A session of its own (the launcher may already have made one): no terminal, and a
     * Ctrl-C in the launcher's terminal never reaches it. */
    if (getsid(0) != getpid()) setsid();
    /* Orphaned grandchildren (an agent's daemonised helpers) are re-parented to the shim, which
     * reaps them while it lives, as containerd-shim does; afterwards they pass on to init. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    TextBuffer error = TEXT_BUFFER_INIT;
    int code;
    s->m_signal_fd = shim_signal_pipe_install();
    if (s->m_signal_fd < 0) {
        text_printf(&error, "signals: %s", shim_error_text(errno));
        code = fail_start(s, text_str(&error));
    } else if (!shim_line_buffer_init(&s->m_lines, k_max_line)) {
        code = fail_start(s, "line buffer: out of memory");
    } else if (!shim_log_open(&s->m_log, &error)) {
        code = fail_start(s, text_str(&error));
    } else if (!start_agent(s)) {
        code = s->m_exit_code;
    } else {
        handshake_ok(s);
        supervise(s);
        code = s->m_exit_code;
    }
    text_free(&error);
    return code;
}

int shim_supervise(const ShimOptions* options) {
    static ShimSupervisor s;
    s.m_options = options;
    shim_log_init(&s.m_log, options->log_path, options->log_max_bytes, options->log_keep);
    s.m_signal_fd = -1;
    shim_status_init(&s.m_status);
    s.m_status.shim_pid = (long)getpid();
    s.m_status.shim_start = shim_process_start_time(getpid());
    s.m_status.restart_policy = options->restart;
    s.m_agent_pid = -1;
    s.m_output_fd = -1;
    s.m_drain_deadline_ms = -1;
    s.m_exit_code = 127;
    s.m_restart_at_ms = -1;
    int code = run(&s);
    shim_log_close(&s.m_log);
    return code;
}
