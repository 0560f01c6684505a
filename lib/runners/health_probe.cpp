#include "runners/health_probe.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "runners/curl_multi_pool.hpp"
#include "util/errors.hpp"
#include "util/process_watch.hpp"

namespace agentctl::runners {
namespace {

using SteadyClock = std::chrono::steady_clock;

// A health answer's body is read (so the connection can be reused) but never kept; past this
// size the transfer is cut short, its status code still counts.
constexpr std::size_t k_max_body_bytes = 64 * 1024;
// How long one wait for socket activity may last, so `cancelled` is seen quickly.
constexpr long k_poll_slice_ms = 20;
// Bounds on the number of checks in flight at once (each holds a socket).
constexpr std::size_t k_min_parallel = 16;
constexpr std::size_t k_max_parallel = 1024;

void init_curl_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            throw util::OperationError("cannot initialise libcurl");
    });
}

// A quarter of the descriptor limit, so a prober never starves the rest of the process.
std::size_t parallel_limit() {
    return std::clamp(util::open_files_share(4, k_max_parallel), k_min_parallel, k_max_parallel);
}

// One check in flight; its address is the easy handle's CURLOPT_PRIVATE.
struct Transfer {
    CURL* easy = nullptr;
    const ProbeRequest* request = nullptr;
    std::uint32_t shard = 0;  ///< where the pool started it
    SteadyClock::time_point started{};
    std::size_t body_bytes = 0;
    bool body_cut = false;
    char error[CURL_ERROR_SIZE] = {};
};

std::size_t discard_body(char*, std::size_t size, std::size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    transfer->body_bytes += size * count;
    if (transfer->body_bytes > k_max_body_bytes) {
        transfer->body_cut = true;
        return 0;  // aborts the transfer with CURLE_WRITE_ERROR
    }
    return size * count;
}

// "host:port" becomes a URL curl can connect to; anything with a scheme is kept.
std::string tcp_url(const std::string& target) {
    if (target.find("://") != std::string::npos) return target;
    return "http://" + target;
}

std::string http_detail(long code) {
    std::string detail = "HTTP " + std::to_string(code);
    if (code >= 300 && code < 400) detail += " (redirect not followed)";
    return detail;
}

// curl's own messages start with a capital ("Could not resolve host: x"); ours do not.
std::string curl_message(const Transfer& transfer, CURLcode code) {
    std::string text = transfer.error[0] != '\0' ? transfer.error : curl_easy_strerror(code);
    if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    return text;
}

std::string failure_detail(const Transfer& transfer, CURLcode code) {
    long os_errno = 0;
    curl_easy_getinfo(transfer.easy, CURLINFO_OS_ERRNO, &os_errno);
    switch (code) {
        case CURLE_COULDNT_CONNECT:
            if (os_errno == ECONNREFUSED) return "connection refused";
            if (os_errno == EHOSTUNREACH) return "host unreachable";
            if (os_errno == ENETUNREACH) return "network unreachable";
            return curl_message(transfer, code);
        case CURLE_GOT_NOTHING: return "empty reply (connection closed)";
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
            if (os_errno == ECONNRESET) return "connection reset";
            return curl_message(transfer, code);
        case CURLE_URL_MALFORMAT:
        case CURLE_UNSUPPORTED_PROTOCOL: return "invalid URL: " + transfer.request->url;
        default: return curl_message(transfer, code);
    }
}

ProbeResult finish(const Transfer& transfer, CURLcode code) {
    ProbeResult result;
    result.elapsed = std::chrono::duration_cast<Millis>(SteadyClock::now() - transfer.started);
    const bool http = transfer.request->kind == spec::HealthKind::http;
    if (code == CURLE_OK || (code == CURLE_WRITE_ERROR && transfer.body_cut)) {
        if (!http) {
            result.healthy = true;
            result.detail = "connected";
            return result;
        }
        long status = 0;
        curl_easy_getinfo(transfer.easy, CURLINFO_RESPONSE_CODE, &status);
        result.healthy = status >= 200 && status < 300;
        result.detail = http_detail(status);
        return result;
    }
    if (code == CURLE_OPERATION_TIMEDOUT) {
        result.timed_out = true;
        result.detail = "timed out after " + util::format_duration(transfer.request->timeout);
        return result;
    }
    result.detail = failure_detail(transfer, code);
    return result;
}

}  // namespace

