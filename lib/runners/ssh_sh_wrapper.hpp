#pragma once
// The POSIX sh stand-in for agentctl-shim on an SSH host of another architecture (the shim is
// a native binary built for this machine): it takes the shim's options, starts the agent in a
// session of its own (setsid(1)) with stdin from /dev/null and its output appended to the
// instance's log, prints the shim's handshake ("ok <pid> <start> <agent pid> <agent start>"),
// forwards TERM/INT/HUP to the agent's process group, and writes the shim's status file
// (version 1) at start and at the agent's exit. Restart policies are not applied there: a job
// that asks for one on such a host is refused.

#include <string>

#include "spec/job_spec.hpp"

namespace agentctl::runners {

/// The wrapper's text (a POSIX sh script, no secrets).
const std::string& sh_wrapper_text();

/// Its file name under <remote-state>/bin: "agentctl-shwrap-<sha256 prefix>" (content-addressed).
const std::string& sh_wrapper_name();

/// Whether AGENTCTL_TEST_FORCE_SH_WRAPPER=1 asks for the wrapper on every host (tests only).
bool sh_wrapper_forced();

/// Why an agent with `restart` cannot run under the wrapper on `host` (`arch`); empty when it can.
std::string sh_wrapper_refusal(const spec::RestartSpec& restart, const std::string& host, const std::string& arch);

}  // namespace agentctl::runners
