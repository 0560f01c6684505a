#pragma once
// The shim's status file: a small JSON object, replaced atomically, read by agentctl.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace agentctl::shim {

/// One exit of the agent, and the restart that followed it (README.md "Restarts").
struct ExitRecord {
    int number = 0;                   ///< 1-based, counted over the shim's life
    long pid = 0;                     ///< the agent that exited
    int exit_status = 0;              ///< its exit code, or 128 + signal
    std::optional<int> signal;
    std::string exited_at;
    std::string action;               ///< "restart" | "stop" | "none" | "give-up"
    std::string restarted_at;         ///< empty until the restart happened
    long new_pid = 0;                 ///< the agent started by that restart (0: none yet)
};

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
    std::string restart_policy = "no";
    int restarts = 0;                 ///< restarts done so far
    bool restarting = false;          ///< "state": "restarting": waiting out the backoff
    bool failed = false;              ///< max_restarts exhausted: "state": "exited", "failed": true
    std::string next_restart_at;      ///< while restarting
    std::optional<int> last_exit_status;  ///< the latest exit, kept across restarts
    std::string last_exited_at;
    std::vector<ExitRecord> history;  ///< the latest exits, oldest first (at most k_history_kept)
};

/// How many exits the status file keeps.
constexpr std::size_t k_history_kept = 16;

/// The JSON text of `status` (one line, with a trailing newline).
std::string status_json(const ShimStatus& status);

/// Writes `<path>.tmp` then renames it over `path`; returns the error text, empty on success.
std::string write_status_file(const std::string& path, const ShimStatus& status);

}  // namespace agentctl::shim