struct HealthProber::Impl {
    // Idle keep-alive connections stay cached between calls, about one per check that can be
    // in flight.
    explicit Impl(std::size_t parallel_checks) : parallel(parallel_checks), pool(static_cast<long>(parallel_checks)) {}

    // An idle easy handle still configured for the request it last ran.
    struct Configured {
        CURL* easy = nullptr;
        spec::HealthKind kind = spec::HealthKind::http;
        Millis timeout{0};
    };

    std::size_t parallel;
    CurlMultiPool pool;
    // Easy handles kept between calls, at most `parallel` in all: by the URL they are set up
    // for, so that checking the same target again (the monitor, every interval) sets no option
    // but the three that point at this call's Transfer; libcurl resets a transfer's own state
    // when it starts. A handle kept by URL is reset and set up again for another target only
    // when no plain idle one is left.
    std::unordered_map<std::string, Configured> by_url;
    std::vector<CURL*> idle;

    std::size_t kept() const { return by_url.size() + idle.size(); }

    // Sets transfer.easy to a handle set up for the transfer's request.
    void acquire(Transfer& transfer) {
        const ProbeRequest& request = *transfer.request;
        auto found = by_url.find(request.url);
        if (found != by_url.end() && found->second.kind == request.kind && found->second.timeout == request.timeout) {
            transfer.easy = found->second.easy;
            by_url.erase(found);
            point_at(transfer);
            return;
        }
        if (!idle.empty()) {
            transfer.easy = idle.back();
            idle.pop_back();
        } else if (!by_url.empty()) {
            auto other = found != by_url.end() ? found : by_url.begin();
            transfer.easy = other->second.easy;
            by_url.erase(other);
        } else {
            transfer.easy = curl_easy_init();
            if (transfer.easy == nullptr) throw util::OperationError("cannot create a libcurl handle");
        }
        configure(transfer);
    }

    void release(CURL* easy, const ProbeRequest& request) {
        if (kept() >= parallel) {
            curl_easy_cleanup(easy);
        } else if (by_url.count(request.url) == 0) {
            by_url.emplace(request.url, Configured{easy, request.kind, request.timeout});
        } else {
            idle.push_back(easy);  // the same URL twice in one call: plain idle, set up on use
        }
    }

    // The options that point at this call's Transfer.
    static void point_at(Transfer& transfer) {
        curl_easy_setopt(transfer.easy, CURLOPT_PRIVATE, &transfer);
        curl_easy_setopt(transfer.easy, CURLOPT_ERRORBUFFER, transfer.error);
        curl_easy_setopt(transfer.easy, CURLOPT_WRITEDATA, &transfer);
    }

    // Every option set from scratch: a reset handle keeps nothing from its last check but its
    // shard's shared connection and DNS caches.
    static void configure(Transfer& transfer) {
        CURL* easy = transfer.easy;
        const ProbeRequest& request = *transfer.request;
        const long timeout_ms = std::max<long>(1, static_cast<long>(request.timeout.count()));
        const bool http = request.kind == spec::HealthKind::http;
        curl_easy_reset(easy);
        curl_easy_setopt(easy, CURLOPT_URL, http ? request.url.c_str() : tcp_url(request.url).c_str());
        point_at(transfer);
        curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy, CURLOPT_PROXY, "");
        curl_easy_setopt(easy, CURLOPT_NOPROXY, "*");
        curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
        curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
        curl_easy_setopt(easy, CURLOPT_USERAGENT, "agentctl-health");
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &discard_body);
        if (!http) {
            // A tcp check must prove a new connection is accepted now, and must not leave it open.
            curl_easy_setopt(easy, CURLOPT_CONNECT_ONLY, 1L);
            curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L);
            curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
        }
    }

    void stop(Transfer& transfer) {
        pool.remove(transfer.easy, transfer.shard);
        release(transfer.easy, *transfer.request);
        transfer.easy = nullptr;
    }
};

