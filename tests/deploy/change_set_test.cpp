// What a deploy changes: per instance (keep, create, replace with its reason, remove) and per
// agent (the `plan` verb's diff).

#include "support/plan_fixture.hpp"
#include "deploy/change_set.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "plan/topology_resolver.hpp"
#include "spec/job_loader.hpp"

using agentctl::deploy::agent_changes;
using agentctl::deploy::instance_changes;
using agentctl::deploy::InstanceChange;
using agentctl::deploy::LiveStatus;
using agentctl::plan::ChangeAction;
using agentctl::runners::Liveness;
using agentctl::state::InstanceRecord;
namespace plan = agentctl::plan;
namespace spec = agentctl::spec;

namespace {

using agentctl::test::describe;

// ingest -> [parse-a, parse-b] -> report, and a fleet `far` on h1 and h2 outside the topology.
const char* const k_job = R"yaml(
job:
  name: pipe
defaults:
  health: {none: true, start_period: 0s}
agents:
  - id: ingest
    command: ["./ingest"]
    config: {port: 9101}
  - id: parse-a
    command: ["./parse", "a"]
    config: {port: 9102}
  - id: parse-b
    command: ["./parse", "b"]
    config: {port: 9103}
  - id: report
    command: ["./report"]
    config: {port: 9104}
  - id: far
    module: agents.far
    config: {port: 9105}
    deployment: {target: remote, hosts: [h1, h2]}
topology:
  type: pipeline
  stages: [ingest, [parse-a, parse-b], report]
)yaml";

plan::Plan plan_of(const std::string& yaml) { return agentctl::test::plan_of(yaml, "/jobs/pipe.yaml"); }

// What state would hold for an instance of `plan` (its hash when the agent is planned).
InstanceRecord recorded(const plan::Plan& plan, const std::string& agent, const std::string& instance, int stage,
                        const std::string& status = "healthy") {
    InstanceRecord record;
    record.job = "pipe";
    record.agent = agent;
    record.instance = instance;
    record.stage = stage;
    record.status = status;
    const plan::PlannedAgent* planned = plan.find(agent);
    record.spec_hash = planned ? planned->spec_hash : "gone";
    return record;
}

LiveStatus live(const std::string& instance, Liveness liveness, const std::string& status) {
    LiveStatus out;
    out.instance = instance;
    out.liveness = liveness;
    out.status = status;
    return out;
}

struct Row {
    std::string instance;
    ChangeAction action;
    std::string reason;
    bool has_record;
    bool was_alive;
    bool operator==(const Row& other) const {
        return instance == other.instance && action == other.action && reason == other.reason &&
               has_record == other.has_record && was_alive == other.was_alive;
    }
};

std::vector<Row> rows_of(const std::vector<InstanceChange>& changes) {
    std::vector<Row> rows;
    for (const auto& change : changes) {
        rows.push_back({change.instance, change.action, change.reason, change.recorded.has_value(), change.was_alive});
    }
    return rows;
}


}  // namespace

namespace Catch {
template <>
struct StringMaker<Row> {
    static std::string convert(const Row& row) {
        return "{" + row.instance + " " + plan::change_action_name(row.action) + " '" + row.reason + "' " +
               (row.has_record ? "recorded" : "new") + (row.was_alive ? " alive" : "") + "}";
    }
};
}  // namespace Catch

TEST_CASE("with nothing recorded every instance is created, in start order", "[change_set]") {
    plan::Plan plan = plan_of(k_job);
    auto changes = instance_changes(plan, {}, {}, false);
    CHECK(rows_of(changes) == std::vector<Row>{
              {"far@h1", ChangeAction::create, "", false, false},
              {"far@h2", ChangeAction::create, "", false, false},
              {"ingest", ChangeAction::create, "", false, false},
              {"parse-a", ChangeAction::create, "", false, false},
              {"parse-b", ChangeAction::create, "", false, false},
              {"report", ChangeAction::create, "", false, false},
          });
    CHECK(describe(agent_changes(plan, changes)) == "ingest=create parse-a=create parse-b=create report=create far=create ");
}

