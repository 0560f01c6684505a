#include "exec_search.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char** environ;

/* glibc's confstr(_CS_PATH): the search path when PATH is unset. */
static const char k_default_search[] = "/bin:/usr/bin";
static const char k_shell[] = "/bin/sh";

bool shim_exec_plan_init(ShimExecPlan* plan, char* const* argv) {
    *plan = (ShimExecPlan){.m_argv = argv};
    size_t argc = 0;
    while (argv[argc]) ++argc;
    size_t file_len = strlen(argv[0]);
    if (!strchr(argv[0], '/')) {
        const char* path = getenv("PATH");
        plan->m_search = path ? path : k_default_search;
    }
    size_t room = (plan->m_search ? strlen(plan->m_search) + 1 : 0) + file_len + 1;
    plan->m_candidate = malloc(room);
    /* "/bin/sh", the file, argv[1..argc-1], NULL. */
    plan->m_script_argv = calloc(argc + 2, sizeof(char*));
    if (!plan->m_candidate || !plan->m_script_argv) {
        shim_exec_plan_free(plan);
        errno = ENOMEM;
        return false;
    }
    plan->m_script_argv[0] = (char*)k_shell;
    for (size_t i = 1; i < argc; ++i) plan->m_script_argv[i + 1] = argv[i];
    return true;
}

/* execve(file), and, when the kernel does not know the format, /bin/sh reading it as a script. */
static void exec_file(const ShimExecPlan* plan, char* file) {
    execve(file, plan->m_argv, environ);
    if (errno != ENOEXEC) return;
    plan->m_script_argv[1] = file;
    execve(k_shell, plan->m_script_argv, environ);
}

void shim_exec_plan_run(const ShimExecPlan* plan) {
    const char* file = plan->m_argv[0];
    if (!plan->m_search) {
        memcpy(plan->m_candidate, file, strlen(file) + 1);
        exec_file(plan, plan->m_candidate);
        return;
    }
    size_t file_len = strlen(file);
    if (file_len == 0) {
        errno = ENOENT;
        return;
    }
    if (file_len > NAME_MAX) {
        errno = ENAMETOOLONG;
        return;
    }
    bool denied = false;
    for (const char* entry = plan->m_search;;) {
        const char* end = strchr(entry, ':');
        if (!end) end = entry + strlen(entry);
        size_t entry_len = (size_t)(end - entry);
        /* An entry the kernel would refuse is skipped; an empty one means the current directory. */
        if (entry_len < PATH_MAX) {
            memcpy(plan->m_candidate, entry, entry_len);
            size_t at = entry_len;
            if (entry_len > 0) plan->m_candidate[at++] = '/';
            memcpy(plan->m_candidate + at, file, file_len + 1);
            exec_file(plan, plan->m_candidate);
            switch (errno) {
                case EACCES: denied = true; break;
                case ENOENT:
                case ESTALE:
                case ENOTDIR:
                case ENODEV:
                case ETIMEDOUT: break;
                default: return;
            }
        }
        if (*end == '\0') break;
        entry = end + 1;
    }
    /* A program found but not executable says more than "not found" in a later entry. */
    if (denied) errno = EACCES;
}

void shim_exec_plan_free(ShimExecPlan* plan) {
    free(plan->m_candidate);
    free(plan->m_script_argv);
    plan->m_candidate = NULL;
    plan->m_script_argv = NULL;
}
