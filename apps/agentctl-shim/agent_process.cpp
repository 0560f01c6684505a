#include "agent_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "signal_pipe.hpp"

namespace agentctl::shim {

namespace {

// What the child reports through the error pipe before it _exit()s.
struct ChildFailure {
    int stage;  // 0: workdir, 1: exec, 2: stdio
    int error;
};

[[noreturn]] void fail_in_child(int error_fd, int stage) {
    ChildFailure failure{stage, errno};
    [[maybe_unused]] ssize_t ignored = ::write(error_fd, &failure, sizeof failure);
    ::_exit(127);
}

// Runs in the child between fork and exec: async-signal-safe calls only.
[[noreturn]] void exec_child(char* const* args, const char* workdir, int output_fd, int error_fd) {
    reset_signals_for_child();
    // Its own group: stop signals go to the agent and its children, never to the shim.
    ::setpgid(0, 0);
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(output_fd, 1) < 0 || ::dup2(output_fd, 2) < 0) {
        fail_in_child(error_fd, 2);
    }
    if (null_fd > 2) ::close(null_fd);
    if (workdir && ::chdir(workdir) != 0) fail_in_child(error_fd, 0);
    ::execvp(args[0], args);
    fail_in_child(error_fd, 1);
}

}  // namespace

SpawnResult spawn_agent(const std::vector<std::string>& argv, const std::string& workdir) {
    SpawnResult result;
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);

    int output[2];
    int errors[2];
    if (::pipe2(output, O_CLOEXEC) != 0) {
        result.error = std::string("pipe: ") + std::strerror(errno);
        return result;
    }
    if (::pipe2(errors, O_CLOEXEC) != 0) {
        result.error = std::string("pipe: ") + std::strerror(errno);
        ::close(output[0]);
        ::close(output[1]);
        return result;
    }
    // Signals stay blocked across fork so that no handler runs in the child before it has
    // restored the defaults (it would write into the shim's self-pipe).
    sigset_t all;
    sigset_t previous;
    sigfillset(&all);
    ::sigprocmask(SIG_SETMASK, &all, &previous);
    pid_t pid = ::fork();
    if (pid == 0) exec_child(args.data(), workdir.empty() ? nullptr : workdir.c_str(), output[1], errors[1]);
    int fork_error = errno;
    ::sigprocmask(SIG_SETMASK, &previous, nullptr);
    ::close(output[1]);
    ::close(errors[1]);
    if (pid < 0) {
        ::close(output[0]);
        ::close(errors[0]);
        result.error = std::string("fork: ") + std::strerror(fork_error);
        return result;
    }
    // Also from the parent, so the group exists before anyone could signal it (EACCES once the
    // child has exec'd is fine: it did it itself).
    ::setpgid(pid, pid);

    ChildFailure failure{};
    ssize_t n;
    do {
        n = ::read(errors[0], &failure, sizeof failure);
    } while (n < 0 && errno == EINTR);
    ::close(errors[0]);
    if (n == static_cast<ssize_t>(sizeof failure)) {
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        ::close(output[0]);
        const char* reason = std::strerror(failure.error);
        if (failure.stage == 0) {
            result.error = "workdir " + workdir + ": " + reason;
        } else if (failure.stage == 1) {
            result.error = "exec " + argv[0] + ": " + reason;
        } else {
            result.error = std::string("stdio: ") + reason;
        }
        return result;
    }
    ::fcntl(output[0], F_SETFL, ::fcntl(output[0], F_GETFL) | O_NONBLOCK);
    result.pid = pid;
    result.output_fd = output[0];
    return result;
}

}  // namespace agentctl::shim
