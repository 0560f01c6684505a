#pragma once
// Spawning agentctl-shim (posix_spawn, no fork of agentctl): a new session, stdin
// from /dev/null, stdout a pipe for the handshake, stderr to /dev/null, detached.

#include <string>
#include <vector>

#include "runners/runner.hpp"

namespace agentctl::runners {

/// A shim that was spawned (or not); its handshake is read later, with the others of the batch.
struct SpawnedShim {
    int pid = -1;
    int handshake_fd = -1;  ///< read end of its stdout (close-on-exec); -1 on failure
    std::string error;      ///< why it could not be spawned
};

/// Spawns `shim_path` with `args` and this process's environment with `environment` set over
/// it; returns at once (the shim is detached: agentctl never waits for it).
SpawnedShim spawn_shim(const std::string& shim_path, const std::vector<std::string>& args,
                       const std::vector<spec::EnvVar>& environment);

}  // namespace agentctl::runners
