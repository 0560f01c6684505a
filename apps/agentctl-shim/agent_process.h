#pragma once
/* Starting the agent: clone (vfork-like), its own process group, stdin /dev/null, stdout and
 * stderr into one pipe to the shim, exec; an exec failure comes back through a close-on-exec
 * error pipe. */

#include <sys/types.h>

#include "text_buffer.h"

/** A started agent, or why it could not start. */
typedef struct ShimSpawnResult {
    pid_t pid;        /**< also its process group id; -1 when it did not start */
    int output_fd;    /**< read end of its stdout+stderr pipe (non-blocking, close-on-exec) */
    TextBuffer error; /**< "exec PROG: reason" / "workdir DIR: reason"; empty on success */
} ShimSpawnResult;

/** Forks and execs `argv` (NULL-terminated, PATH searched as glibc's execvp does) in `workdir` (NULL: the shim's),
 * with the shim's own environment. Returns once the exec succeeded or failed (result->pid < 0
 * and the reason in result->error); a failed child is already reaped. */
void shim_spawn_agent(char* const* argv, const char* workdir, ShimSpawnResult* result);
