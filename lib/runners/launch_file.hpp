#pragma once
// The launch file, `<run_dir>/launch.json` (0600): everything needed to start an instance
// again (argv, environment with secrets, workdir, log settings). Secrets live only here.

#include <optional>
#include <string>
#include <vector>

#include "runners/runner.hpp"

namespace agentctl::runners {

/// How an instance was launched, as recorded in its launch file.
struct LaunchRecord {
    int version = 1;
    std::string job;
    std::string agent;
    std::string instance;
    std::vector<std::string> argv;
    std::vector<spec::EnvVar> environment;  ///< the request's environment (over the inherited one)
    std::string workdir;
    std::string run_dir;
    std::string log_path;
    std::string status_path;
    std::uint64_t log_max_bytes = 0;
    int log_keep = 0;
    spec::StopSpec stop;
    spec::RestartSpec restart;
};

/// `<run_dir>/launch.json`.
std::string launch_file_path(const std::string& run_dir);

/// Writes `record` to `path` with mode 0600 (a temporary file renamed into place); throws
/// util::OperationError when it cannot.
void write_launch_file(const std::string& path, const LaunchRecord& record);

/// Reads a launch file; nullopt when it is missing or not one.
std::optional<LaunchRecord> read_launch_file(const std::string& path);

}  // namespace agentctl::runners
