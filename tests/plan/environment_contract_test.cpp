// The environment contract (DESIGN.md §3): the full environment of an instance, the layering
// and its collision warnings, and secrets carried through.

#include <algorithm>

#include <catch2/catch.hpp>

#include "plan/topology_resolver.hpp"
#include "plan_fixtures.hpp"

using namespace agentctl;
using namespace agentctl::plan;
using namespace agentctl::plan::testing;
using Lines = std::vector<std::string>;

namespace {

spec::EnvVar env(std::string name, std::string value, bool secret = false, int line = 0) {
    spec::EnvVar var;
    var.name = std::move(name);
    var.value = std::move(value);
    var.secret = secret;
    var.pos = {line, 7};
    return var;
}

spec::ConfigEntry config(std::string key, std::string text, int line = 0) {
    return {std::move(key), text, text, {line, 5}};
}

Lines lines_of(const std::vector<spec::EnvVar>& environment) {
    Lines out;
    for (const auto& var : environment) out.push_back(var.name + "=" + var.value);
    return out;
}

// controller (hub) connects to weather (a two-host fleet) and maps.
spec::JobSpec travel() {
    spec::AgentSpec weather = remote_agent("weather", "", 9001);
    weather.deployment.hosts = refs({"h1", "h2"});
    spec::AgentSpec maps = local_agent("maps", 9002);
    spec::AgentSpec controller = local_agent("controller", 9000);
    controller.config.push_back(config("name", "Controller Agent"));
    controller.config.push_back(config("tags", "[\"a\",\"b\"]"));
    controller.config.push_back(config("log-level", "debug"));
    controller.config_json = "{\"port\":9000,\"name\":\"Controller Agent\",\"tags\":[\"a\",\"b\"],\"log-level\":\"debug\"}";
    controller.deployment.environment = {env("API_KEY", "s3cret", true), env("AGENT_LOG_LEVEL", "info")};
    spec::JobSpec job = make_job("travel", {weather, maps, controller});
    job.environment = {env("LOG_LEVEL", "INFO"), env("AGENT_NAME", "from-job")};
    job.topology.type = spec::TopologyType::hub_spoke;
    job.topology.hub = ref("controller");
    job.topology.spokes = refs({"weather", "maps"});
    return job;
}

}  // namespace

TEST_CASE("the full environment of a hub instance") {
    ResolveOptions opts = options();
    opts.run_id = "travel-20240102030405";
    Plan plan = must_plan(travel(), opts);
    const PlannedInstance& controller = agent_of(plan, "controller").instances.at(0);
    CHECK(lines_of(controller.environment) ==
          Lines{
              "AGENT_CONFIG={\"port\":9000,\"name\":\"Controller Agent\",\"tags\":[\"a\",\"b\"],\"log-level\":\"debug\"}",
              "AGENT_ID=controller",
              "AGENT_INSTANCE=controller",
              "AGENT_JOB=travel",
              "AGENT_LOG_LEVEL=info",
              "AGENT_NAME=Controller Agent",
              "AGENT_PEERS_JSON=[{\"id\":\"maps\",\"instance\":\"maps\",\"url\":\"http://127.0.0.1:9002\"},"
              "{\"id\":\"weather\",\"instance\":\"weather@h1\",\"url\":\"http://h1:9001\"},"
              "{\"id\":\"weather\",\"instance\":\"weather@h2\",\"url\":\"http://h2:9001\"}]",
              "AGENT_PEER_MAPS_URL=http://127.0.0.1:9002",
              "AGENT_PEER_WEATHER_URL=http://h1:9001,http://h2:9001",
              "AGENT_PORT=9000",
              "AGENT_TAGS=[\"a\",\"b\"]",
              "AGENT_URL=http://127.0.0.1:9000",
              "API_KEY=s3cret",
              "CONNECTED_AGENTS=http://127.0.0.1:9002,http://h1:9001,http://h2:9001",
              "JOB_ID=travel-20240102030405",
              "LOG_LEVEL=INFO",
          });
}

TEST_CASE("a spoke without peers has no CONNECTED_AGENTS, and a fleet instance names itself") {
    Plan plan = must_plan(travel());
    const PlannedAgent& weather = agent_of(plan, "weather");
    REQUIRE(weather.instances.size() == 2);
    CHECK(lines_of(weather.instances[1].environment) == Lines{
                                                            "AGENT_CONFIG={\"port\":9001}",
                                                            "AGENT_ID=weather",
                                                            "AGENT_INSTANCE=weather@h2",
                                                            "AGENT_JOB=travel",
                                                            "AGENT_NAME=from-job",
                                                            "AGENT_PEERS_JSON=[]",
                                                            "AGENT_PORT=9001",
                                                            "AGENT_URL=http://h2:9001",
                                                            "LOG_LEVEL=INFO",
                                                        });
}

