#pragma once
// Reading the status file agentctl-shim keeps in an instance's run dir
// (apps/agentctl-shim/README.md "Status file").

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

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
    // Restart policy (apps/agentctl-shim/README.md "Restarts"); absent in older shims' files.
    int restarts = 0;
    bool restarting = false;                     ///< "state": "restarting"
    bool failed = false;                         ///< max_restarts exhausted
    std::optional<int> last_exit_status;
    std::vector<ExitEvent> history;              ///< oldest first
};

/// `<run_dir>/stop-requested`: agentctl creates it before it stops an agent, so that the shim
/// never restarts an agent that is being stopped (the shim's --stop-file).
std::string shim_stop_file_path(const std::string& run_dir);

/// Copies what `status` says about restarts into `inspection`.
void apply_restart_info(const ShimStatus& status, Inspection& inspection);

/// `<run_dir>/status.json`, where LocalRunner tells the shim to keep its status.
std::string shim_status_path(const std::string& run_dir);

/// Parses the text of a status file; nullopt when it is not one (wrong version, bad JSON).
std::optional<ShimStatus> parse_shim_status(const std::string& text);

/// What inspect reports for an agent whose exit `status` recorded: exited, with its exit status,
/// time and start error.
Inspection exited_inspection(const ShimStatus& status);

/// Reads and parses the status file at `path`; nullopt when it is missing or not readable.
std::optional<ShimStatus> read_shim_status(const std::string& path);

/// Status files read again only when they changed: the shim replaces its file by a rename on
/// every change, so an unchanged device, inode, size and modification time mean an unchanged
/// content. For a long-lived caller (the monitor) that reads each file every second.
class ShimStatusCache {
public:
    /// What read_shim_status(path) would return, parsed again only when the file changed.
    std::optional<ShimStatus> read(const std::string& path);

    /// The status last read from `path` if it said that `agent` runs, without looking at the
    /// file again; null otherwise. The shim writes its file only when an agent starts, exits or
    /// is restarted, or a pending restart is cancelled (apps/agentctl-shim/README.md), so once
    /// `agent` is proven alive again, the file still says what it said.
    const ShimStatus* while_running(const std::string& path, const util::ProcessRef& agent) const;

private:
    struct Entry {
        unsigned long long device = 0, inode = 0, size = 0;
        long long modified_ns = 0;
        std::optional<ShimStatus> status;
    };
    std::unordered_map<std::string, Entry> m_entries;
};

}  // namespace agentctl::runners
