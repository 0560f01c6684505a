// TopologyResolver: every topology form's stages and connections (DESIGN.md §3), strategies,
// fleets, cycles, and connection overrides. Expected values are written by hand.

#include <catch2/catch.hpp>

#include "plan/topology_resolver.hpp"
#include "plan_fixtures.hpp"

using namespace agentctl;
using namespace agentctl::plan;
using namespace agentctl::plan::testing;
using Groups = std::vector<std::vector<std::string>>;
using Ids = std::vector<std::string>;

namespace {

spec::JobSpec hub_spoke_job() {
    spec::JobSpec job = make_job("travel", {local_agent("weather", 9001), local_agent("maps", 9002),
                                            local_agent("controller", 9000)});
    job.topology.type = spec::TopologyType::hub_spoke;
    job.topology.hub = ref("controller");
    job.topology.spokes = refs({"weather", "maps"});
    return job;
}

spec::ConnectionSpec connection(const std::string& from, const Ids& to, const std::string& address = {}) {
    spec::ConnectionSpec out;
    out.from = ref(from);
    out.to = refs(to);
    out.address = address;
    return out;
}

}  // namespace

TEST_CASE("hub-spoke: spokes first, the hub connects to every spoke") {
    Plan plan = must_plan(hub_spoke_job());
    CHECK(plan.job == "travel");
    CHECK(plan.stages == Groups{{"maps", "weather"}, {"controller"}});
    CHECK(agent_of(plan, "controller").connections == Ids{"maps", "weather"});
    CHECK(agent_of(plan, "weather").connections.empty());
    CHECK(agent_of(plan, "maps").connections.empty());
    CHECK(agent_of(plan, "controller").after == Ids{"maps", "weather"});
    CHECK(agent_of(plan, "controller").stage == 1);
    CHECK(agent_of(plan, "maps").stage == 0);
    CHECK(plan.entry_point == "controller");
}

TEST_CASE("pipeline: a stage may be a list, and every agent connects to every agent of the next stage") {
    spec::JobSpec job = make_job("pipe", {local_agent("a", 9001), local_agent("b1", 9002), local_agent("b2", 9003),
                                          local_agent("c", 9004)});
    job.topology.type = spec::TopologyType::pipeline;
    job.topology.stages = {refs({"a"}), refs({"b2", "b1"}), refs({"c"})};
    Plan plan = must_plan(job);
    CHECK(plan.stages == Groups{{"a"}, {"b1", "b2"}, {"c"}});
    CHECK(agent_of(plan, "a").connections == Ids{"b1", "b2"});
    CHECK(agent_of(plan, "b1").connections == Ids{"c"});
    CHECK(agent_of(plan, "b2").connections == Ids{"c"});
    CHECK(agent_of(plan, "c").connections.empty());
    CHECK(agent_of(plan, "c").after == Ids{"b1", "b2"});
    CHECK(plan.entry_point == "a");
}

TEST_CASE("dag: from before each to, and `to` may be a list") {
    spec::JobSpec job = make_job("dag", {local_agent("w", 9001), local_agent("z", 9002), local_agent("y", 9003),
                                         local_agent("x", 9004)});
    job.topology.type = spec::TopologyType::dag;
    job.topology.connections = {connection("x", {"y", "z"}), connection("y", {"w"}), connection("z", {"w"})};
    Plan plan = must_plan(job);
    CHECK(plan.stages == Groups{{"x"}, {"y", "z"}, {"w"}});
    CHECK(agent_of(plan, "x").connections == Ids{"y", "z"});
    CHECK(agent_of(plan, "y").connections == Ids{"w"});
    CHECK(agent_of(plan, "z").connections == Ids{"w"});
    CHECK(agent_of(plan, "w").connections.empty());
    CHECK(agent_of(plan, "w").after == Ids{"y", "z"});
}

TEST_CASE("mesh: one stage, everyone connects to everyone else") {
    spec::JobSpec job = make_job("mesh", {local_agent("c", 9001), local_agent("a", 9002), local_agent("b", 9003)});
    job.topology.type = spec::TopologyType::mesh;
    job.topology.agents = refs({"c", "a", "b"});
    Plan plan = must_plan(job);
    CHECK(plan.stages == Groups{{"a", "b", "c"}});
    CHECK(agent_of(plan, "a").connections == Ids{"b", "c"});
    CHECK(agent_of(plan, "b").connections == Ids{"a", "c"});
    CHECK(agent_of(plan, "c").connections == Ids{"a", "b"});
}