ProbeRequest make_probe_request(const spec::HealthSpec& health, const std::string& base_url) {
    ProbeRequest request;
    request.kind = health.kind;
    request.timeout = health.timeout;
    if (health.kind == spec::HealthKind::tcp) {
        request.url = base_url;
    } else if (health.kind == spec::HealthKind::http) {
        std::string base = base_url;
        while (!base.empty() && base.back() == '/') base.pop_back();
        const std::string& path = health.http_path;
        request.url = base + (path.empty() || path.front() != '/' ? "/" : "") + path;
    }
    return request;
}

HealthProber::HealthProber() {
    init_curl_once();
    m_impl = std::make_unique<Impl>(parallel_limit());
}

HealthProber::~HealthProber() {
    for (CURL* easy : m_impl->idle) curl_easy_cleanup(easy);
    for (const auto& [url, configured] : m_impl->by_url) curl_easy_cleanup(configured.easy);
}

std::vector<ProbeResult> HealthProber::probe(const std::vector<ProbeRequest>& requests,
                                             const std::function<bool()>& cancelled) {
    Impl& impl = *m_impl;
    std::vector<ProbeResult> results(requests.size());
    std::vector<Transfer> transfers(requests.size());
    std::size_t next = 0;
    std::size_t active = 0;

    // Keeps at most `parallel` checks in flight; each one's clock starts when it is added, so a
    // queued check never spends its timeout waiting for a slot.
    auto start_more = [&] {
        while (active < impl.parallel && next < requests.size()) {
            const std::size_t i = next++;
            const ProbeRequest& request = requests[i];
            if (request.kind != spec::HealthKind::http && request.kind != spec::HealthKind::tcp) {
                results[i].detail = "not a network check";
                continue;
            }
            Transfer& transfer = transfers[i];
            transfer.request = &request;
            impl.acquire(transfer);
            transfer.started = SteadyClock::now();
            const auto shard = impl.pool.add(transfer.easy, url_authority(request.url));
            if (!shard) {
                impl.release(transfer.easy, request);
                transfer.easy = nullptr;
                results[i].detail = "cannot start the check";
                continue;
            }
            transfer.shard = *shard;
            ++active;
        }
    };

    auto abandon_all = [&](const char* detail) {
        for (std::size_t i = 0; i < transfers.size(); ++i) {
            Transfer& transfer = transfers[i];
            if (transfer.easy == nullptr) continue;
            results[i].detail = detail;
            results[i].cancelled = true;
            results[i].elapsed = std::chrono::duration_cast<Millis>(SteadyClock::now() - transfer.started);
            impl.stop(transfer);
        }
        active = 0;
    };

    try {
        start_more();
        while (active > 0) {
            if (cancelled && cancelled()) {
                abandon_all("cancelled");
                break;
            }
            for (const auto& done : impl.pool.run(std::chrono::milliseconds(k_poll_slice_ms))) {
                Transfer* transfer = nullptr;
                curl_easy_getinfo(static_cast<CURL*>(done.easy), CURLINFO_PRIVATE, &transfer);
                results[static_cast<std::size_t>(transfer - transfers.data())] = finish(*transfer, static_cast<CURLcode>(done.code));
                impl.stop(*transfer);
                --active;
            }
            start_more();
        }
    } catch (...) {
        // Never leave a handle attached to a multi handle with a dangling Transfer pointer.
        abandon_all("aborted");
        throw;
    }
    // Requests never started (cancelled before their turn) say so too.
    for (std::size_t i = next; i < requests.size(); ++i) {
        results[i].detail = "cancelled";
        results[i].cancelled = true;
    }
    return results;
}

}  // namespace agentctl::runners
