#pragma once
// Repeated liveness checks of processes proven once by pid + start time: a long-lived caller
// (the monitor) asks every second whether each of its agents still runs, and reading
// /proc/PID/stat for each costs an open, a read and a close. A pidfd (Linux >= 5.3) opened for
// a proven process refers to that process and no other; it turns readable when the process
// exits, so asking again costs one poll(). A caller asking about many processes in a row (a
// monitor round) can have every pidfd in one epoll set instead: one epoll_wait() then lists
// the few that exited, and answers the whole round.

#include <sys/epoll.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

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
    /// process_matches does). With a `batch_window`, one epoll_wait() over every pidfd answers
    /// each question asked within that window after it: an answer may then be that old.
    explicit ProcessWatch(std::size_t max_watched, std::chrono::milliseconds batch_window = std::chrono::milliseconds(0));
    /// Closes every pidfd.
    ~ProcessWatch();
    ProcessWatch(const ProcessWatch&) = delete;
    ProcessWatch& operator=(const ProcessWatch&) = delete;

    /// The same answer as process_matches(ref) (as of at most the batch window ago): `ref`
    /// names a live process (not a zombie) whose start time still matches.
    bool matches(const ProcessRef& ref);

    /// How many processes are watched through a pidfd now.
    std::size_t watched() const { return m_watched.size(); }
    /// How many epoll_wait() calls over every pidfd were made (batch_window only).
    std::uint64_t batch_polls() const { return m_batch_polls; }

private:
    struct Entry {
        std::uint64_t start_time = 0;
        int fd = -1;
    };
    void forget(int pid);
    // Whether the watched `pid` still runs: from the last batch poll when it is recent enough,
    // else from a new one (or, without a window, a poll of its own pidfd). A batch poll lets
    // go of every process it finds exited.
    bool running(int pid);
    // Keeps `fd` for `ref` (in the epoll set, with a window); false when it cannot be kept.
    bool keep(const ProcessRef& ref, int fd);
    // Closes the pidfds of processes that exited without being asked about again (replaced
    // instances): run when the watch is full, so that they never crowd out live ones.
    void prune_exited();

    std::size_t m_max;
    std::chrono::steady_clock::duration m_window;
    std::unordered_map<int, Entry> m_watched;
    std::uint64_t m_batch_polls = 0;
    std::chrono::steady_clock::time_point m_batch_at{};
    int m_epoll_fd = -1;              ///< every kept pidfd, with a window
    std::vector<epoll_event> m_ready;  ///< room for every kept pidfd at once
};

}  // namespace agentctl::util
