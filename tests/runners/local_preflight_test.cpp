// local_port_problem against real sockets: a free port, a listening one, and one held only by
// a connection that ended (TIME_WAIT).

#include "runners/local_preflight.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

using agentctl::runners::local_port_problem;

namespace {

sockaddr_in loopback(int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

int port_of(int fd) {
    sockaddr_in address{};
    socklen_t size = sizeof address;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0);
    return ntohs(address.sin_port);
}

// A listener on a free port the kernel picks.
int listener() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    auto address = loopback(0);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(fd, 4) == 0);
    return fd;
}

}  // namespace

TEST_CASE("local_port_problem: a listening process, and then a free port") {
    int server = listener();
    const int port = port_of(server);
    const std::string problem = local_port_problem(port);
    CHECK(problem == "port " + std::to_string(port) +
                         " on 127.0.0.1 is already in use by another process; stop it, or give the agent another config.port");
    ::close(server);
    CHECK(local_port_problem(port).empty());
}

TEST_CASE("local_port_problem: a port held only by an ended connection says TIME_WAIT") {
    int server = listener();
    // The client's end, bound without SO_REUSEADDR, closes first: its port goes to TIME_WAIT.
    int client = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(client >= 0);
    auto any = loopback(0);
    REQUIRE(::bind(client, reinterpret_cast<sockaddr*>(&any), sizeof any) == 0);
    const int port = port_of(client);
    auto target = loopback(port_of(server));
    REQUIRE(::connect(client, reinterpret_cast<sockaddr*>(&target), sizeof target) == 0);
    int accepted = ::accept(server, nullptr, nullptr);
    REQUIRE(accepted >= 0);
    ::close(client);
    char byte = 0;
    CHECK(::read(accepted, &byte, 1) == 0);  // the client's FIN has arrived
    ::close(accepted);
    ::close(server);
    const std::string problem = local_port_problem(port);
    CHECK(problem == "port " + std::to_string(port) +
                         " on 127.0.0.1 is still held by connections that ended recently (TIME_WAIT, up to 60 s); "
                         "deploy again in a minute, or give the agent a config.port outside the ephemeral range "
                         "(/proc/sys/net/ipv4/ip_local_port_range)");
}