TEST_CASE("hierarchical, list form: root, then each level, and level i connects to level i+1") {
    spec::JobSpec job = make_job("tree", {local_agent("r", 9000), local_agent("a", 9001), local_agent("b", 9002),
                                          local_agent("c", 9003), local_agent("d", 9004)});
    job.topology.type = spec::TopologyType::hierarchical;
    job.topology.root = ref("r");
    job.topology.levels = {refs({"b", "a"}), refs({"c", "d"})};
    Plan plan = must_plan(job);
    CHECK(plan.stages == Groups{{"r"}, {"a", "b"}, {"c", "d"}});
    CHECK(agent_of(plan, "r").connections == Ids{"a", "b"});
    CHECK(agent_of(plan, "a").connections == Ids{"c", "d"});
    CHECK(agent_of(plan, "b").connections == Ids{"c", "d"});
    CHECK(agent_of(plan, "c").connections.empty());
    CHECK(agent_of(plan, "d").after == Ids{"a", "b"});
}

TEST_CASE("hierarchical, tree form: each parent before and connected to its own children") {
    spec::JobSpec job = make_job("tree", {local_agent("g", 9000), local_agent("e", 9001), local_agent("f", 9002),
                                          local_agent("e2", 9003), local_agent("e1", 9004), local_agent("f1", 9005)});
    job.topology.type = spec::TopologyType::hierarchical;
    job.topology.tree_form = true;
    job.topology.root = ref("g");
    job.topology.tree = {{ref("g"), refs({"f", "e"})}, {ref("e"), refs({"e2", "e1"})}, {ref("f"), refs({"f1"})}};
    Plan plan = must_plan(job);
    CHECK(plan.stages == Groups{{"g"}, {"e", "f"}, {"e1", "e2", "f1"}});
    CHECK(agent_of(plan, "g").connections == Ids{"e", "f"});
    CHECK(agent_of(plan, "e").connections == Ids{"e1", "e2"});
    CHECK(agent_of(plan, "f").connections == Ids{"f1"});
    CHECK(agent_of(plan, "f1").connections.empty());
    CHECK(agent_of(plan, "f1").after == Ids{"f"});
}

TEST_CASE("dynamic and none: one stage, no connections") {
    for (auto type : {spec::TopologyType::dynamic, spec::TopologyType::none}) {
        spec::JobSpec job = make_job("free", {local_agent("b", 9001), local_agent("a", 9002)});
        job.topology.type = type;
        Plan plan = must_plan(job);
        CHECK(plan.stages == Groups{{"a", "b"}});
        CHECK(agent_of(plan, "a").connections.empty());
        CHECK(agent_of(plan, "b").connections.empty());
        CHECK(agent_of(plan, "b").after.empty());
    }
}

TEST_CASE("depends_on adds order on top of the topology, never connections") {
    spec::JobSpec job = hub_spoke_job();
    job.agents[1].depends_on = {ref("weather")};  // maps after weather
    Plan plan = must_plan(job);
    CHECK(plan.stages == Groups{{"weather"}, {"maps"}, {"controller"}});
    CHECK(agent_of(plan, "maps").after == Ids{"weather"});
    CHECK(agent_of(plan, "maps").connections.empty());
    CHECK(agent_of(plan, "controller").connections == Ids{"maps", "weather"});
}

TEST_CASE("agents the topology does not mention go first unless depends_on says otherwise") {
    spec::JobSpec job = hub_spoke_job();
    job.agents.push_back(local_agent("extra", 9005));
    job.agents.push_back(local_agent("late", 9006));
    job.agents.back().depends_on = {ref("controller")};
    Plan plan = must_plan(job);
    CHECK(plan.stages == Groups{{"extra", "maps", "weather"}, {"controller"}, {"late"}});
    CHECK(agent_of(plan, "extra").connections.empty());
    CHECK(agent_of(plan, "late").connections.empty());
    CHECK(agent_of(plan, "late").after == Ids{"controller"});
}

TEST_CASE("strategy staged: waves are the stages") {
    spec::JobSpec job = hub_spoke_job();
    job.deployment.strategy = spec::Strategy::staged;
    Plan plan = must_plan(job);
    CHECK(plan.strategy == spec::Strategy::staged);
    CHECK(plan.waves == Groups{{"maps", "weather"}, {"controller"}});
    CHECK(plan.start_order == Ids{"maps", "weather", "controller"});
}