TEST_CASE("an unchanged, alive and healthy (or running) instance is kept", "[change_set]") {
    plan::Plan plan = plan_of(k_job);
    std::vector<InstanceRecord> records{recorded(plan, "ingest", "ingest", 0, "healthy"),
                                        recorded(plan, "report", "report", 2, "running")};
    std::vector<LiveStatus> now{live("ingest", Liveness::running, "healthy"), live("report", Liveness::running, "running")};
    auto changes = instance_changes(plan, records, now, false);
    auto rows = rows_of(changes);
    REQUIRE(rows.size() == 6);
    CHECK(rows[2] == Row{"ingest", ChangeAction::keep, "", true, true});
    CHECK(rows[5] == Row{"report", ChangeAction::keep, "", true, true});
    REQUIRE(changes[2].recorded);
    CHECK(changes[2].recorded->status == "healthy");
    CHECK(describe(agent_changes(plan, changes)) == "ingest=keep parse-a=create parse-b=create report=keep far=create ");
}

TEST_CASE("a changed spec replaces an instance, alive or not", "[change_set]") {
    plan::Plan plan = plan_of(k_job);
    auto old_ingest = recorded(plan, "ingest", "ingest", 0);
    old_ingest.spec_hash = "an older hash";
    auto old_report = recorded(plan, "report", "report", 2, "exited");
    old_report.spec_hash = "an older hash";
    auto changes = instance_changes(plan, {old_ingest, old_report},
                                    {live("ingest", Liveness::running, "healthy"), live("report", Liveness::exited, "exited")},
                                    false);
    auto rows = rows_of(changes);
    REQUIRE(rows.size() == 6);
    CHECK(rows[2] == Row{"ingest", ChangeAction::replace, "spec changed", true, true});
    CHECK(rows[5] == Row{"report", ChangeAction::replace, "spec changed", true, false});
    CHECK(describe(agent_changes(plan, changes)) ==
          "ingest=replace(spec changed) parse-a=create parse-b=create report=replace(spec changed) far=create ");
}

TEST_CASE("an unchanged instance that is not healthy is replaced, with its status as the reason", "[change_set]") {
    plan::Plan plan = plan_of(k_job);
    std::vector<InstanceRecord> records{recorded(plan, "ingest", "ingest", 0), recorded(plan, "parse-a", "parse-a", 1),
                                        recorded(plan, "parse-b", "parse-b", 1, "stopped"),
                                        recorded(plan, "report", "report", 2, "starting")};
    std::vector<LiveStatus> now{live("ingest", Liveness::running, "unhealthy"), live("parse-a", Liveness::exited, "exited"),
                                live("parse-b", Liveness::exited, "stopped"), live("report", Liveness::missing, "missing")};
    auto changes = instance_changes(plan, records, now, false);
    auto rows = rows_of(changes);
    REQUIRE(rows.size() == 6);
    CHECK(rows[2] == Row{"ingest", ChangeAction::replace, "unhealthy", true, true});
    CHECK(rows[3] == Row{"parse-a", ChangeAction::replace, "exited", true, false});
    CHECK(rows[4] == Row{"parse-b", ChangeAction::replace, "stopped", true, false});
    CHECK(rows[5] == Row{"report", ChangeAction::replace, "missing", true, false});
}

TEST_CASE("with --force-recreate every recorded instance is replaced", "[change_set]") {
    plan::Plan plan = plan_of(k_job);
    std::vector<InstanceRecord> records{recorded(plan, "ingest", "ingest", 0), recorded(plan, "report", "report", 2)};
    std::vector<LiveStatus> now{live("ingest", Liveness::running, "healthy"), live("report", Liveness::running, "healthy")};
    auto changes = instance_changes(plan, records, now, true);
    auto rows = rows_of(changes);
    REQUIRE(rows.size() == 6);
    CHECK(rows[0] == Row{"far@h1", ChangeAction::create, "", false, false});
    CHECK(rows[2] == Row{"ingest", ChangeAction::replace, "--force-recreate", true, true});
    CHECK(rows[5] == Row{"report", ChangeAction::replace, "--force-recreate", true, true});
}

