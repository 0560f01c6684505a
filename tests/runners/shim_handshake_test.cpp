// The shim's handshake line and the batched reader.

#include "runners/shim_handshake.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

using agentctl::runners::Handshake;
using agentctl::runners::parse_handshake;
using agentctl::runners::read_handshakes;

TEST_CASE("parse_handshake reads ok and error lines", "[handshake]") {
    auto ok = parse_handshake("ok 100 2000 101 2001");
    CHECK(ok.kind == Handshake::Kind::ok);
    CHECK(ok.shim.pid == 100);
    CHECK(ok.shim.start_time == 2000);
    CHECK(ok.agent.pid == 101);
    CHECK(ok.agent.start_time == 2001);

    auto error = parse_handshake("error exec ./nope: No such file or directory");
    CHECK(error.kind == Handshake::Kind::error);
    CHECK(error.message == "exec ./nope: No such file or directory");

    CHECK(parse_handshake("ok 100 2000 101").kind == Handshake::Kind::garbled);
    CHECK(parse_handshake("ok 100 2000 101 2001 extra").kind == Handshake::Kind::garbled);
    CHECK(parse_handshake("ok 0 2000 101 2001").kind == Handshake::Kind::garbled);
    CHECK(parse_handshake("hello").message == "hello");
}

TEST_CASE("read_handshakes reads many pipes at once and tells timeouts from closed pipes", "[handshake]") {
    int a[2], b[2], c[2], d[2];
    for (int* p : {a, b, c, d}) REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    REQUIRE(::write(a[1], "ok 1 2 ", 7) == 7);
    REQUIRE(::write(a[1], "3 4\nignored", 11) == 11);
    REQUIRE(::write(b[1], "error workdir /x: gone\n", 23) == 23);
    ::close(c[1]);  // closed without a line
    auto started = std::chrono::steady_clock::now();
    auto results = read_handshakes({a[0], b[0], c[0], d[0], -1}, std::chrono::milliseconds(200));
    auto took = std::chrono::steady_clock::now() - started;
    REQUIRE(results.size() == 5);
    CHECK(results[0].kind == Handshake::Kind::ok);
    CHECK(results[0].agent.start_time == 4);
    CHECK(results[1].kind == Handshake::Kind::error);
    CHECK(results[1].message == "workdir /x: gone");
    CHECK(results[2].kind == Handshake::Kind::closed);
    CHECK(results[3].kind == Handshake::Kind::timed_out);  // d: still open, silent
    CHECK(results[4].kind == Handshake::Kind::closed);     // never spawned
    CHECK(took >= std::chrono::milliseconds(200));
    CHECK(took < std::chrono::milliseconds(2000));
    // Every read end was closed by read_handshakes.
    CHECK(::fcntl(a[0], F_GETFD) == -1);
    CHECK(::fcntl(d[0], F_GETFD) == -1);
    for (int fd : {a[1], b[1], d[1]}) ::close(fd);
}