TEST_CASE("strategy sequential: one agent per wave, file order inside a stage") {
    spec::JobSpec job = hub_spoke_job();
    job.deployment.strategy = spec::Strategy::sequential;
    job.deployment.strategy_text = "sequential";
    Plan plan = must_plan(job);
    CHECK(plan.strategy_text == "sequential");
    CHECK(plan.stages == Groups{{"maps", "weather"}, {"controller"}});
    CHECK(plan.waves == Groups{{"weather"}, {"maps"}, {"controller"}});
    CHECK(plan.start_order == Ids{"weather", "maps", "controller"});
}

TEST_CASE("strategy parallel: waves follow depends_on only, file order inside a wave") {
    spec::JobSpec job = make_job("par", {local_agent("c", 9001), local_agent("b", 9002), local_agent("a", 9003)});
    job.topology.type = spec::TopologyType::dag;
    job.topology.connections = {connection("a", {"b"})};
    job.agents[0].depends_on = {ref("b")};
    job.deployment.strategy = spec::Strategy::parallel;
    Plan plan = must_plan(job);
    CHECK(plan.stages == Groups{{"a"}, {"b"}, {"c"}});
    CHECK(plan.waves == Groups{{"b", "a"}, {"c"}});
    CHECK(plan.start_order == Ids{"b", "a", "c"});
}

TEST_CASE("a strategy written differently keeps its text and plans as given") {
    spec::JobSpec job = hub_spoke_job();
    job.deployment.strategy = spec::Strategy::staged;
    job.deployment.strategy_text = "top-down";
    Plan plan = must_plan(job);
    CHECK(plan.strategy == spec::Strategy::staged);
    CHECK(plan.strategy_text == "top-down");
}

TEST_CASE("fleets: one instance per host, peers get every instance") {
    spec::JobSpec job = hub_spoke_job();
    job.agents[0] = remote_agent("weather", "", 9001);
    job.agents[0].deployment.hosts = refs({"h2", "h1"});
    Plan plan = must_plan(job);
    const PlannedAgent& weather = agent_of(plan, "weather");
    REQUIRE(weather.instances.size() == 2);
    CHECK(weather.instances[0].name == "weather@h2");
    CHECK(weather.instances[1].name == "weather@h1");
    CHECK(instance_urls(weather) == Ids{"http://h2:9001", "http://h1:9001"});
    CHECK(weather.host == "h2");
    CHECK(weather.url == "http://h2:9001");

    const PlannedAgent& controller = agent_of(plan, "controller");
    REQUIRE(controller.instances.size() == 1);
    const auto& peers = controller.instances[0].peers;
    REQUIRE(peers.size() == 3);
    CHECK(peers[0].id == "maps");
    CHECK(peers[0].instance == "maps");
    CHECK(peers[0].url == "http://127.0.0.1:9002");
    CHECK(peers[1].id == "weather");
    CHECK(peers[1].instance == "weather@h1");
    CHECK(peers[1].url == "http://h1:9001");
    CHECK(peers[2].instance == "weather@h2");
    CHECK(peers[2].url == "http://h2:9001");
}

TEST_CASE("a fleet consumer gives each of its instances the same peers") {
    spec::JobSpec job = hub_spoke_job();
    job.agents[2] = remote_agent("controller", "", 9000);
    job.agents[2].deployment.hosts = refs({"a1", "a2"});
    job.agents[0].deployment.advertise = "10.0.0.9";
    job.agents[1].deployment.advertise = "10.0.0.9";
    Plan plan = must_plan(job);
    const PlannedAgent& controller = agent_of(plan, "controller");
    REQUIRE(controller.instances.size() == 2);
    CHECK(peer_urls(controller.instances[0]) == Ids{"http://10.0.0.9:9002", "http://10.0.0.9:9001"});
    CHECK(peer_urls(controller.instances[1]) == Ids{"http://10.0.0.9:9002", "http://10.0.0.9:9001"});
}

TEST_CASE("a dag cycle is reported with its path at the edge that closes it") {
    spec::JobSpec job = make_job("loop", {local_agent("b", 9001), local_agent("c", 9002), local_agent("a", 9003)});
    job.topology.type = spec::TopologyType::dag;
    spec::ConnectionSpec ab = connection("a", {});
    ab.to = {ref("b", 10, 11)};
    spec::ConnectionSpec bc = connection("b", {});
    bc.to = {ref("c", 12, 11)};
    spec::ConnectionSpec ca = connection("c", {});
    ca.to = {ref("a", 14, 11)};
    job.topology.connections = {bc, ca, ab};
    ResolveResult result = resolve_plan(job, options());
    CHECK_FALSE(result.plan.has_value());
    REQUIRE(result.diagnostics.size() == 1);
    const auto& diagnostic = result.diagnostics[0];
    CHECK(diagnostic.severity == spec::Severity::error);
    CHECK(diagnostic.message == "dependency cycle: a -> b -> c -> a");
    CHECK(diagnostic.hint == "remove one of these edges or depends_on entries");
    CHECK(diagnostic.file == "job.yaml");
    CHECK(diagnostic.pos.line == 14);
    CHECK(diagnostic.pos.column == 11);
}

