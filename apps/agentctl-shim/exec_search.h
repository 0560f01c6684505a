#pragma once
/* execvp as glibc does it, for the musl-linked shim: the PATH search (default "/bin:/usr/bin"),
 * EACCES remembered over the search, and a file without "#!" that the kernel refuses
 * (ENOEXEC) run by /bin/sh. musl's execvp does not fall back to /bin/sh; agents that relied
 * on it under the glibc shim keep working. Prepared in the parent (it allocates), run in the
 * child between fork and exec (it does not). */

#include <stdbool.h>
#include <stddef.h>

/** Everything the child needs to exec the agent without allocating. */
typedef struct ShimExecPlan {
    char* const* m_argv;     /**< the agent's program and arguments, NULL-terminated */
    const char* m_search;    /**< the PATH to search; NULL when the program names a path */
    char* m_candidate;       /**< room for the longest "<PATH entry>/<program>" */
    char** m_script_argv;    /**< "/bin/sh", <candidate>, argv[1..], NULL */
} ShimExecPlan;

/** Prepares the exec of `argv` (argv[0] looked up in PATH unless it holds a '/'); false (errno
 * ENOMEM) when memory ran out. */
bool shim_exec_plan_init(ShimExecPlan* plan, char* const* argv);

/** In the child: execs the agent with the shim's environment; returns only on failure, with
 * errno saying why. Async-signal-safe. */
void shim_exec_plan_run(const ShimExecPlan* plan);

/** Frees what shim_exec_plan_init allocated. */
void shim_exec_plan_free(ShimExecPlan* plan);
