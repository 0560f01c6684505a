#include "runners/curl_multi_pool.hpp"

#include <curl/curl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <functional>
#include <optional>

#include "util/errors.hpp"

namespace agentctl::runners {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Enough shards that 1,000 targets leave ~16 connections in each cache; a shard's multi handle
// is only created when a target first lands on it, so a `status` of three agents makes three.
constexpr std::size_t k_shards = 64;
// Events taken from the epoll set per wait; more stay pending for the next one.
constexpr int k_max_events = 256;

struct Shard {
    int epoll_fd = -1;  // the pool's epoll set
    std::uint32_t index = 0;
    CURLM* multi = nullptr;
    std::optional<SteadyClock::time_point> timer;  // when libcurl wants CURL_SOCKET_TIMEOUT
    bool touched = false;                          // may have finished transfers to read
};

}  // namespace

struct CurlMultiPool::Impl {
    int epoll_fd = -1;
    long max_connects_per_shard = 8;
    std::array<Shard, k_shards> shards;

    CURLM* multi_of(Shard& shard);
    void act(Shard& shard, curl_socket_t socket, int flags) {
        int running = 0;
        curl_multi_socket_action(shard.multi, socket, flags, &running);
        shard.touched = true;
    }
};

namespace {

// libcurl says which sockets to watch and for what: mirrored into the epoll set. A socket's
// epoll data carries its shard, so its activity goes back to the multi handle that owns it.
// A socket libcurl has not seen before comes with no `assigned` pointer: it is added, then
// marked (curl_multi_assign) so that later calls modify it; libcurl forgets the mark with the
// socket. Each fallback covers an fd the kernel dropped from the set when it was closed.
int on_socket(CURL*, curl_socket_t socket, int what, void* user, void* assigned) {
    auto& shard = *static_cast<Shard*>(user);
    const int epoll_fd = shard.epoll_fd;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(epoll_fd, EPOLL_CTL_DEL, socket, nullptr);  // may already be gone with the fd
        return 0;
    }
    epoll_event event{};
    event.events = ((what & CURL_POLL_IN) != 0 ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) != 0 ? EPOLLOUT : 0u);
    event.data.u64 = (static_cast<std::uint64_t>(shard.index) << 32) | static_cast<std::uint32_t>(socket);
    if (assigned == nullptr) {
        if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, socket, &event) != 0 && errno == EEXIST)
            epoll_ctl(epoll_fd, EPOLL_CTL_MOD, socket, &event);
        curl_multi_assign(shard.multi, socket, &shard);
    } else if (epoll_ctl(epoll_fd, EPOLL_CTL_MOD, socket, &event) != 0 && errno == ENOENT) {
        epoll_ctl(epoll_fd, EPOLL_CTL_ADD, socket, &event);
    }
    return 0;
}

// libcurl asks to be called back after `timeout_ms` (-1: never).
int on_timer(CURLM*, long timeout_ms, void* user) {
    auto& shard = *static_cast<Shard*>(user);
    if (timeout_ms < 0)
        shard.timer.reset();
    else
        shard.timer = SteadyClock::now() + std::chrono::milliseconds(timeout_ms);
    return 0;
}

}  // namespace

CURLM* CurlMultiPool::Impl::multi_of(Shard& shard) {
    if (shard.multi != nullptr) return shard.multi;
    CURLM* multi = curl_multi_init();
    if (multi == nullptr) throw util::OperationError("cannot create a libcurl multi handle");
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &on_socket);
    curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, &shard);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &on_timer);
    curl_multi_setopt(multi, CURLMOPT_TIMERDATA, &shard);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, max_connects_per_shard);
    shard.multi = multi;
    return multi;
}

