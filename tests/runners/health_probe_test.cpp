#include "runners/health_probe.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

#include "runners/curl_multi_pool.hpp"
#include "support/http_listener.hpp"

using agentctl::runners::HealthProber;
using agentctl::runners::ProbeRequest;
using agentctl::runners::ProbeResult;
using agentctl::spec::HealthKind;
using agentctl::test::ClosedPort;
using agentctl::test::HttpListener;
using Millis = std::chrono::milliseconds;

namespace {

// Serves the fixed answers the tests expect, one path each.
int fixed_answers(const std::string& path) {
    if (path == "/health") return 200;
    if (path == "/empty") return 204;
    if (path == "/down") return 503;
    if (path == "/moved") return 302;
    if (path == "/slow") return 0;
    return 404;
}

ProbeRequest http(const std::string& url, Millis timeout = Millis(2000)) {
    return ProbeRequest{HealthKind::http, url, timeout};
}

ProbeRequest tcp(const std::string& target, Millis timeout = Millis(2000)) {
    return ProbeRequest{HealthKind::tcp, target, timeout};
}

ProbeResult probe_one(HealthProber& prober, const ProbeRequest& request) {
    auto results = prober.probe({request});
    REQUIRE(results.size() == 1);
    return results[0];
}

// Waits until `condition` holds or two seconds pass; returns whether it held.
template <typename Condition>
bool eventually(Condition condition) {
    for (int i = 0; i < 200; ++i) {
        if (condition()) return true;
        std::this_thread::sleep_for(Millis(10));
    }
    return condition();
}

}  // namespace

TEST_CASE("make_probe_request joins the base URL and the health path") {
    agentctl::spec::HealthSpec health;
    health.kind = HealthKind::http;
    health.http_path = "/health";
    health.timeout = Millis(2000);
    auto request = agentctl::runners::make_probe_request(health, "http://127.0.0.1:9001");
    CHECK(request.kind == HealthKind::http);
    CHECK(request.url == "http://127.0.0.1:9001/health");
    CHECK(request.timeout == Millis(2000));

    CHECK(agentctl::runners::make_probe_request(health, "http://127.0.0.1:9001/").url ==
          "http://127.0.0.1:9001/health");
    health.http_path = "status/ready";
    CHECK(agentctl::runners::make_probe_request(health, "http://h:1").url == "http://h:1/status/ready");

    health.kind = HealthKind::tcp;
    CHECK(agentctl::runners::make_probe_request(health, "http://127.0.0.1:9001").url == "http://127.0.0.1:9001");
    health.kind = HealthKind::exec;
    CHECK(agentctl::runners::make_probe_request(health, "http://127.0.0.1:9001").url.empty());
}

TEST_CASE("http probes report the status code and only 2xx is healthy") {
    HttpListener server(fixed_answers);
    HealthProber prober;

    auto ok = probe_one(prober, http(server.url() + "/health"));
    CHECK(ok.healthy);
    CHECK(ok.detail == "HTTP 200");
    CHECK_FALSE(ok.timed_out);
    CHECK(ok.elapsed < Millis(2000));

    auto empty = probe_one(prober, http(server.url() + "/empty"));
    CHECK(empty.healthy);
    CHECK(empty.detail == "HTTP 204");

    auto down = probe_one(prober, http(server.url() + "/down"));
    CHECK_FALSE(down.healthy);
    CHECK(down.detail == "HTTP 503");

    auto missing = probe_one(prober, http(server.url() + "/nope"));
    CHECK_FALSE(missing.healthy);
    CHECK(missing.detail == "HTTP 404");

    auto moved = probe_one(prober, http(server.url() + "/moved"));
    CHECK_FALSE(moved.healthy);
    CHECK(moved.detail == "HTTP 302 (redirect not followed)");
    CHECK(server.requests() == 5);  // the redirect was not followed
}

TEST_CASE("a closed port is reported as connection refused, quickly") {
    ClosedPort closed;
    HealthProber prober;
    auto result = probe_one(prober, http(closed.url() + "/health", Millis(5000)));
    CHECK_FALSE(result.healthy);
    CHECK(result.detail == "connection refused");
    CHECK_FALSE(result.timed_out);
    CHECK(result.elapsed < Millis(2000));
}

