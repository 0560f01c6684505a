#pragma once
/* Signals turned into bytes on a pipe (the self-pipe trick), so the main loop's poll() sees
 * them and no work is done inside a handler. */

#include <stdbool.h>
#include <stddef.h>

/** The signals the shim forwards to the agent's process group, and their count. */
extern const int k_shim_forwarded_signals[];
extern const size_t k_shim_forwarded_count;

/** Creates the self-pipe (one per process) and installs handlers for the forwarded signals and
 * SIGCHLD; ignores SIGPIPE. Returns the read end for poll(), or -1 (errno set) on failure. */
int shim_signal_pipe_install(void);

/** Reads, without blocking, up to `capacity` signals received since the last call into
 * `signals`; returns how many (0: none waiting). */
size_t shim_signal_pipe_take(int read_fd, unsigned char* signals, size_t capacity);

/** In a freshly forked child: every signal the shim handles or ignores back to its default,
 * and the mask cleared, so the agent starts as if launched directly (async-signal-safe). */
void shim_reset_signals_for_child(void);