TEST_CASE("a depends_on cycle downstream of other agents starts at its smallest id") {
    spec::JobSpec job = make_job("loop", {local_agent("m", 9001), local_agent("z", 9002), local_agent("n", 9003),
                                          local_agent("a", 9004)});
    job.agents[0].depends_on = {ref("z", 3, 17)};
    job.agents[1].depends_on = {ref("n", 5, 17)};
    job.agents[2].depends_on = {ref("z", 7, 17)};
    ResolveResult result = resolve_plan(job, options());
    CHECK_FALSE(result.plan.has_value());
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].message == "dependency cycle: n -> z -> n");
    // z -> n is "n depends_on z", written at line 7.
    CHECK(result.diagnostics[0].pos.line == 7);
}

TEST_CASE("an agent depending on itself is a cycle of one") {
    spec::JobSpec job = make_job("self", {local_agent("a", 9001)});
    job.agents[0].depends_on = {ref("a", 4, 20)};
    ResolveResult result = resolve_plan(job, options());
    CHECK_FALSE(result.plan.has_value());
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].message == "dependency cycle: a -> a");
    CHECK(result.diagnostics[0].pos.line == 4);
}

TEST_CASE("connections[].address overrides the URL of one edge") {
    spec::JobSpec job = hub_spoke_job();
    job.topology.connections = {connection("controller", {"weather"}, "homelab:9001"),
                                connection("controller", {"maps"}, "https://maps.example.com/api")};
    Plan plan = must_plan(job);
    const PlannedAgent& controller = agent_of(plan, "controller");
    CHECK(controller.connections == Ids{"maps", "weather"});
    CHECK(peer_urls(controller.instances[0]) == Ids{"https://maps.example.com/api", "http://homelab:9001"});
    CHECK(plan.stages == Groups{{"maps", "weather"}, {"controller"}});
}

TEST_CASE("on a non-dag topology a connection the topology lacks is added, without order") {
    spec::JobSpec job = hub_spoke_job();
    job.topology.connections = {connection("weather", {"maps"})};
    Plan plan = must_plan(job);
    CHECK(agent_of(plan, "weather").connections == Ids{"maps"});
    CHECK(agent_of(plan, "weather").after.empty());
    CHECK(agent_of(plan, "controller").connections == Ids{"maps", "weather"});
    CHECK(plan.stages == Groups{{"maps", "weather"}, {"controller"}});
    CHECK(peer_urls(agent_of(plan, "weather").instances[0]) == Ids{"http://127.0.0.1:9002"});
}

TEST_CASE("the entry point: execution.entry_point, else the hub, else the first agent") {
    spec::JobSpec job = hub_spoke_job();
    job.execution.entry_point = ref("maps");
    CHECK(must_plan(job).entry_point == "maps");

    spec::JobSpec mesh = make_job("mesh", {local_agent("b", 9001), local_agent("a", 9002)});
    mesh.topology.type = spec::TopologyType::mesh;
    mesh.topology.agents = refs({"a", "b"});
    CHECK(must_plan(mesh).entry_point == "b");
}

TEST_CASE("every agent is planned as a create, in file order") {
    Plan plan = must_plan(hub_spoke_job());
    REQUIRE(plan.changes.size() == 3);
    CHECK(plan.changes[0].agent == "weather");
    CHECK(plan.changes[2].agent == "controller");
    for (const auto& change : plan.changes) CHECK(change.action == ChangeAction::create);
    CHECK(std::string(change_action_name(ChangeAction::replace)) == "replace");
    REQUIRE(plan.agents.size() == 3);
    CHECK(plan.agents[0].spec.id == "weather");
    CHECK(plan.find("nope") == nullptr);
}

TEST_CASE("make_run_id is the job name and a UTC timestamp") {
    std::string id = make_run_id("travel");
    REQUIRE(id.size() == std::string("travel-").size() + 14);
    CHECK(id.rfind("travel-20", 0) == 0);
    CHECK(id.find_first_not_of("0123456789", 7) == std::string::npos);
}