TEST_CASE("a server that never answers times out after the probe timeout") {
    HttpListener server(fixed_answers);
    HealthProber prober;
    auto start = std::chrono::steady_clock::now();
    auto result = probe_one(prober, http(server.url() + "/slow", Millis(300)));
    auto took = std::chrono::steady_clock::now() - start;
    CHECK_FALSE(result.healthy);
    CHECK(result.timed_out);
    CHECK(result.detail == "timed out after 300ms");
    CHECK(result.elapsed >= Millis(250));
    CHECK(took < Millis(3000));
}

TEST_CASE("tcp probes only need the connection to be accepted") {
    HttpListener server(fixed_answers);
    ClosedPort closed;
    HealthProber prober;
    const std::string host_port = "127.0.0.1:" + std::to_string(server.port());

    auto results = prober.probe({tcp(host_port), tcp(server.url()), tcp("127.0.0.1:" + std::to_string(closed.port()))});
    REQUIRE(results.size() == 3);
    CHECK(results[0].healthy);
    CHECK(results[0].detail == "connected");
    CHECK(results[1].healthy);
    CHECK(results[1].detail == "connected");
    CHECK_FALSE(results[2].healthy);
    CHECK(results[2].detail == "connection refused");
    CHECK(server.requests() == 0);  // nothing is sent on a tcp check

    // A tcp check makes a fresh connection every time and closes it at once.
    // (The listener accepts in its own thread, so counts are awaited, not read at once.)
    CHECK(eventually([&] { return server.connections() == 2; }));
    CHECK(eventually([&] { return server.open_connections() == 0; }));
    probe_one(prober, tcp(host_port));
    CHECK(eventually([&] { return server.connections() == 3; }));
}

TEST_CASE("one call mixes kinds and keeps the results in request order") {
    HttpListener server(fixed_answers);
    ClosedPort closed;
    HealthProber prober;
    auto results = prober.probe({
        http(server.url() + "/down"),
        http(closed.url() + "/health"),
        ProbeRequest{HealthKind::exec, "", Millis(1000)},
        tcp("127.0.0.1:" + std::to_string(server.port())),
        http(server.url() + "/health"),
    });
    REQUIRE(results.size() == 5);
    CHECK(results[0].detail == "HTTP 503");
    CHECK(results[1].detail == "connection refused");
    CHECK(results[2].detail == "not a network check");
    CHECK_FALSE(results[2].healthy);
    CHECK(results[3].detail == "connected");
    CHECK(results[4].detail == "HTTP 200");
    CHECK(prober.probe({}).empty());
}

TEST_CASE("keep-alive connections are reused across calls") {
    HttpListener server(fixed_answers, /*keep_alive=*/true);
    HealthProber prober;
    for (int i = 0; i < 3; ++i) CHECK(probe_one(prober, http(server.url() + "/health")).detail == "HTTP 200");
    CHECK(server.requests() == 3);
    CHECK(server.connections() == 1);
}

TEST_CASE("a target checked again reports its new answer every time") {
    // The prober keeps each target's libcurl handle set up between calls: nothing of the last
    // answer may leak into the next one.
    std::atomic<int> answer{200};
    HttpListener server([&](const std::string&) { return answer.load(); }, /*keep_alive=*/true);
    HealthProber prober;
    const auto request = http(server.url() + "/health", Millis(300));
    CHECK(probe_one(prober, request).detail == "HTTP 200");
    answer = 503;
    auto down = probe_one(prober, request);
    CHECK_FALSE(down.healthy);
    CHECK(down.detail == "HTTP 503");
    answer = 0;  // holds the request: the reused handle keeps its 300 ms timeout
    auto slow = probe_one(prober, request);
    CHECK(slow.timed_out);
    CHECK(slow.detail == "timed out after 300ms");
    answer = 204;
    auto back = probe_one(prober, request);
    CHECK(back.healthy);
    CHECK(back.detail == "HTTP 204");
    CHECK_FALSE(back.timed_out);
    // The same URL with another timeout, and as a tcp check, is set up for what it now is.
    answer = 0;
    auto longer = probe_one(prober, http(server.url() + "/health", Millis(600)));
    CHECK(longer.detail == "timed out after 600ms");
    CHECK(longer.elapsed >= Millis(500));
    auto connected = probe_one(prober, tcp("127.0.0.1:" + std::to_string(server.port())));
    CHECK(connected.healthy);
    CHECK(connected.detail == "connected");
}

