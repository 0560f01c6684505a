// What a shim did on its own, turned into an instance row and events (pure: no I/O).

#include "deploy/supervisor_sync.hpp"

#include <catch2/catch.hpp>

using agentctl::deploy::describe_exit;
using agentctl::deploy::supervisor_changes;
using agentctl::runners::ExitEvent;
using agentctl::runners::Inspection;
using agentctl::runners::Liveness;
using agentctl::state::InstanceRecord;

namespace {

InstanceRecord row() {
    InstanceRecord record;
    record.job = "travel";
    record.agent = "maps";
    record.instance = "maps";
    record.status = "healthy";
    record.shim = {100, 5000};
    record.agent_process = {101, 5001};
    return record;
}

ExitEvent exit_of(int number, int pid, int status, const std::string& action, int new_pid) {
    ExitEvent exit;
    exit.number = number;
    exit.pid = pid;
    exit.exit_status = status;
    exit.exited_at = agentctl::runners::Clock::time_point(std::chrono::seconds(1000 + number));
    exit.action = action;
    if (new_pid > 0) {
        exit.restarted_at = agentctl::runners::Clock::time_point(std::chrono::seconds(1001 + number));
        exit.new_pid = new_pid;
    }
    return exit;
}

}  // namespace

TEST_CASE("describe_exit names the signal of a signal exit", "[sync]") {
    CHECK(describe_exit(137) == "exited with status 137 (SIGKILL)");
    CHECK(describe_exit(143) == "exited with status 143 (SIGTERM)");
    CHECK(describe_exit(3) == "exited with status 3");
}

TEST_CASE("a restart by the shim: new pid, one more restart, one exit and one restart event", "[sync]") {
    Inspection inspection;
    inspection.liveness = Liveness::running;
    inspection.agent = {202, 6000};
    inspection.restarts = 1;
    inspection.last_exit_status = 137;
    inspection.exits = {exit_of(1, 101, 137, "restart", 202)};
    auto changes = supervisor_changes(row(), inspection);
    CHECK(changes.changed);
    CHECK(changes.record.agent_process.pid == 202);
    CHECK(changes.record.agent_process.start_time == 6000);
    CHECK(changes.record.restarts == 1);
    CHECK(changes.record.shim_restarts == 1);
    CHECK(changes.record.exits_recorded == 1);
    CHECK(changes.record.exit_status == 137);
    CHECK(changes.record.status == "running");
    REQUIRE(changes.events.size() == 2);
    CHECK(changes.events[0].kind == "instance-exited");
    CHECK(changes.events[0].message == "exited with status 137 (SIGKILL); restarting");
    CHECK(changes.events[1].kind == "instance-restarted");
    CHECK(changes.events[1].message == "restarted by its shim as pid 202 (restart 1)");

    // Looking again at the same file changes nothing: each exit and restart is recorded once.
    auto again = supervisor_changes(changes.record, inspection);
    CHECK_FALSE(again.changed);
    CHECK(again.events.empty());
}

TEST_CASE("shim restarts add to restarts the monitor already made", "[sync]") {
    InstanceRecord record = row();
    record.restarts = 2;  // two restarts by the monitor, each with a new shim
    Inspection inspection;
    inspection.liveness = Liveness::running;
    inspection.agent = {303, 7000};
    inspection.restarts = 1;
    inspection.exits = {exit_of(1, 101, 1, "restart", 303)};
    auto changes = supervisor_changes(record, inspection);
    CHECK(changes.record.restarts == 3);
    REQUIRE(changes.events.size() == 2);
    CHECK(changes.events[1].message == "restarted by its shim as pid 303 (restart 3)");
}

TEST_CASE("max_restarts exhausted: the row is failed, with an instance-failed event", "[sync]") {
    Inspection inspection;
    inspection.liveness = Liveness::exited;
    inspection.gave_up = true;
    inspection.restarts = 2;
    inspection.exit_status = 3;
    inspection.last_exit_status = 3;
    inspection.exits = {exit_of(1, 101, 3, "restart", 102), exit_of(2, 102, 3, "restart", 103),
                        exit_of(3, 103, 3, "give-up", 0)};
    auto changes = supervisor_changes(row(), inspection);
    CHECK(changes.record.status == "failed");
    CHECK(changes.record.restarts == 2);
    CHECK(changes.record.exits_recorded == 3);
    std::vector<std::string> kinds;
    for (const auto& event : changes.events) kinds.push_back(event.kind);
    CHECK(kinds == std::vector<std::string>{"instance-exited", "instance-exited", "instance-exited", "instance-failed",
                                            "instance-restarted", "instance-restarted"});
    CHECK(changes.events[3].message == "max_restarts exhausted after 2 restart(s); not restarted");
}

TEST_CASE("an exit during a stop keeps the row stopped", "[sync]") {
    InstanceRecord record = row();
    record.status = "stopped";
    Inspection inspection;
    inspection.liveness = Liveness::exited;
    inspection.exit_status = 143;
    inspection.last_exit_status = 143;
    inspection.exits = {exit_of(1, 101, 143, "stop", 0)};
    auto changes = supervisor_changes(record, inspection);
    CHECK(changes.record.status == "stopped");
    REQUIRE(changes.events.size() == 1);
    CHECK(changes.events[0].message == "exited with status 143 (SIGTERM) (stop requested)");
}
