#pragma once
// Signalling and waiting for local processes known by identity (pid + start time).

#include <optional>
#include <string>

#include "util/duration.hpp"
#include "util/process.hpp"

namespace agentctl::runners {

/// The number of a signal written "SIGTERM", "TERM", "sigterm" or "15"; nullopt if unknown.
std::optional<int> signal_number(const std::string& name);

/// Sends `signal` to the process group led by `ref.pid` (to the process alone if it left its
/// group). The caller has proved identity; returns false when nothing could be signalled.
bool signal_group(const util::ProcessRef& ref, int signal);

/// Reaps `ref` if it is a zombie child of this process with the recorded start time (a shim
/// that agentctl itself started and that has exited); never touches anything else.
void reap_if_own_zombie(const util::ProcessRef& ref);

/// Polls (fast first) until `ref` no longer names a live process or `timeout` passed; reaps it
/// if it is this process's zombie child. Returns true when it is gone.
bool wait_until_gone(const util::ProcessRef& ref, util::Millis timeout);

}  // namespace agentctl::runners
