#pragma once
// Repeated liveness checks of processes proven once by pid + start time: a long-lived caller
// (the monitor) asks every second whether each of its agents still runs, and reading
// /proc/PID/stat for each costs an open, a read and a close. A pidfd (Linux >= 5.3) opened for
// a proven process refers to that process and no other; it turns readable when the process
// exits, so asking again costs one poll().

#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "util/process.hpp"

namespace agentctl::util {

/// A `parts`-th of this process's soft limit on open descriptors (RLIMIT_NOFILE), for one
/// cache of descriptors (kept connections, pidfds) so that it never starves the rest;
/// `unlimited` when there is no limit or it cannot be read.
std::size_t open_files_share(std::size_t parts, std::size_t unlimited);

/// Liveness of recorded processes, answered from pidfds where it can. Not thread-safe.
class ProcessWatch {
public:
    /// A watch that holds at most `max_watched` pidfds (past that it reads /proc as
    /// process_matches does).
    explicit ProcessWatch(std::size_t max_watched);
    /// Closes every pidfd.
    ~ProcessWatch();
    ProcessWatch(const ProcessWatch&) = delete;
    ProcessWatch& operator=(const ProcessWatch&) = delete;

    /// The same answer as process_matches(ref): `ref` names a live process (not a zombie)
    /// whose start time still matches.
    bool matches(const ProcessRef& ref);

    /// How many processes are watched through a pidfd now.
    std::size_t watched() const { return m_watched.size(); }

private:
    struct Entry {
        std::uint64_t start_time = 0;
        int fd = -1;
    };
    void forget(int pid);
    // Closes the pidfds of processes that exited without being asked about again (replaced
    // instances): run when the watch is full, so that they never crowd out live ones.
    void prune_exited();

    std::size_t m_max;
    std::unordered_map<int, Entry> m_watched;
};

}  // namespace agentctl::util
