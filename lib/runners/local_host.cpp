// The local Host (host.hpp): argv commands run here in their own process group, with stdin
// fed from a string, stdout and stderr captured apart, and the whole group SIGKILLed at the
// timeout. Files are written under a temporary name and renamed into place.

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <thread>

#include "runners/host.hpp"

extern char** environ;

namespace agentctl::runners {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// The three pipes of a child: [0] its stdin, [1] its stdout, [2] its stderr.
struct Pipes {
    int fds[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};

    ~Pipes() {
        for (auto& pair : fds) {
            for (int fd : pair) {
                if (fd >= 0) ::close(fd);
            }
        }
    }
    void close_fd(int& fd) {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
};

[[noreturn]] void run_child(Pipes& pipes, std::vector<char*>& args, const char* failure) {
    ::setpgid(0, 0);
    ::dup2(pipes.fds[0][0], 0);
    ::dup2(pipes.fds[1][1], 1);
    ::dup2(pipes.fds[2][1], 2);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::execvp(args[0], args.data());
    const char* reason = std::strerror(errno);
    [[maybe_unused]] ssize_t ignored = ::write(2, failure, std::strlen(failure));
    ignored = ::write(2, reason, std::strlen(reason));
    ::_exit(127);
}

int decode_status(int status) {
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

void append_capped(std::string& out, const char* data, std::size_t size, std::size_t cap) {
    std::size_t room = cap - std::min(cap, out.size());
    out.append(data, std::min(room, size));
}

// write() to a pipe whose reader may be gone, without the process-wide SIGPIPE that would
// end agentctl: the signal is blocked in this thread and a pending one consumed.
ssize_t write_without_sigpipe(int fd, const char* data, std::size_t size) {
    sigset_t pipe_only;
    sigset_t old;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
    ssize_t n = ::write(fd, data, size);
    int saved = errno;
    if (n < 0 && saved == EPIPE) {
        timespec zero{0, 0};
        ::sigtimedwait(&pipe_only, nullptr, &zero);
    }
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    errno = saved;
    return n;
}

// Creates every missing parent directory of `path` with mode 0700.
void make_parents(const std::string& path) {
    for (std::size_t slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
        std::string dir = path.substr(0, slash);
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) throw util::OperationError(errno_text("mkdir " + dir));
    }
}

class LocalHost : public Host {
public:
    const std::string& name() const override { return m_name; }
    bool is_local() const override { return true; }

    HostResult run(const HostCommand& command) override {
        HostResult result;
        if (command.argv.empty()) {
            result.exit_status = 127;
            result.err = "exec: no command";
            return result;
        }
        std::vector<char*> args;
        for (const auto& arg : command.argv) args.push_back(const_cast<char*>(arg.c_str()));
        args.push_back(nullptr);
        const std::string failure = "exec " + command.argv[0] + ": ";

        Pipes pipes;
        for (auto& pair : pipes.fds) {
            if (::pipe2(pair, O_CLOEXEC) != 0) throw HostError(errno_text("pipe"), false);
        }
        pid_t pid = ::fork();
        if (pid == 0) run_child(pipes, args, failure.c_str());
        if (pid < 0) throw HostError(errno_text("fork"), false);
        ::setpgid(pid, pid);
        pipes.close_fd(pipes.fds[0][0]);
        pipes.close_fd(pipes.fds[1][1]);
        pipes.close_fd(pipes.fds[2][1]);
        if (command.input.empty()) pipes.close_fd(pipes.fds[0][1]);
        else ::fcntl(pipes.fds[0][1], F_SETFL, O_NONBLOCK);

        auto deadline = SteadyClock::now() + command.timeout;
        pump(pipes, command, deadline, result);
        reap(pid, deadline, result);
        return result;
    }

    void write_file(const std::string& path, const std::string& content, unsigned mode) override {
        make_parents(path);
        std::string temp = path + ".tmp." + std::to_string(::getpid());
        int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) throw util::OperationError(errno_text("open " + temp));
        std::size_t done = 0;
        while (done < content.size()) {
            ssize_t n = ::write(fd, content.data() + done, content.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                ::close(fd);
                ::unlink(temp.c_str());
                throw util::OperationError(errno_text("write " + temp));
            }
            done += static_cast<std::size_t>(n);
        }
        // The mode is set on the open descriptor, before any content could be read by others.
        ::fchmod(fd, static_cast<mode_t>(mode));
        ::close(fd);
        if (::rename(temp.c_str(), path.c_str()) != 0) {
            ::unlink(temp.c_str());
            throw util::OperationError(errno_text("rename " + temp + " to " + path));
        }
    }

private:
    // Feeds stdin and drains stdout/stderr until both outputs end or the deadline passes.
    static void pump(Pipes& pipes, const HostCommand& command, SteadyClock::time_point deadline, HostResult& result) {
        std::size_t written = 0;
        char buffer[8192];
        int& in = pipes.fds[0][1];
        int& out = pipes.fds[1][0];
        int& err = pipes.fds[2][0];
        while (out >= 0 || err >= 0) {
            auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
            if (left <= 0) {
                result.timed_out = true;
                return;
            }
            pollfd watch[3] = {{out, POLLIN, 0}, {err, POLLIN, 0}, {in, POLLOUT, 0}};
            int ready = ::poll(watch, 3, static_cast<int>(left));
            if (ready < 0 && errno == EINTR) continue;
            if (ready < 0) return;
            if (in >= 0 && (watch[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
                ssize_t n = write_without_sigpipe(in, command.input.data() + written, command.input.size() - written);
                if (n > 0) written += static_cast<std::size_t>(n);
                // A reader that went away simply does not get the rest of its input.
                if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == command.input.size()) pipes.close_fd(in);
            }
            int* fds[2] = {&out, &err};
            std::string* sinks[2] = {&result.out, &result.err};
            for (int i = 0; i < 2; ++i) {
                if (*fds[i] < 0 || !(watch[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
                ssize_t n = ::read(*fds[i], buffer, sizeof buffer);
                if (n < 0 && errno == EINTR) continue;
                if (n <= 0) pipes.close_fd(*fds[i]);
                else append_capped(*sinks[i], buffer, static_cast<std::size_t>(n), command.max_output);
            }
        }
    }

    // Waits for the child; one that timed out (or outlives its closed outputs past the
    // deadline) is ended with its whole process group.
    static void reap(pid_t pid, SteadyClock::time_point deadline, HostResult& result) {
        int status = 0;
        while (!result.timed_out) {
            pid_t done = ::waitpid(pid, &status, WNOHANG);
            if (done == pid) {
                result.exit_status = decode_status(status);
                return;
            }
            if (done < 0 && errno != EINTR) return;
            if (SteadyClock::now() >= deadline) result.timed_out = true;
            else std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        ::kill(-pid, SIGKILL);
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        result.exit_status = -1;
    }

    std::string m_name = "localhost";
};

}  // namespace

std::unique_ptr<Host> make_local_host() { return std::make_unique<LocalHost>(); }

}  // namespace agentctl::runners
