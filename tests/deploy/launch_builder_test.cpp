// From a planned instance to a launch record: argv, `$(VAR)` expansion, workdir, paths.

#include "support/plan_fixture.hpp"
#include "deploy/launch_builder.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "plan/topology_resolver.hpp"
#include "spec/job_loader.hpp"

using agentctl::deploy::build_launch;
using agentctl::deploy::expand_launch_refs;
using agentctl::deploy::LaunchPaths;
using agentctl::runners::LaunchRecord;
using agentctl::deploy::log_path_of;
using agentctl::deploy::run_dir_of;
using agentctl::deploy::VarLookup;
using Millis = std::chrono::milliseconds;
namespace plan = agentctl::plan;
namespace spec = agentctl::spec;

namespace {

plan::Plan plan_of(const std::string& yaml) { return agentctl::test::plan_of(yaml, "/jobs/demo/job.yaml"); }

VarLookup lookup_in(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        auto found = vars.find(name);
        if (found == vars.end()) return std::nullopt;
        return found->second;
    };
}

VarLookup nothing_inherited() {
    return lookup_in({});
}

LaunchRecord launch_of(const plan::Plan& plan, const std::string& id, int revision = 1,
                       const VarLookup& inherited = nothing_inherited()) {
    const plan::PlannedAgent* agent = plan.find(id);
    REQUIRE(agent);
    return build_launch(plan, *agent, agent->instances.at(0), LaunchPaths{"/state", "/jobs/demo"}, revision, inherited);
}

const char* const k_job = R"yaml(
job:
  name: demo
agents:
  - id: weather
    module: agents.weather
    config: {port: 9001}
  - id: maps
    module: agents.maps
    config: {port: 9002}
    deployment: {python: /opt/py/bin/python3.11, workdir: agents/bin}
  - id: web
    command: ["./serve", "--port", "$(AGENT_PORT)", "--name=$(AGENT_ID)", "$$(AGENT_PORT)", "$(NOPE)", "$(HOME_DIR)/x"]
    config: {port: 9003}
    stop: {signal: SIGINT, timeout: 3s}
    deployment: {workdir: /srv/web, environment: {HOME_DIR: /from/job}}
  - id: tool
    command: ["./tool", "$(HOME_DIR)", "$(SHELL_ONLY)"]
    config: {port: 9004}
topology:
  type: hub-spoke
  hub: web
  spokes: [weather, maps]
)yaml";

}  // namespace

TEST_CASE("$(VAR) references expand from the lookup", "[launch_builder]") {
    auto lookup = lookup_in({{"PORT", "9001"}, {"EMPTY", ""}, {"A", "x"}});
    CHECK(expand_launch_refs("$(PORT)", lookup) == "9001");
    CHECK(expand_launch_refs("--port=$(PORT)/$(A)", lookup) == "--port=9001/x");
    CHECK(expand_launch_refs("[$(EMPTY)]", lookup) == "[]");
    CHECK(expand_launch_refs("$(NOPE)", lookup) == "$(NOPE)");
    CHECK(expand_launch_refs("$$(PORT)", lookup) == "$(PORT)");
    CHECK(expand_launch_refs("$(PORT", lookup) == "$(PORT");
    CHECK(expand_launch_refs("cost: $5 and ${PORT} and $", lookup) == "cost: $5 and ${PORT} and $");
    CHECK(expand_launch_refs("$$", lookup) == "$$");
    CHECK(expand_launch_refs("", lookup) == "");
}

TEST_CASE("run dirs and log paths are keyed by job, instance and revision", "[launch_builder]") {
    CHECK(run_dir_of("/state", "travel", "weather", 3) == "/state/run/travel/weather/r3");
    CHECK(run_dir_of("/home/u/.local/state/agentctl", "travel", "weather@h1", 12) ==
          "/home/u/.local/state/agentctl/run/travel/weather@h1/r12");
    CHECK(log_path_of("/state", "travel", "weather") == "/state/logs/travel/weather.log");
    CHECK(log_path_of("/state", "travel", "weather@h1") == "/state/logs/travel/weather@h1.log");
}

TEST_CASE("a module agent runs as <python> -m <module>", "[launch_builder]") {
    plan::Plan plan = plan_of(k_job);
    CHECK(launch_of(plan, "weather").request.argv == std::vector<std::string>{"python3", "-m", "agents.weather"});
    CHECK(launch_of(plan, "maps").request.argv ==
          std::vector<std::string>{"/opt/py/bin/python3.11", "-m", "agents.maps"});
}

