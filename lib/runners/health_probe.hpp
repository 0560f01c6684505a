#pragma once
// HealthProber: http and tcp health checks run from agentctl's machine, many at once through one
// libcurl multi handle (DESIGN.md §2 "Readiness"). libcurl appears only in health_probe.cpp.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "spec/job_spec.hpp"
#include "util/duration.hpp"

namespace agentctl::runners {

using util::Millis;

/// One check to run: `url` is the full URL (path included) for http, and "host:port" or any URL
/// for tcp (only a TCP connection is made). Other kinds are not network checks.
struct ProbeRequest {
    spec::HealthKind kind = spec::HealthKind::http;
    std::string url;
    Millis timeout{5000};  ///< bounds the connection and the whole exchange
};

/// The result of one check. `detail` is short and human-readable: "HTTP 200", "HTTP 503",
/// "HTTP 302 (redirect not followed)", "connection refused", "timed out after 2s", "connected".
struct ProbeResult {
    bool healthy = false;   ///< http: a 2xx answer; tcp: the connection was accepted
    std::string detail;
    Millis elapsed{0};      ///< from the moment the check started to its end
    bool timed_out = false; ///< the check ran out of time (told apart from a refusal or an error)
    bool cancelled = false; ///< abandoned because the caller cancelled: says nothing about the agent
};

/// The request for `health` against an agent reached at `base_url` (e.g. "http://127.0.0.1:9001"):
/// http joins the base URL and `health.http_path`; tcp keeps the base URL (host and port only).
ProbeRequest make_probe_request(const spec::HealthSpec& health, const std::string& base_url);

/// Runs http and tcp checks concurrently, reusing its connections and curl handles across calls.
/// Never uses a proxy (a user's http_proxy must not capture health checks), never follows
/// redirects. Not thread-safe: use one prober per thread.
class HealthProber {
public:
    /// Sets up the multi handle (and libcurl's global state, once per process).
    HealthProber();
    /// Releases every handle and cached connection.
    ~HealthProber();
    HealthProber(const HealthProber&) = delete;
    HealthProber& operator=(const HealthProber&) = delete;

    /// Runs every request at once and returns one result per request, in order. When `cancelled`
    /// is given it is polled about every 20 ms; once it returns true the checks still running are
    /// abandoned with detail "cancelled".
    std::vector<ProbeResult> probe(const std::vector<ProbeRequest>& requests,
                                   const std::function<bool()>& cancelled = {});

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace agentctl::runners
