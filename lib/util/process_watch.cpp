#include "util/process_watch.hpp"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace agentctl::util {
namespace {

// glibc 2.36 (Debian 12) has no pidfd_open wrapper in every configuration: the raw system call.
int open_pidfd(int pid) {
#ifdef SYS_pidfd_open
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));  // close-on-exec by default
#else
    (void)pid;
    return -1;
#endif
}

// A pidfd turns readable once its process has exited (zombie or reaped).
bool exited(int fd) {
    pollfd entry{fd, POLLIN, 0};
    return ::poll(&entry, 1, 0) != 0;  // readable, or an error: either way not provably alive
}

}  // namespace

std::size_t open_files_share(std::size_t parts, std::size_t unlimited) {
    rlimit limit{};
    if (parts == 0 || getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return unlimited;
    return static_cast<std::size_t>(limit.rlim_cur) / parts;
}

ProcessWatch::ProcessWatch(std::size_t max_watched, std::chrono::milliseconds batch_window)
    : m_max(max_watched), m_window(batch_window) {
    // Without an epoll set, each question polls its own pidfd.
    if (m_window.count() > 0) m_epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
}

bool ProcessWatch::running(int pid) {
    if (m_epoll_fd < 0) return !exited(m_watched.at(pid).fd);
    const auto now = std::chrono::steady_clock::now();
    if (m_batch_polls == 0 || now - m_batch_at > m_window) {
        // One call lists every pidfd whose process exited; those are let go at once (a later
        // question about one proves it gone from /proc, as for any process not watched).
        ++m_batch_polls;
        m_batch_at = now;
        m_ready.resize(m_watched.size() + 1);
        const int count = ::epoll_wait(m_epoll_fd, m_ready.data(), static_cast<int>(m_ready.size()), 0);
        for (int i = 0; i < count; ++i) forget(static_cast<int>(m_ready[static_cast<std::size_t>(i)].data.u64));
    }
    return m_watched.count(pid) != 0;
}

bool ProcessWatch::keep(const ProcessRef& ref, int fd) {
    if (m_epoll_fd >= 0) {
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.u64 = static_cast<std::uint64_t>(ref.pid);
        if (::epoll_ctl(m_epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) return false;
    }
    m_watched[ref.pid] = Entry{ref.start_time, fd};
    return true;
}

ProcessWatch::~ProcessWatch() {
    for (const auto& [pid, entry] : m_watched) ::close(entry.fd);
    if (m_epoll_fd >= 0) ::close(m_epoll_fd);
}

void ProcessWatch::forget(int pid) {
    auto found = m_watched.find(pid);
    if (found == m_watched.end()) return;
    ::close(found->second.fd);
    m_watched.erase(found);
}

void ProcessWatch::prune_exited() {
    for (auto it = m_watched.begin(); it != m_watched.end();) {
        if (exited(it->second.fd)) {
            ::close(it->second.fd);
            it = m_watched.erase(it);
        } else {
            ++it;
        }
    }
}

bool ProcessWatch::matches(const ProcessRef& ref) {
    if (ref.empty()) return false;
    auto found = m_watched.find(ref.pid);
    if (found != m_watched.end()) {
        if (found->second.start_time == ref.start_time) {
            if (running(ref.pid)) return true;
            forget(ref.pid);
            return false;
        }
        forget(ref.pid);  // another incarnation of the pid is asked about now
    }
    if (m_watched.size() >= m_max) prune_exited();
    if (m_watched.size() >= m_max) return process_matches(ref);
    // The pidfd first, then the proof: if the start time read afterwards matches, the process
    // the pidfd holds is the recorded one, unless it exited in between (checked last).
    const int fd = open_pidfd(ref.pid);
    if (fd < 0) return process_matches(ref);
    if (!process_matches(ref) || exited(fd)) {
        ::close(fd);
        return process_matches(ref);
    }
    if (!keep(ref, fd)) ::close(fd);
    return true;
}

}  // namespace agentctl::util
