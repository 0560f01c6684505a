#pragma once
// A machine that runners act on: this one, or one reached over an SSH session (DESIGN.md §1:
// Local and SSH share launch logic through it; Docker issues `docker` CLI calls through it, so
// a container on a remote host works over SSH too). Commands are argv vectors, never shell
// strings: an implementation that needs a shell (SSH's exec request) quotes every argument
// with util::shell_quote. No libssh type appears here.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "runners/runner.hpp"
#include "util/errors.hpp"

namespace agentctl::runners {

/// A command to run on a host.
struct HostCommand {
    std::vector<std::string> argv;
    std::string input;                 ///< written to the command's stdin, which is then closed
    util::Millis timeout{30000};
    std::size_t max_output = 1 << 20;  ///< bytes of stdout (and of stderr) kept
};

/// What a command did. stdout and stderr are kept apart (a JSON answer and its warnings).
struct HostResult {
    int exit_status = -1;  ///< the exit code, 128 + signal; -1 when it did not run or timed out
    std::string out;
    std::string err;
    bool timed_out = false;  ///< the command ran past its timeout and was ended
};

/// The host itself could not be reached or used (connection refused or lost, authentication,
/// a host key refused). `timed_out` tells a timeout apart from a failure.
class HostError : public util::OperationError {
public:
    HostError(const std::string& message, bool timed_out) : util::OperationError(message), m_timed_out(timed_out) {}
    bool timed_out() const { return m_timed_out; }

private:
    bool m_timed_out;
};

/// One machine. Implementations are thread-safe: runners call one host from several threads.
class Host {
public:
    virtual ~Host() = default;

    /// The host as the job names it ("localhost" for this machine).
    virtual const std::string& name() const = 0;
    virtual bool is_local() const = 0;

    /// Runs `command` and waits for it (or its timeout). Throws HostError when the host cannot
    /// be reached; a command that fails is a result, not an exception.
    virtual HostResult run(const HostCommand& command) = 0;

    /// Writes `content` to `path` with `mode` (a temporary name renamed into place, parent
    /// directories created 0700). Throws HostError / util::OperationError on failure.
    virtual void write_file(const std::string& path, const std::string& content, unsigned mode) = 0;
};

/// This machine: commands run in their own process group, ended with SIGKILL at the timeout.
std::unique_ptr<Host> make_local_host();

}  // namespace agentctl::runners
