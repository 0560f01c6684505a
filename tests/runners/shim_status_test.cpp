// Reading the shim's status file.

#include "runners/shim_status.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include "runners/runner_test_support.hpp"

using agentctl::runners::parse_shim_status;
using agentctl::runners::read_shim_status;
using agentctl::runners::shim_status_path;

TEST_CASE("parse_shim_status reads an exited agent", "[status]") {
    auto status = parse_shim_status(
        R"({"version":1,"shim_pid":4242,"shim_start":77174,"agent_pid":4244,"agent_start":77175,)"
        R"("state":"exited","started_at":"2026-11-23T09:30:00.123Z","exit_status":143,"signal":15,)"
        R"("exited_at":"2026-11-23T09:31:10.456Z","error":null})");
    REQUIRE(status.has_value());
    CHECK(status->shim.pid == 4242);
    CHECK(status->shim.start_time == 77174);
    CHECK(status->agent.pid == 4244);
    CHECK(status->agent.start_time == 77175);
    CHECK(status->exited);
    CHECK(status->exit_status == 143);
    CHECK(status->signal == 15);
    REQUIRE(status->exited_at.has_value());
    CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(status->exited_at->time_since_epoch()).count() ==
          1795426270456LL);
    REQUIRE(status->started_at.has_value());
    CHECK(status->error.empty());
}

TEST_CASE("parse_shim_status reads a running agent and a start failure", "[status]") {
    auto running = parse_shim_status(
        R"({"version":1,"shim_pid":1,"shim_start":2,"agent_pid":3,"agent_start":4,"state":"running",)"
        R"("started_at":"2026-11-23T09:30:00.123Z","exit_status":null,"signal":null,"exited_at":null,"error":null})");
    REQUIRE(running.has_value());
    CHECK_FALSE(running->exited);
    CHECK_FALSE(running->exit_status.has_value());
    CHECK_FALSE(running->exited_at.has_value());

    auto failed = parse_shim_status(
        R"({"version":1,"shim_pid":1,"shim_start":2,"agent_pid":0,"agent_start":0,"state":"exited",)"
        R"("started_at":"2026-11-23T09:30:00.123Z","exit_status":127,"signal":null,)"
        R"("exited_at":"2026-11-23T09:30:00.124Z","error":"exec ./nope: No such \"file\""})");
    REQUIRE(failed.has_value());
    CHECK(failed->agent.empty());
    CHECK(failed->exit_status == 127);
    CHECK(failed->error == "exec ./nope: No such \"file\"");
}

TEST_CASE("parse_shim_status refuses other versions and garbage", "[status]") {
    CHECK_FALSE(parse_shim_status(R"({"version":2,"state":"running"})"));
    CHECK_FALSE(parse_shim_status("{\"version\":1,"));
    CHECK_FALSE(parse_shim_status("[]"));
    CHECK_FALSE(parse_shim_status(""));
}

TEST_CASE("read_shim_status reads the file in a run dir", "[status]") {
    agentctl::test::TempDir dir;
    CHECK(shim_status_path(dir.path()) == dir / "status.json");
    CHECK_FALSE(read_shim_status(shim_status_path(dir.path())));
    std::ofstream(dir / "status.json") << R"({"version":1,"shim_pid":9,"shim_start":8,"agent_pid":7,"agent_start":6,)"
                                          R"("state":"running","started_at":null,"exit_status":null,"signal":null,)"
                                          R"("exited_at":null,"error":null})"
                                       << "\n";
    auto status = read_shim_status(dir / "status.json");
    REQUIRE(status.has_value());
    CHECK(status->agent.pid == 7);
    CHECK(status->agent.start_time == 6);
}

namespace {

// Writes a status file the way the shim does: a temporary file renamed over the old one.
void write_status_like_the_shim(const std::string& path, int agent_pid, const char* state) {
    const std::string temporary = path + ".tmp";
    std::ofstream(temporary) << R"({"version":1,"shim_pid":9,"shim_start":8,"agent_pid":)" << agent_pid
                             << R"(,"agent_start":6,"state":")" << state
                             << R"(","started_at":null,"exit_status":null,"signal":null,"exited_at":null,"error":null})"
                             << "\n";
    REQUIRE(std::rename(temporary.c_str(), path.c_str()) == 0);
}

}  // namespace

TEST_CASE("ShimStatusCache sees every replacement of a status file", "[status]") {
    agentctl::test::TempDir dir;
    const std::string path = dir / "status.json";
    agentctl::runners::ShimStatusCache cache;
    CHECK_FALSE(cache.read(path));

    write_status_like_the_shim(path, 7, "running");
    auto first = cache.read(path);
    REQUIRE(first.has_value());
    CHECK(first->agent.pid == 7);
    CHECK_FALSE(first->exited);
    CHECK(cache.read(path)->agent.pid == 7);

    // Same size, written at once: only the inode tells the new file apart.
    write_status_like_the_shim(path, 5, "exited");
    auto second = cache.read(path);
    REQUIRE(second.has_value());
    CHECK(second->agent.pid == 5);
    CHECK(second->exited);

    std::remove(path.c_str());
    CHECK_FALSE(cache.read(path));
}