TEST_CASE("a command's $(VAR) expands from the agent's final environment", "[launch_builder]") {
    plan::Plan plan = plan_of(k_job);
    SECTION("job-defined variables, literal $$( and undefined references") {
        LaunchRecord web = launch_of(plan, "web");
        CHECK(web.request.argv == std::vector<std::string>{"./serve", "--port", "9003", "--name=web", "$(AGENT_PORT)",
                                                           "$(NOPE)", "/from/job/x"});
    }
    SECTION("the inherited environment fills in, under the job-defined one") {
        auto inherited = lookup_in({{"HOME_DIR", "/inherited"}, {"SHELL_ONLY", "zsh"}, {"AGENT_PORT", "1"}});
        CHECK(launch_of(plan, "tool", 1, inherited).request.argv ==
              std::vector<std::string>{"./tool", "/inherited", "zsh"});
        // The job's own HOME_DIR and AGENT_PORT win over the inherited ones.
        CHECK(launch_of(plan, "web", 1, inherited).request.argv ==
              std::vector<std::string>{"./serve", "--port", "9003", "--name=web", "$(AGENT_PORT)", "$(NOPE)",
                                       "/from/job/x"});
    }
}

TEST_CASE("the workdir resolves against the job file's directory", "[launch_builder]") {
    plan::Plan plan = plan_of(k_job);
    CHECK(launch_of(plan, "weather").request.workdir == "/jobs/demo");
    CHECK(launch_of(plan, "maps").request.workdir == "/jobs/demo/agents/bin");
    CHECK(launch_of(plan, "web").request.workdir == "/srv/web");
}

TEST_CASE("a remote agent's workdir is kept as written", "[launch_builder]") {
    plan::Plan plan = plan_of(R"yaml(
job:
  name: demo
agents:
  - id: far
    module: agents.far
    config: {port: 9100}
    deployment: {target: remote, hosts: [h1, h2], workdir: agents}
)yaml");
    const plan::PlannedAgent* agent = plan.find("far");
    REQUIRE(agent);
    REQUIRE(agent->instances.size() == 2);
    LaunchRecord second = build_launch(plan, *agent, agent->instances[1], LaunchPaths{"/state", "/jobs/demo"}, 2,
                                       nothing_inherited());
    CHECK(second.request.workdir == "agents");
    CHECK(second.request.target == spec::Target::remote);
    CHECK(second.request.instance == "far@h2");
    CHECK(second.request.host == "h2");
    CHECK(second.request.run_dir == "/state/run/demo/far@h2/r2");
    CHECK(second.request.log_path == "/state/logs/demo/far@h2.log");
    CHECK(second.url == "http://h2:9100");
}

TEST_CASE("the launch record carries identity, paths, stop, health and the plan's hash", "[launch_builder]") {
    plan::Plan plan = plan_of(k_job);
    LaunchRecord web = launch_of(plan, "web", 4);
    const auto& r = web.request;
    CHECK(r.job == "demo");
    CHECK(r.agent == "web");
    CHECK(r.instance == "web");
    CHECK(r.target == spec::Target::localhost);
    CHECK(r.host == "127.0.0.1");
    CHECK(r.run_dir == "/state/run/demo/web/r4");
    CHECK(r.log_path == "/state/logs/demo/web.log");
    CHECK(r.stop.signal == "SIGINT");
    CHECK(r.stop.timeout == Millis(3000));
    CHECK(web.url == "http://127.0.0.1:9003");
    CHECK(web.revision == 4);
    CHECK(web.stage == 1);
    CHECK(web.health.kind == spec::HealthKind::http);
    CHECK(web.health.http_path == "/health");
    CHECK(r.spec_hash == plan.find("web")->spec_hash);
    CHECK(r.port == 9003);
    CHECK(r.deployment.environment.empty());
    CHECK_FALSE(web.request.spec_hash.empty());

    std::map<std::string, std::string> env;
    for (const auto& var : r.environment) env[var.name] = var.value;
    CHECK(env["AGENT_PORT"] == "9003");
    CHECK(env["AGENT_ID"] == "web");
    CHECK(env["JOB_ID"] == "job-20260101000000");
    CHECK(env["HOME_DIR"] == "/from/job");
    CHECK(env["CONNECTED_AGENTS"] == "http://127.0.0.1:9002,http://127.0.0.1:9001");
    CHECK(launch_of(plan, "weather").stage == 0);
}
