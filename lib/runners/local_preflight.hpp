#pragma once
// Preflight for agents that run on this machine (DESIGN.md §2 "Preflight"): before a deploy
// starts anything, every command must be resolvable, every `module` importable by its
// interpreter, every workdir a directory, and every port it would listen on free.

#include <string>
#include <vector>

#include "runners/runner.hpp"

namespace agentctl::runners {

/// Checks `requests` on this machine; one problem per finding, each naming the instance, what
/// is wrong and how to fix it. A request without a port (the deployer leaves out the port of an
/// instance it stops first) is not port-checked. Module agents of one interpreter and workdir
/// are checked by one run of that interpreter.
std::vector<PreflightProblem> local_preflight(const std::vector<LaunchRequest>& requests);

/// Why an agent could not listen on `port` of 127.0.0.1 now (bound as servers bind, with
/// SO_REUSEADDR), or "" when it could: a listening process, or connections that ended recently
/// and still hold the port (TIME_WAIT), each with its fix.
std::string local_port_problem(int port);

}  // namespace agentctl::runners