TEST_CASE("keep-alive connections to many agents are all kept across calls") {
    // More targets than the prober has multi handles, so several share one connection cache.
    std::vector<std::unique_ptr<HttpListener>> servers;
    std::vector<ProbeRequest> requests;
    for (int i = 0; i < 150; ++i) {
        servers.push_back(std::make_unique<HttpListener>(fixed_answers, /*keep_alive=*/true));
        requests.push_back(http(servers.back()->url() + "/health"));
    }
    HealthProber prober;
    for (int round = 0; round < 3; ++round) {
        auto results = prober.probe(requests);
        int healthy = 0;
        for (const auto& result : results) healthy += result.healthy ? 1 : 0;
        CHECK(healthy == 150);
    }
    int reconnected = 0;
    for (const auto& server : servers) {
        CHECK(server->requests() == 3);
        reconnected += server->connections() == 1 ? 0 : 1;
    }
    CHECK(reconnected == 0);
}

TEST_CASE("url_authority keeps the host and port of a URL") {
    CHECK(agentctl::runners::url_authority("http://127.0.0.1:8080/health") == "127.0.0.1:8080");
    CHECK(agentctl::runners::url_authority("http://[::1]:9000?x=1") == "[::1]:9000");
    CHECK(agentctl::runners::url_authority("https://agent.example#top") == "agent.example");
    CHECK(agentctl::runners::url_authority("127.0.0.1:7000") == "127.0.0.1:7000");
}

TEST_CASE("a server that closes each connection is still probed every time") {
    HttpListener server(fixed_answers, /*keep_alive=*/false);
    HealthProber prober;
    for (int i = 0; i < 3; ++i) CHECK(probe_one(prober, http(server.url() + "/health")).detail == "HTTP 200");
    CHECK(eventually([&] { return server.connections() == 3; }));
}

TEST_CASE("a user's http_proxy never captures health checks") {
    HttpListener server(fixed_answers);
    ClosedPort proxy;
    const char* names[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"};
    for (const char* name : names) ::setenv(name, proxy.url().c_str(), 1);
    HealthProber prober;
    auto result = probe_one(prober, http(server.url() + "/health"));
    for (const char* name : names) ::unsetenv(name);
    CHECK(result.detail == "HTTP 200");
    CHECK(result.healthy);
}

TEST_CASE("cancelling abandons the checks still running") {
    HttpListener server(fixed_answers);
    HealthProber prober;
    auto start = std::chrono::steady_clock::now();
    auto results = prober.probe({http(server.url() + "/slow", Millis(10000)), http(server.url() + "/slow", Millis(10000))},
                                [&] { return std::chrono::steady_clock::now() - start > Millis(100); });
    auto took = std::chrono::steady_clock::now() - start;
    REQUIRE(results.size() == 2);
    CHECK(results[0].detail == "cancelled");
    CHECK(results[1].detail == "cancelled");
    CHECK(results[0].cancelled);
    CHECK_FALSE(results[0].timed_out);
    CHECK_FALSE(results[0].healthy);
    CHECK(took < Millis(2000));
    // The prober still works after a cancelled call.
    CHECK(probe_one(prober, http(server.url() + "/health")).detail == "HTTP 200");
}

TEST_CASE("200 concurrent probes against one listener") {
    HttpListener server(fixed_answers);
    HealthProber prober;
    std::vector<ProbeRequest> requests(200, http(server.url() + "/health"));
    requests[7] = http(server.url() + "/down");
    auto results = prober.probe(requests);
    REQUIRE(results.size() == 200);
    int healthy = 0;
    for (const auto& result : results) healthy += result.healthy ? 1 : 0;
    CHECK(healthy == 199);
    CHECK(results[7].detail == "HTTP 503");
    CHECK(results[199].detail == "HTTP 200");
    CHECK(server.requests() == 200);
    // Concurrent checks need concurrent connections.
    CHECK(server.connections() > 1);
}

TEST_CASE("1,000 probes in one call finish quickly, also when repeated") {
    HttpListener server(fixed_answers);
    HealthProber prober;
    std::vector<ProbeRequest> requests(1000, http(server.url() + "/health"));
    for (int round = 0; round < 3; ++round) {
        auto start = std::chrono::steady_clock::now();
        auto results = prober.probe(requests);
        auto took = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - start);
        std::fprintf(stderr, "1000 probes, round %d: %lld ms\n", round + 1, static_cast<long long>(took.count()));
        int healthy = 0;
        for (const auto& result : results) healthy += result.healthy ? 1 : 0;
        CHECK(healthy == 1000);
        CHECK(took < Millis(10000));
    }
    CHECK(server.requests() == 3000);
}
