#pragma once
// Starting the agent: fork, its own process group, stdin /dev/null, stdout+stderr into one
// pipe to the shim, exec; an exec failure comes back through a close-on-exec error pipe.

#include <string>
#include <sys/types.h>
#include <vector>

namespace agentctl::shim {

/// A started agent, or why it could not start.
struct SpawnResult {
    pid_t pid = -1;         ///< also its process group id
    int output_fd = -1;     ///< read end of its stdout+stderr pipe (non-blocking, close-on-exec)
    std::string error;      ///< "exec PROG: reason" / "workdir DIR: reason"; empty on success
};

/// Forks and execs `argv` (PATH searched) in `workdir` (empty: the shim's), with the shim's own
/// environment. Returns once the exec succeeded or failed; a failed child is already reaped.
SpawnResult spawn_agent(const std::vector<std::string>& argv, const std::string& workdir);

}  // namespace agentctl::shim
