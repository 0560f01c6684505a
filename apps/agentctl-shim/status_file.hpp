#pragma once
// The shim's status file: a small JSON object, replaced atomically, read by agentctl.

#include <cstdint>
#include <optional>
#include <string>

namespace agentctl::shim {

/// What the status file says (README.md "Status file").
struct ShimStatus {
    long shim_pid = 0;
    std::uint64_t shim_start = 0;
    long agent_pid = 0;
    std::uint64_t agent_start = 0;
    bool exited = false;              ///< "state": "exited" instead of "running"
    std::string started_at;           ///< RFC 3339 UTC, milliseconds
    std::optional<int> exit_status;   ///< the exit code, or 128 + signal
    std::optional<int> signal;        ///< the signal that ended the agent
    std::string exited_at;            ///< empty: null
    std::string error;                ///< empty: null
};

/// The JSON text of `status` (one line, with a trailing newline).
std::string status_json(const ShimStatus& status);

/// Writes `<path>.tmp` then renames it over `path`; returns the error text, empty on success.
std::string write_status_file(const std::string& path, const ShimStatus& status);

}  // namespace agentctl::shim
