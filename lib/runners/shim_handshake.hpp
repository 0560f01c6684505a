#pragma once
// The one line agentctl-shim writes on its stdout once the agent is started (or failed to):
// "ok <shim_pid> <shim_start> <agent_pid> <agent_start>" or "error <message>".

#include <string>
#include <vector>

#include "runners/runner.hpp"

namespace agentctl::runners {

/// What became of one shim's handshake.
struct Handshake {
    enum class Kind { ok, error, closed, timed_out, garbled };
    Kind kind = Kind::timed_out;
    util::ProcessRef shim;
    util::ProcessRef agent;
    std::string message;  ///< error: the shim's message; garbled: the line received
};

/// Parses one handshake line (without its newline).
Handshake parse_handshake(const std::string& line);

/// Reads one handshake line from each descriptor, all at once, waiting at most `timeout` in
/// total; closes every descriptor. The results are in the order of `fds`.
std::vector<Handshake> read_handshakes(const std::vector<int>& fds, util::Millis timeout);

}  // namespace agentctl::runners
