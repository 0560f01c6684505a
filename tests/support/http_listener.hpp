#pragma once
// HttpListener: a tiny real HTTP/1.1 server for tests (one thread, one poll loop, loopback only)
// that answers each request with the status its responder picks, or never answers at all.
// ClosedPort: a loopback port that is guaranteed to refuse connections while it lives.
// Header-only so that only the tests that include it pay for it.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace agentctl::test {

/// Binds a loopback TCP socket on a free port and returns it (listening when `listen_too`).
inline int bind_loopback(bool listen_too, int& port_out) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket() failed");
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        (listen_too && ::listen(fd, 4096) != 0)) {
        ::close(fd);
        throw std::runtime_error("bind/listen on 127.0.0.1 failed");
    }
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    port_out = ntohs(address.sin_port);
    return fd;
}

/// A port bound but not listening: connecting to it is refused, and nobody else can take it.
class ClosedPort {
public:
    ClosedPort() { m_fd = bind_loopback(false, m_port); }
    ~ClosedPort() { ::close(m_fd); }
    ClosedPort(const ClosedPort&) = delete;
    ClosedPort& operator=(const ClosedPort&) = delete;

    int port() const { return m_port; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

private:
    int m_fd = -1;
    int m_port = 0;
};

/// The server. The responder runs on the server thread and must be thread-safe.
class HttpListener {
public:
    /// Returns the status for a request path; 0 means "never answer" (the connection is held).
    using Responder = std::function<int(const std::string& path)>;

    explicit HttpListener(Responder responder, bool keep_alive = true)
        : m_responder(std::move(responder)), m_keep_alive(keep_alive) {
        m_listen_fd = bind_loopback(true, m_port);
        ::fcntl(m_listen_fd, F_SETFL, O_NONBLOCK);
        if (::pipe2(m_wake, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("pipe2() failed");
        m_thread = std::thread([this] { run(); });
    }

    ~HttpListener() {
        m_stopping = true;
        char byte = 0;
        (void)!::write(m_wake[1], &byte, 1);
        m_thread.join();
        for (auto& entry : m_clients) ::close(entry.first);
        ::close(m_listen_fd);
        ::close(m_wake[0]);
        ::close(m_wake[1]);
    }

    HttpListener(const HttpListener&) = delete;
    HttpListener& operator=(const HttpListener&) = delete;

    int port() const { return m_port; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
    /// Connections accepted so far.
    int connections() const { return m_connections; }
    /// Requests read so far (answered or held).
    int requests() const { return m_requests; }
    /// Connections currently open.
    int open_connections() const { return m_open; }

private:
    struct Client {
        std::string buffer;
        bool held = false;  // a request was never answered: ignore anything else on it
    };

    static const char* reason(int status) {
        switch (status) {
            case 200: return "OK";
            case 204: return "No Content";
            case 302: return "Found";
            case 404: return "Not Found";
            case 500: return "Internal Server Error";
            case 503: return "Service Unavailable";
            default: return "Status";
        }
    }

    void run() {
        while (!m_stopping) {
            std::vector<pollfd> fds;
            fds.push_back({m_wake[0], POLLIN, 0});
            fds.push_back({m_listen_fd, POLLIN, 0});
            for (auto& entry : m_clients) fds.push_back({entry.first, POLLIN, 0});
            if (::poll(fds.data(), fds.size(), 1000) < 0) continue;
            if (fds[1].revents & POLLIN) accept_all();
            for (std::size_t i = 2; i < fds.size(); ++i)
                if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) serve(fds[i].fd);
        }
    }

    void accept_all() {
        for (;;) {
            int fd = ::accept4(m_listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (fd < 0) return;
            m_clients[fd] = Client{};
            ++m_connections;
            ++m_open;
        }
    }

    void drop(int fd) {
        ::close(fd);
        m_clients.erase(fd);
        --m_open;
    }

    void serve(int fd) {
        char chunk[4096];
        ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
        if (got <= 0) {
            drop(fd);
            return;
        }
        Client& client = m_clients[fd];
        if (client.held) return;
        client.buffer.append(chunk, static_cast<std::size_t>(got));
        for (;;) {
            std::size_t end = client.buffer.find("\r\n\r\n");
            if (end == std::string::npos) return;
            std::string head = client.buffer.substr(0, end);
            client.buffer.erase(0, end + 4);
            ++m_requests;
            std::size_t first_space = head.find(' ');
            std::size_t second_space = head.find(' ', first_space + 1);
            std::string path = head.substr(first_space + 1, second_space - first_space - 1);
            int status = m_responder(path);
            if (status == 0) {
                client.held = true;
                return;
            }
            std::string response = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) +
                                   "\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n" +
                                   (status == 302 ? "Location: /elsewhere\r\n" : "") +
                                   (m_keep_alive ? "" : "Connection: close\r\n") + "\r\nok";
            (void)!::send(fd, response.data(), response.size(), MSG_NOSIGNAL);
            if (!m_keep_alive) {
                drop(fd);
                return;
            }
        }
    }

    Responder m_responder;
    bool m_keep_alive;
    int m_listen_fd = -1;
    int m_port = 0;
    int m_wake[2] = {-1, -1};
    std::map<int, Client> m_clients;  // server thread only
    std::atomic<bool> m_stopping{false};
    std::atomic<int> m_connections{0};
    std::atomic<int> m_requests{0};
    std::atomic<int> m_open{0};
    std::thread m_thread;
};

}  // namespace agentctl::test
