#pragma once
// Reading the status file agentctl-shim keeps in an instance's run dir
// (apps/agentctl-shim/README.md "Status file").

#include <optional>
#include <string>

#include "runners/runner.hpp"

namespace agentctl::runners {

/// The shim's status file, as read back.
struct ShimStatus {
    util::ProcessRef shim;
    util::ProcessRef agent;                      ///< empty when the agent never started
    bool exited = false;                         ///< "state": "exited"
    std::optional<Clock::time_point> started_at;
    std::optional<int> exit_status;              ///< the exit code, or 128 + signal
    std::optional<int> signal;
    std::optional<Clock::time_point> exited_at;
    std::string error;                           ///< why the agent could not start
};

/// `<run_dir>/status.json`, where LocalRunner tells the shim to keep its status.
std::string shim_status_path(const std::string& run_dir);

/// Parses the text of a status file; nullopt when it is not one (wrong version, bad JSON).
std::optional<ShimStatus> parse_shim_status(const std::string& text);

/// What inspect reports for an agent whose exit `status` recorded: exited, with its exit status,
/// time and start error.
Inspection exited_inspection(const ShimStatus& status);

/// Reads and parses the status file at `path`; nullopt when it is missing or not readable.
std::optional<ShimStatus> read_shim_status(const std::string& path);

}  // namespace agentctl::runners