CurlMultiPool::CurlMultiPool(long max_idle_connections) : m_impl(std::make_unique<Impl>()) {
    m_impl->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (m_impl->epoll_fd < 0) throw util::OperationError("cannot create an epoll set for health checks");
    // Twice the fair share, as targets do not spread evenly over the shards.
    const long shards = static_cast<long>(k_shards);
    m_impl->max_connects_per_shard = std::max(8L, (2 * max_idle_connections + shards - 1) / shards);
    for (std::size_t i = 0; i < k_shards; ++i) {
        m_impl->shards[i].epoll_fd = m_impl->epoll_fd;
        m_impl->shards[i].index = static_cast<std::uint32_t>(i);
    }
}

CurlMultiPool::~CurlMultiPool() {
    for (auto& shard : m_impl->shards) {
        if (shard.multi != nullptr) curl_multi_cleanup(shard.multi);
    }
    close(m_impl->epoll_fd);
}

std::optional<std::uint32_t> CurlMultiPool::add(void* easy, const std::string& authority) {
    const auto index = static_cast<std::uint32_t>(std::hash<std::string>{}(authority) % k_shards);
    Shard& shard = m_impl->shards[index];
    if (curl_multi_add_handle(m_impl->multi_of(shard), static_cast<CURL*>(easy)) != CURLM_OK) return std::nullopt;
    return index;
}

void CurlMultiPool::remove(void* easy, std::uint32_t shard) {
    if (shard >= k_shards || m_impl->shards[shard].multi == nullptr) return;
    curl_multi_remove_handle(m_impl->shards[shard].multi, static_cast<CURL*>(easy));
}

std::vector<CurlMultiPool::Finished> CurlMultiPool::run(std::chrono::milliseconds max_wait) {
    Impl& impl = *m_impl;
    auto fire_due_timers = [&] {
        const auto now = SteadyClock::now();
        for (auto& shard : impl.shards) {
            if (shard.multi == nullptr || !shard.timer || *shard.timer > now) continue;
            shard.timer.reset();
            impl.act(shard, CURL_SOCKET_TIMEOUT, 0);
        }
    };
    auto collect = [&] {
        std::vector<Finished> finished;
        for (auto& shard : impl.shards) {
            if (!shard.touched) continue;
            shard.touched = false;
            int queued = 0;
            while (CURLMsg* message = curl_multi_info_read(shard.multi, &queued)) {
                if (message->msg == CURLMSG_DONE) finished.push_back({message->easy_handle, static_cast<int>(message->data.result)});
            }
        }
        return finished;
    };

    fire_due_timers();
    if (auto finished = collect(); !finished.empty()) return finished;

    // Wait for a socket, or until the next libcurl timer, whichever comes first.
    auto wait = max_wait;
    const auto now = SteadyClock::now();
    for (const auto& shard : impl.shards) {
        if (shard.multi == nullptr || !shard.timer) continue;
        wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(*shard.timer - now));
    }
    wait = std::max(wait, std::chrono::milliseconds(0));
    std::array<epoll_event, k_max_events> events{};
    const int ready = epoll_wait(impl.epoll_fd, events.data(), k_max_events, static_cast<int>(wait.count()));
    for (int i = 0; i < ready; ++i) {
        const auto& event = events[static_cast<std::size_t>(i)];
        Shard& shard = impl.shards[static_cast<std::size_t>(event.data.u64 >> 32)];
        const auto socket = static_cast<curl_socket_t>(event.data.u64 & 0xffffffffu);
        int flags = 0;
        if ((event.events & EPOLLIN) != 0) flags |= CURL_CSELECT_IN;
        if ((event.events & EPOLLOUT) != 0) flags |= CURL_CSELECT_OUT;
        if ((event.events & (EPOLLERR | EPOLLHUP)) != 0) flags |= CURL_CSELECT_ERR;
        if (shard.multi != nullptr) impl.act(shard, socket, flags);
    }
    fire_due_timers();
    return collect();
}

std::string url_authority(const std::string& url) {
    auto scheme = url.find("://");
    std::size_t begin = scheme == std::string::npos ? 0 : scheme + 3;
    std::size_t end = url.find_first_of("/?#", begin);
    return url.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

}  // namespace agentctl::runners