TEST_CASE("instances no longer in the file are removed last, latest stage first", "[change_set]") {
    plan::Plan plan = plan_of(k_job);
    std::vector<InstanceRecord> records{
        recorded(plan, "ingest", "ingest", 0),
        recorded(plan, "old-source", "old-source", 0),
        recorded(plan, "old-sink", "old-sink", 3),
        recorded(plan, "old-mid", "old-mid", 1, "exited"),
        recorded(plan, "old-mid2", "old-mid2", 1),
    };
    std::vector<LiveStatus> now{
        live("ingest", Liveness::running, "healthy"),
        live("old-source", Liveness::running, "healthy"),
        live("old-sink", Liveness::running, "healthy"),
        live("old-mid", Liveness::exited, "exited"),
        live("old-mid2", Liveness::running, "running"),
    };
    auto changes = instance_changes(plan, records, now, false);
    auto rows = rows_of(changes);
    REQUIRE(rows.size() == 10);
    CHECK(rows[2] == Row{"ingest", ChangeAction::keep, "", true, true});
    CHECK(std::vector<Row>(rows.begin() + 6, rows.end()) == std::vector<Row>{
              {"old-sink", ChangeAction::remove, "no longer in the job file", true, true},
              {"old-mid", ChangeAction::remove, "no longer in the job file", true, false},
              {"old-mid2", ChangeAction::remove, "no longer in the job file", true, true},
              {"old-source", ChangeAction::remove, "no longer in the job file", true, true},
          });
    REQUIRE(changes[6].recorded);
    CHECK(changes[6].recorded->stage == 3);
    CHECK(changes[6].agent == "old-sink");
    // Per agent: the file's agents in file order, then the removed agents in removal order.
    CHECK(describe(agent_changes(plan, changes)) ==
          "ingest=keep parse-a=create parse-b=create report=create far=create "
          "old-sink=remove(no longer in the job file) old-mid=remove(no longer in the job file) "
          "old-mid2=remove(no longer in the job file) old-source=remove(no longer in the job file) ");
}

TEST_CASE("a fleet is decided per host and summed up per agent", "[change_set]") {
    plan::Plan plan = plan_of(k_job);
    SECTION("every host unchanged: keep") {
        auto changes = instance_changes(plan, {recorded(plan, "far", "far@h1", 0), recorded(plan, "far", "far@h2", 0)},
                                        {live("far@h1", Liveness::running, "healthy"),
                                         live("far@h2", Liveness::running, "healthy")},
                                        false);
        auto rows = rows_of(changes);
        CHECK(rows[0] == Row{"far@h1", ChangeAction::keep, "", true, true});
        CHECK(rows[1] == Row{"far@h2", ChangeAction::keep, "", true, true});
        CHECK(describe(agent_changes(plan, changes)) ==
              "ingest=create parse-a=create parse-b=create report=create far=keep ");
    }
    SECTION("one host down: only it is replaced, the agent counts as replaced") {
        auto changes = instance_changes(plan, {recorded(plan, "far", "far@h1", 0), recorded(plan, "far", "far@h2", 0)},
                                        {live("far@h1", Liveness::running, "healthy"),
                                         live("far@h2", Liveness::unknown, "unknown")},
                                        false);
        auto rows = rows_of(changes);
        CHECK(rows[0] == Row{"far@h1", ChangeAction::keep, "", true, true});
        CHECK(rows[1] == Row{"far@h2", ChangeAction::replace, "unknown", true, false});
        CHECK(describe(agent_changes(plan, changes)) ==
              "ingest=create parse-a=create parse-b=create report=create far=replace(unknown) ");
    }
    SECTION("a host added: created beside the kept one") {
        auto changes = instance_changes(plan, {recorded(plan, "far", "far@h1", 0)},
                                        {live("far@h1", Liveness::running, "healthy")}, false);
        auto rows = rows_of(changes);
        CHECK(rows[0] == Row{"far@h1", ChangeAction::keep, "", true, true});
        CHECK(rows[1] == Row{"far@h2", ChangeAction::create, "", false, false});
        CHECK(describe(agent_changes(plan, changes)) ==
              "ingest=create parse-a=create parse-b=create report=create far=replace ");
    }
    SECTION("a host dropped: its instance is removed, the agent stays") {
        auto changes = instance_changes(plan,
                                        {recorded(plan, "far", "far@h1", 0), recorded(plan, "far", "far@h2", 0),
                                         recorded(plan, "far", "far@h3", 0)},
                                        {live("far@h1", Liveness::running, "healthy"),
                                         live("far@h2", Liveness::running, "healthy"),
                                         live("far@h3", Liveness::running, "healthy")},
                                        false);
        auto rows = rows_of(changes);
        REQUIRE(rows.size() == 7);
        CHECK(rows[6] == Row{"far@h3", ChangeAction::remove, "no longer in the job file", true, true});
        CHECK(describe(agent_changes(plan, changes)) ==
              "ingest=create parse-a=create parse-b=create report=create far=replace(no longer in the job file) ");
    }
}