TEST_CASE("secrets stay flagged, and contract variables are not secret") {
    Plan plan = must_plan(travel());
    for (const auto& var : agent_of(plan, "controller").instances.at(0).environment) {
        INFO(var.name);
        CHECK(var.secret == (var.name == "API_KEY"));
    }
}

TEST_CASE("config keys that make a contract name: warning, the contract wins") {
    spec::JobSpec job = travel();
    auto& controller = job.agents[2];
    controller.config.push_back(config("url", "http://elsewhere", 21));
    controller.config.push_back(config("peer-maps-url", "http://stale", 22));
    controller.config.push_back(config("peer-api-url", "http://api", 23));  // no peer "api": an ordinary key
    ResolveResult result = resolve_plan(job, options());
    REQUIRE(result.plan.has_value());
    REQUIRE(result.diagnostics.size() == 2);
    CHECK(result.diagnostics[0].severity == spec::Severity::warning);
    CHECK(result.diagnostics[0].message ==
          "config key 'url' makes AGENT_URL, which the environment contract sets; the contract wins");
    CHECK(result.diagnostics[0].pos.line == 21);
    CHECK(result.diagnostics[0].pos.column == 5);
    CHECK(result.diagnostics[1].message ==
          "config key 'peer-maps-url' makes AGENT_PEER_MAPS_URL, which the environment contract sets; the contract wins");

    Lines lines = lines_of(result.plan->find("controller")->instances.at(0).environment);
    CHECK(std::count(lines.begin(), lines.end(), "AGENT_URL=http://127.0.0.1:9000") == 1);
    CHECK(std::count(lines.begin(), lines.end(), "AGENT_PEER_MAPS_URL=http://127.0.0.1:9002") == 1);
    CHECK(std::count(lines.begin(), lines.end(), "AGENT_PEER_API_URL=http://api") == 1);
}

TEST_CASE("deployment.environment overrides AGENT_<KEY> but not a contract name") {
    spec::JobSpec job = travel();
    job.agents[2].deployment.environment.push_back(env("AGENT_ID", "impostor", false, 31));
    job.agents[2].deployment.environment.push_back(env("AGENT_PORT", "1234"));
    ResolveResult result = resolve_plan(job, options());
    REQUIRE(result.plan.has_value());
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].severity == spec::Severity::warning);
    CHECK(result.diagnostics[0].message ==
          "deployment.environment of 'controller' sets AGENT_ID, which the environment contract sets; the contract "
          "wins");
    CHECK(result.diagnostics[0].pos.line == 31);
    Lines lines = lines_of(result.plan->find("controller")->instances.at(0).environment);
    CHECK(std::count(lines.begin(), lines.end(), "AGENT_ID=controller") == 1);
    CHECK(std::count(lines.begin(), lines.end(), "AGENT_PORT=1234") == 1);
}

TEST_CASE("a job environment entry naming a contract variable is warned about once") {
    spec::JobSpec job = travel();
    job.environment.push_back(env("AGENT_JOB", "other", false, 40));
    ResolveResult result = resolve_plan(job, options());
    REQUIRE(result.plan.has_value());
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].message ==
          "environment sets AGENT_JOB, which the environment contract sets for every agent; the contract wins");
    Lines lines = lines_of(result.plan->find("maps")->instances.at(0).environment);
    CHECK(std::count(lines.begin(), lines.end(), "AGENT_JOB=travel") == 1);
}

TEST_CASE("JOB_ID is left out without a run id") {
    Plan plan = must_plan(travel());
    for (const auto& var : agent_of(plan, "maps").instances.at(0).environment) CHECK(var.name != "JOB_ID");
}

TEST_CASE("an agent without a port has no AGENT_URL") {
    spec::JobSpec job = make_job("quiet", {local_agent("worker")});
    Plan plan = must_plan(job);
    CHECK(lines_of(agent_of(plan, "worker").instances.at(0).environment) == Lines{
                                                                              "AGENT_CONFIG={}",
                                                                              "AGENT_ID=worker",
                                                                              "AGENT_INSTANCE=worker",
                                                                              "AGENT_JOB=quiet",
                                                                              "AGENT_PEERS_JSON=[]",
                                                                          });
}
