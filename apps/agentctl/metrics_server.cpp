#include "metrics_server.hpp"

#include <httplib.h>

#include <thread>

#include "util/errors.hpp"

namespace agentctl::cli {

struct MetricsServer::Impl {
    httplib::Server server;
    std::thread thread;
    int port = 0;
};

namespace {

// "HOST:PORT" -> host and port; "[v6]:PORT" takes the brackets off; an empty host is every address.
void split_address(const std::string& address, std::string& host, int& port) {
    auto colon = address.rfind(':');
    auto usage = [&] {
        return util::UsageError("--metrics-addr needs HOST:PORT (e.g. 127.0.0.1:9464), not '" + address + "'");
    };
    if (colon == std::string::npos) throw usage();
    host = address.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host.empty()) host = "0.0.0.0";
    const std::string digits = address.substr(colon + 1);
    if (digits.empty() || digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos) throw usage();
    port = std::stoi(digits);
    if (port > 65535) throw usage();
}

}  // namespace

MetricsServer::MetricsServer(const std::string& address, std::function<std::string()> render)
    : m_impl(std::make_unique<Impl>()) {
    std::string host;
    int port = 0;
    split_address(address, host, port);
    // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which a second monitor given
    // the same address would bind too, and scrapes would land on either at random.
    m_impl->server.set_socket_options([](socket_t sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    m_impl->server.Get("/metrics", [render](const httplib::Request&, httplib::Response& response) {
        response.set_content(render(), "text/plain; version=0.0.4; charset=utf-8");
    });
    m_impl->server.Get("/", [](const httplib::Request&, httplib::Response& response) {
        response.set_content("agentctl monitor: metrics at /metrics\n", "text/plain");
    });
    if (port == 0) {
        m_impl->port = m_impl->server.bind_to_any_port(host.c_str());
        if (m_impl->port < 0) throw util::OperationError("cannot listen on " + address + " (--metrics-addr)");
    } else {
        if (!m_impl->server.bind_to_port(host.c_str(), port)) {
            throw util::OperationError("cannot listen on " + address +
                                       " (--metrics-addr): the port is in use or the address is not local");
        }
        m_impl->port = port;
    }
    m_impl->thread = std::thread([impl = m_impl.get()] { impl->server.listen_after_bind(); });
}

MetricsServer::~MetricsServer() {
    m_impl->server.stop();
    if (m_impl->thread.joinable()) m_impl->thread.join();
}

int MetricsServer::port() const { return m_impl->port; }

}  // namespace agentctl::cli
