#pragma once
// Process identity: a pid plus its start time (/proc/PID/stat field 22), so that agentctl
// never signals a pid that has been recycled for some other process.

#include <cstdint>
#include <optional>
#include <string>

namespace agentctl::util {

/// A process as recorded: its pid and the start time the kernel gave it (clock ticks since boot).
struct ProcessRef {
    int pid = 0;
    std::uint64_t start_time = 0;

    bool empty() const { return pid <= 0; }
};

/// The start time of `pid` (field 22 of /proc/PID/stat), or nullopt when there is no such
/// process or it is a zombie (exited, not yet reaped: it can no longer be signalled usefully).
std::optional<std::uint64_t> process_start_time(int pid);

/// A reference to the running process `pid` (start time read now), or nullopt if it is gone.
std::optional<ProcessRef> process_ref(int pid);

/// True when `ref` names a live process whose start time still matches: it is provably the
/// same process that was recorded.
bool process_matches(const ProcessRef& ref);

/// This machine's boot id (/proc/sys/kernel/random/boot_id); start times are only comparable
/// within one boot.
std::string boot_id();

}  // namespace agentctl::util
