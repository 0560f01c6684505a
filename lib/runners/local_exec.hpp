#pragma once
// Running a short command on this machine with a timeout (exec health checks, preflight).

#include <cstddef>
#include <string>
#include <vector>

#include "runners/runner.hpp"

namespace agentctl::runners {

/// What a local command runs with.
struct LocalCommand {
    std::vector<std::string> argv;          ///< PATH is searched for argv[0]
    std::string workdir = "/";
    std::vector<spec::EnvVar> environment;  ///< set over this process's environment
    util::Millis timeout{10000};
    std::size_t max_output = 4096;          ///< bytes of stdout+stderr kept
};

/// Runs `command` in its own process group with stdin from /dev/null, stdout and stderr
/// captured together; on timeout the group is SIGKILLed and `timed_out` set. An exec failure
/// is exit status 127 with the reason as output; death by a signal is 128 + signal.
ExecResult run_local_command(const LocalCommand& command);

}  // namespace agentctl::runners
