#pragma once
// Many concurrent libcurl transfers spread over several multi handles ("shards") and driven by
// one epoll set through libcurl's socket interface. Internal to the health prober.
//
// Why not one multi handle: libcurl 7.88 (Debian 12) walks its whole connection cache each
// time a finished transfer leaves a multi handle, so a monitor that keeps one connection alive
// per agent paid O(agents) per check, O(agents²) per round. A target ("host:port") always goes
// to the same shard, so its kept-alive connection is found again, and each shard's cache stays
// small. The socket interface touches only the transfers with activity, where
// curl_multi_perform visits every transfer on every wake-up.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace agentctl::runners {

/// Transfers of libcurl easy handles (`CURL*`, which libcurl declares as void) across sharded
/// multi handles. Not thread-safe.
class CurlMultiPool {
public:
    /// A transfer that finished: its easy handle and its CURLcode.
    struct Finished {
        void* easy = nullptr;
        int code = 0;
    };

    /// A pool whose shards together keep at most about `max_idle_connections` idle connections.
    explicit CurlMultiPool(long max_idle_connections);
    /// Releases the multi handles (every easy handle must have been removed) and the epoll set.
    ~CurlMultiPool();
    CurlMultiPool(const CurlMultiPool&) = delete;
    CurlMultiPool& operator=(const CurlMultiPool&) = delete;

    /// Starts the configured easy handle `easy` on the shard of `authority` ("host:port") and
    /// returns that shard, for remove(); nullopt when libcurl refuses it.
    std::optional<std::uint32_t> add(void* easy, const std::string& authority);

    /// Detaches `easy` (finished or abandoned) from `shard`, where add() started it.
    void remove(void* easy, std::uint32_t shard);

    /// Lets libcurl act on due timers and ready sockets, waiting at most `max_wait` for them,
    /// and returns the transfers that finished meanwhile (possibly none).
    std::vector<Finished> run(std::chrono::milliseconds max_wait);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// The "host:port" part of a URL ("http://127.0.0.1:8080/health" → "127.0.0.1:8080").
std::string url_authority(const std::string& url);

}  // namespace agentctl::runners
