#include "runners/local_exec.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace agentctl::runners {

namespace {

using SteadyClock = std::chrono::steady_clock;

// Everything the child needs, prepared before fork (no allocation after it).
struct PreparedExec {
    std::vector<std::string> env_storage;
    std::vector<char*> env;
    std::vector<char*> args;
    std::string failure_prefix;
};

PreparedExec prepare(const LocalCommand& command) {
    PreparedExec prepared;
    for (char** entry = environ; *entry; ++entry) {
        std::string text = *entry;
        std::string name = text.substr(0, text.find('='));
        bool overridden = false;
        for (const auto& var : command.environment) overridden = overridden || var.name == name;
        if (!overridden) prepared.env_storage.push_back(text);
    }
    for (const auto& var : command.environment) prepared.env_storage.push_back(var.name + "=" + var.value);
    for (auto& entry : prepared.env_storage) prepared.env.push_back(entry.data());
    prepared.env.push_back(nullptr);
    for (const auto& arg : command.argv) prepared.args.push_back(const_cast<char*>(arg.c_str()));
    prepared.args.push_back(nullptr);
    prepared.failure_prefix = "exec " + command.argv[0] + ": ";
    return prepared;
}

[[noreturn]] void run_child(PreparedExec& prepared, const char* workdir, int output_fd) {
    ::setpgid(0, 0);
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(output_fd, 1);
    ::dup2(output_fd, 2);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    const char* failure = prepared.failure_prefix.c_str();
    if (::chdir(workdir) == 0) {
        environ = prepared.env.data();
        ::execvp(prepared.args[0], prepared.args.data());
    }
    const char* reason = std::strerror(errno);
    [[maybe_unused]] ssize_t ignored = ::write(2, failure, std::strlen(failure));
    ignored = ::write(2, reason, std::strlen(reason));
    ::_exit(127);
}

int decode_status(int status) {
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

}  // namespace

ExecResult run_local_command(const LocalCommand& command) {
    ExecResult result;
    if (command.argv.empty()) {
        result.exit_status = 127;
        result.output = "exec: no command";
        return result;
    }
    PreparedExec prepared = prepare(command);
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        result.output = std::string("pipe: ") + std::strerror(errno);
        return result;
    }
    pid_t pid = ::fork();
    if (pid == 0) run_child(prepared, command.workdir.c_str(), pipe_fds[1]);
    ::close(pipe_fds[1]);
    if (pid < 0) {
        ::close(pipe_fds[0]);
        result.output = std::string("fork: ") + std::strerror(errno);
        return result;
    }
    ::setpgid(pid, pid);

    auto deadline = SteadyClock::now() + command.timeout;
    auto left_ms = [&] {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
        return left > 0 ? static_cast<int>(left) : 0;
    };
    // Output until end of file (every writer gone) or the deadline.
    int fd = pipe_fds[0];
    char buffer[4096];
    for (;;) {
        pollfd watch{fd, POLLIN, 0};
        int ready = ::poll(&watch, 1, left_ms());
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) {
            result.timed_out = true;
            break;
        }
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        std::size_t room = command.max_output - std::min(command.max_output, result.output.size());
        result.output.append(buffer, std::min(room, static_cast<std::size_t>(n)));
    }
    ::close(fd);
    // The child itself, in what is left of the timeout (a daemonised grandchild may have
    // closed the pipe long before the child exits, or the other way round).
    int status = 0;
    for (;;) {
        pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) {
            if (!result.timed_out) result.exit_status = decode_status(status);
            break;
        }
        if (done < 0 && errno != EINTR) break;
        if (result.timed_out || left_ms() == 0) {
            result.timed_out = true;
            ::kill(-pid, SIGKILL);
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return result;
}

}  // namespace agentctl::runners
