#include "agent_process.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error_text.h"
#include "exec_search.h"
#include "signal_pipe.h"

/* What the child reports through the error pipe before it _exit()s. */
typedef struct ChildFailure {
    int stage; /* 0: workdir, 1: exec, 2: stdio */
    int error;
} ChildFailure;

static _Noreturn void fail_in_child(int error_fd, int stage) {
    ChildFailure failure = {stage, errno};
    ssize_t ignored = write(error_fd, &failure, sizeof failure);
    (void)ignored;
    _exit(127);
}

/* Runs in the child between clone and exec, in the shim's memory: async-signal-safe system
 * call wrappers only (no malloc, no stdio: every string it needs was prepared by the parent). */
static _Noreturn void exec_child(const ShimExecPlan* plan, const char* workdir, int output_fd, int error_fd) {
    shim_reset_signals_for_child();
    /* Its own group: stop signals go to the agent and its children, never to the shim. */
    setpgid(0, 0);
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(output_fd, 1) < 0 || dup2(output_fd, 2) < 0) {
        fail_in_child(error_fd, 2);
    }
    if (null_fd > 2) close(null_fd);
    if (workdir && chdir(workdir) != 0) fail_in_child(error_fd, 0);
    shim_exec_plan_run(plan);
    fail_in_child(error_fd, 1);
}

/* What exec_child needs, passed through clone(). */
typedef struct ChildArgs {
    const ShimExecPlan* plan;
    const char* workdir;
    int output_fd;
    int error_fd;
} ChildArgs;

static int child_main(void* arg) {
    const ChildArgs* child = arg;
    exec_child(child->plan, child->workdir, child->output_fd, child->error_fd);
}

/* The child's stack while it shares the shim's memory: it only runs until exec, with no large
 * locals (exec_search.c prepared its buffers), so 64 KiB is ample. */
static _Alignas(16) char s_child_stack[64 * 1024];

void shim_spawn_agent(char* const* argv, const char* workdir, ShimSpawnResult* result) {
    result->pid = -1;
    result->output_fd = -1;
    text_clear(&result->error);
    ShimExecPlan plan;
    if (!shim_exec_plan_init(&plan, argv)) {
        text_printf(&result->error, "exec %s: %s", argv[0], shim_error_text(errno));
        return;
    }
    int output[2];
    int errors[2];
    if (pipe2(output, O_CLOEXEC) != 0) {
        text_printf(&result->error, "pipe: %s", shim_error_text(errno));
        shim_exec_plan_free(&plan);
        return;
    }
    if (pipe2(errors, O_CLOEXEC) != 0) {
        text_printf(&result->error, "pipe: %s", shim_error_text(errno));
        close(output[0]);
        close(output[1]);
        shim_exec_plan_free(&plan);
        return;
    }
    /* Signals stay blocked across clone so that no handler runs in the child before it has
     * restored the defaults (it would write into the shim's self-pipe). */
    sigset_t all;
    sigset_t previous;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &previous);
    /* Like vfork (the shim waits until the child has exec'd or failed, which it does anyway):
     * no copy of the shim's page tables, ~50-100 us less per agent than fork on a VM. Its own
     * stack keeps the child from clobbering this frame. */
    ChildArgs child = {&plan, workdir, output[1], errors[1]};
    pid_t pid = clone(child_main, s_child_stack + sizeof s_child_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &child);
    int fork_error = errno;
    shim_exec_plan_free(&plan);
    sigprocmask(SIG_SETMASK, &previous, NULL);
    close(output[1]);
    close(errors[1]);
    if (pid < 0) {
        close(output[0]);
        close(errors[0]);
        text_printf(&result->error, "fork: %s", shim_error_text(fork_error));
        return;
    }
    /* Also from the parent, so the group exists before anyone could signal it (EACCES once the
     * child has exec'd is fine: it did it itself). */
    setpgid(pid, pid);

    ChildFailure failure = {0, 0};
    ssize_t n;
    do {
        n = read(errors[0], &failure, sizeof failure);
    } while (n < 0 && errno == EINTR);
    close(errors[0]);
    if (n == (ssize_t)sizeof failure) {
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        close(output[0]);
        const char* reason = shim_error_text(failure.error);
        if (failure.stage == 0) text_printf(&result->error, "workdir %s: %s", workdir, reason);
        else if (failure.stage == 1) text_printf(&result->error, "exec %s: %s", argv[0], reason);
        else text_printf(&result->error, "stdio: %s", reason);
        /* Out of memory while describing the failure: still a failure, with a short reason. */
        if (result->error.failed) {
            text_clear(&result->error);
            text_puts(&result->error, "exec: out of memory");
        }
        return;
    }
    fcntl(output[0], F_SETFL, fcntl(output[0], F_GETFL) | O_NONBLOCK);
    result->pid = pid;
    result->output_fd = output[0];
}
