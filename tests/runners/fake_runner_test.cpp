// The scriptable fake runner the deployer's tests use.

#include "support/fake_runner.hpp"

#include <catch2/catch.hpp>

using agentctl::runners::InstanceHandle;
using agentctl::runners::LaunchRequest;
using agentctl::runners::Liveness;
using agentctl::runners::StopOptions;
using agentctl::test::FakeRunner;
using agentctl::test::FakeScript;

namespace {

LaunchRequest named(const std::string& instance) {
    LaunchRequest request;
    request.instance = instance;
    request.argv = {"agent", instance};
    return request;
}

}  // namespace

TEST_CASE("FakeRunner: unscripted instances start, run and stop", "[fake]") {
    FakeRunner runner;
    auto outcomes = runner.start({named("a"), named("b")});
    REQUIRE(outcomes.size() == 2);
    CHECK(outcomes[0].started);
    CHECK(outcomes[1].started);
    CHECK(outcomes[0].handle.agent.pid != outcomes[1].handle.agent.pid);
    CHECK(runner.instance_of(outcomes[1].handle) == "b");
    CHECK(runner.inspect(outcomes[0].handle).liveness == Liveness::running);
    CHECK(runner.healthy("a"));
    auto stopped = runner.stop(outcomes[0].handle, StopOptions{});
    CHECK(stopped.stopped);
    CHECK_FALSE(stopped.killed);
    CHECK_FALSE(runner.running("a"));
    auto inspection = runner.inspect(outcomes[0].handle);
    CHECK(inspection.liveness == Liveness::exited);
    CHECK(inspection.exit_status == 143);
    CHECK(runner.instances_of("start") == std::vector<std::string>{"a", "b"});
    CHECK(runner.instances_of("stop") == std::vector<std::string>{"a"});
    CHECK(runner.calls().at(0).request.argv == std::vector<std::string>{"agent", "a"});
}

TEST_CASE("FakeRunner: scripted failures", "[fake]") {
    FakeRunner runner;
    FakeScript fails;
    fails.start_fails = true;
    fails.start_error = "exec ./x: No such file or directory";
    fails.start_exit_status = 127;
    runner.script("fails", fails);
    FakeScript slow;
    slow.start_times_out = true;
    runner.script("slow", slow);
    FakeScript dies;
    dies.exits_after_inspections = 2;
    dies.exit_status = 3;
    dies.log_lines = {"booting", "config error", "bye"};
    runner.script("dies", dies);
    FakeScript sick;
    sick.never_healthy = true;
    runner.script("sick", sick);
    FakeScript stuck;
    stuck.stop_refused = true;
    runner.script("stuck", stuck);
    FakeScript stubborn;
    stubborn.stop_needs_kill = true;
    runner.script("stubborn", stubborn);

    auto outcomes = runner.start({named("fails"), named("slow"), named("dies"), named("sick"), named("stuck"),
                                  named("stubborn")});
    CHECK_FALSE(outcomes[0].started);
    CHECK(outcomes[0].error == "exec ./x: No such file or directory");
    CHECK(outcomes[0].exit_status == 127);
    CHECK_FALSE(outcomes[1].started);
    CHECK(outcomes[1].timed_out);

    const InstanceHandle& dying = outcomes[2].handle;
    CHECK(runner.inspect(dying).liveness == Liveness::running);
    CHECK(runner.inspect(dying).liveness == Liveness::running);
    auto third = runner.inspect(dying);
    CHECK(third.liveness == Liveness::exited);
    CHECK(third.exit_status == 3);
    agentctl::runners::LogOptions tail;
    tail.tail = 2;
    std::vector<std::string> lines;
    runner.read_logs(dying, tail, [&](const agentctl::runners::LogLine& line) { lines.push_back(line.text); });
    CHECK(lines == std::vector<std::string>{"config error", "bye"});

    CHECK(runner.running("sick"));
    CHECK_FALSE(runner.healthy("sick"));
    CHECK(runner.exec(outcomes[3].handle, {"check"}, std::chrono::milliseconds(100)).exit_status == 1);

    auto refused = runner.stop(outcomes[4].handle, StopOptions{});
    CHECK(refused.refused);
    CHECK_FALSE(refused.stopped);
    CHECK(runner.running("stuck"));

    auto killed = runner.stop(outcomes[5].handle, StopOptions{});
    CHECK(killed.stopped);
    CHECK(killed.killed);
    CHECK(runner.inspect(outcomes[5].handle).exit_status == 137);
}

TEST_CASE("FakeRunner: crashes, restarts and foreign handles", "[fake]") {
    FakeRunner runner;
    auto first = runner.start({named("a")}).at(0);
    runner.crash("a", 9);
    auto crashed = runner.inspect(first.handle);
    CHECK(crashed.liveness == Liveness::exited);
    CHECK(crashed.exit_status == 9);
    auto second = runner.start({named("a")}).at(0);
    CHECK(runner.starts_of("a") == 2);
    CHECK(runner.running("a"));
    CHECK(runner.inspect(first.handle).liveness == Liveness::exited);

    InstanceHandle altered = second.handle;
    altered.agent.start_time += 1;
    CHECK(runner.inspect(altered).liveness == Liveness::missing);
    CHECK(runner.instance_of(InstanceHandle{}).empty());
}
