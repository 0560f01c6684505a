#pragma once
// The command line of agentctl-shim (see README.md in this folder for the protocol).

#include <cstdint>
#include <string>
#include <vector>

namespace agentctl::shim {

/// Everything the shim is told on its command line.
struct ShimOptions {
    std::string log_path;
    std::string status_path;
    std::string workdir;                      ///< empty: the agent inherits the shim's directory
    std::uint64_t log_max_bytes = 10485760;   ///< rotate once the log would grow past this (0: never)
    int log_keep = 3;                         ///< rotated files kept: log.1 ... log.<keep>
    std::vector<std::string> argv;            ///< the agent's program and arguments
    std::string restart = "no";               ///< restart policy: no | on-failure | always
    int max_restarts = 5;                     ///< restarts allowed over the shim's life
    long long backoff_ms = 1000;              ///< delay before the first restart, doubled per crash
    long long max_backoff_ms = 60000;         ///< the doubling stops here
    std::string stop_file;                    ///< present: a stop was requested, never restart
    bool help = false;
};

/// Parses argv (without the program name); returns the error text, empty on success.
std::string parse_options(int argc, char** argv, ShimOptions& options);

/// The usage text printed by --help.
const char* usage_text();

}  // namespace agentctl::shim
