#pragma once
// `--metrics-addr HOST:PORT`: a small HTTP server (cpp-httplib, kept inside metrics_server.cpp)
// answering GET /metrics with the Prometheus text exposition of a MonitorMetrics.

#include <functional>
#include <memory>
#include <string>

namespace agentctl::cli {

/// Serves /metrics on one address from a background thread until destroyed.
class MetricsServer {
public:
    /// Binds `address` ("127.0.0.1:9464", "[::1]:9464", ":9464" for every address) and starts
    /// serving `render()`. Throws util::UsageError for a malformed address and
    /// util::OperationError when the address cannot be bound (in use, not local).
    MetricsServer(const std::string& address, std::function<std::string()> render);
    /// Stops serving and joins the thread.
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    /// The port actually bound.
    int port() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace agentctl::cli
