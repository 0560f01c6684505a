#pragma once
// Helpers for the state tests: a private temp dir, forked child processes that never return
// into Catch, and a pipe to make a parent and a child take turns.

#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <string>
#include <vector>

namespace agentctl::state::testing {

/// A fresh 0700 directory under $TMPDIR, removed with everything in it at scope exit.
class TempDir {
public:
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/state-test.XXXXXX";
        std::vector<char> buffer(pattern.begin(), pattern.end());
        buffer.push_back('\0');
        REQUIRE(::mkdtemp(buffer.data()) != nullptr);
        m_path = buffer.data();
    }
    ~TempDir() { std::system(("rm -rf '" + m_path + "'").c_str()); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return m_path; }
    std::string db() const { return m_path + "/state.db"; }

private:
    std::string m_path;
};

/// Runs `body` in a forked child that exits with its return value (99 after an exception,
/// whose message goes to stderr) through _exit, so that the child never runs Catch's code.
/// Callers close their own StateStores before forking: a child must not inherit a live
/// SQLite connection to the file it is about to open.
inline pid_t fork_child(const std::function<int()>& body) {
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid > 0) return pid;
    int code = 99;
    try {
        code = body();
    } catch (const std::exception& error) {
        std::fprintf(stderr, "child %d: %s\n", static_cast<int>(::getpid()), error.what());
    } catch (...) {
        std::fprintf(stderr, "child %d: unknown exception\n", static_cast<int>(::getpid()));
    }
    std::fflush(nullptr);
    ::_exit(code);
}

/// Waits for `pid` and returns its raw wait status.
inline int wait_status(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
    }
    return status;
}

/// The exit code of `pid` once it ends, or -signal when a signal killed it.
inline int wait_exit(pid_t pid) {
    const int status = wait_status(pid);
    if (WIFSIGNALED(status)) return -WTERMSIG(status);
    return WEXITSTATUS(status);
}

/// A pipe for one-byte messages between a parent and its forked child.
class Pipe {
public:
    Pipe() { REQUIRE(::pipe(m_fds) == 0); }
    ~Pipe() {
        ::close(m_fds[0]);
        ::close(m_fds[1]);
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    /// Sends one byte.
    void send(char byte = 'x') const {
        [[maybe_unused]] const auto written = ::write(m_fds[1], &byte, 1);
    }
    /// Waits up to `timeout_ms` for one byte; false on timeout or end of file.
    bool receive(int timeout_ms = 10000) const {
        pollfd fd{m_fds[0], POLLIN, 0};
        if (::poll(&fd, 1, timeout_ms) != 1) return false;
        char byte = 0;
        return ::read(m_fds[0], &byte, 1) == 1;
    }

private:
    int m_fds[2] = {-1, -1};
};

}  // namespace agentctl::state::testing
