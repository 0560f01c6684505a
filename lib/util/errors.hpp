#pragma once
// The error hierarchy of agentctl. Library code throws these; apps/agentctl/main.cpp alone
// catches them and maps them to process exit codes (DESIGN.md §6).

#include <stdexcept>
#include <string>

namespace agentctl::util {

/// Process exit codes, as documented in man/agentctl.1 and DESIGN.md §6.
enum class ExitCode : int {
    ok = 0,           ///< success
    failed = 1,       ///< the operation failed (health, runner, remote error, status --check)
    usage = 2,        ///< bad usage or an invalid job file
    locked = 3,       ///< another agentctl holds the job's lock
    not_found = 4,    ///< job or agent not found
    interrupted = 130 ///< a deploy or stop interrupted by SIGINT
};

/// Base of every error agentctl throws on purpose; carries the exit code it maps to.
class Error : public std::runtime_error {
public:
    /// Builds an error with its message and the exit code `main` will return for it.
    Error(const std::string& message, ExitCode code) : std::runtime_error(message), m_code(code) {}
    /// The exit code this error maps to.
    ExitCode exit_code() const noexcept { return m_code; }

private:
    ExitCode m_code;
};

/// Bad command-line usage (exit 2).
class UsageError : public Error {
public:
    /// Builds a usage error with its message.
    explicit UsageError(const std::string& message) : Error(message, ExitCode::usage) {}
};

/// A job or agent that does not exist (exit 4).
class NotFoundError : public Error {
public:
    /// Builds a not-found error with its message.
    explicit NotFoundError(const std::string& message) : Error(message, ExitCode::not_found) {}
};

/// A failed operation on the outside world: I/O, runners, remote hosts (exit 1).
class OperationError : public Error {
public:
    /// Builds an operation failure with its message.
    explicit OperationError(const std::string& message) : Error(message, ExitCode::failed) {}
};

}  // namespace agentctl::util
