// Endpoints: the URL of every instance as agentctl sees it and as each kind of peer is given
// it (DESIGN.md §3 "URLs"), including ~/.ssh/config aliases and the advertise rule.

#include <catch2/catch.hpp>

#include "plan/endpoints.hpp"
#include "plan/topology_resolver.hpp"
#include "plan_fixtures.hpp"
#include "util/ssh_config.hpp"

using namespace agentctl;
using namespace agentctl::plan;
using namespace agentctl::plan::testing;
using Ids = std::vector<std::string>;

namespace {

// A job where `consumer` connects to each of `providers` (hub-spoke, the consumer as hub).
spec::JobSpec star(spec::AgentSpec consumer, std::vector<spec::AgentSpec> providers) {
    spec::JobSpec job = make_job("urls", {});
    job.topology.type = spec::TopologyType::hub_spoke;
    job.topology.hub = ref(consumer.id);
    for (auto& provider : providers) {
        job.topology.spokes.push_back(ref(provider.id, 30, 9));
        job.agents.push_back(std::move(provider));
    }
    job.agents.push_back(std::move(consumer));
    return job;
}

ResolveOptions with_homelab() {
    ResolveOptions opts = options();
    opts.ssh_config = util::SshConfig::parse("Host homelab\n  HostName 10.1.2.3\n");
    return opts;
}

spec::AgentSpec kube_agent(const std::string& id, int port) {
    spec::AgentSpec agent = local_agent(id, port);
    agent.deployment.target = spec::Target::kubernetes;
    agent.deployment.k8s_namespace = "prod";
    return agent;
}

// The URLs the hub of `job` is given, in peer order.
Ids hub_peer_urls(const spec::JobSpec& job, const ResolveOptions& opts = options()) {
    Plan plan = must_plan(job, opts);
    return peer_urls(agent_of(plan, job.topology.hub.id).instances.at(0));
}

}  // namespace

TEST_CASE("seen from agentctl: localhost, remote (alias resolved), container, kubernetes") {
    spec::AgentSpec published = container_agent("boxed", 9000);
    published.deployment.publish = "127.0.0.1:19000";
    spec::JobSpec job = make_job("seen", {local_agent("here", 9001), remote_agent("far", "homelab", 9002),
                                          remote_agent("plain", "db.example.com", 9003),
                                          container_agent("box", 9004), published, kube_agent("kube", 8080)});
    Plan plan = must_plan(job, with_homelab());

    const PlannedAgent& here = agent_of(plan, "here");
    CHECK(here.url == "http://127.0.0.1:9001");
    CHECK(here.host == "127.0.0.1");
    CHECK(here.port == 9001);
    CHECK(here.instances.at(0).address == "127.0.0.1");

    const PlannedAgent& far = agent_of(plan, "far");
    CHECK(far.url == "http://10.1.2.3:9002");
    CHECK(far.host == "homelab");
    CHECK(far.instances.at(0).address == "10.1.2.3");
    CHECK(agent_of(plan, "plain").url == "http://db.example.com:9003");

    const PlannedAgent& box = agent_of(plan, "box");
    CHECK(box.url == "http://127.0.0.1:9004");
    CHECK(box.host == "127.0.0.1");
    CHECK(box.port == 9004);
    const PlannedAgent& boxed = agent_of(plan, "boxed");
    CHECK(boxed.url == "http://127.0.0.1:19000");
    CHECK(boxed.port == 19000);

    const PlannedAgent& kube = agent_of(plan, "kube");
    CHECK(kube.url == "http://kube.prod.svc.cluster.local:8080");
    CHECK(kube.host == "kube.prod.svc.cluster.local");
}

TEST_CASE("a container on another host's engine is reached through that host") {
    spec::AgentSpec box = container_agent("box", 9000);
    box.deployment.host = "homelab";
    box.deployment.publish = "0.0.0.0:19000";
    spec::AgentSpec pinned = container_agent("pinned", 9001);
    pinned.deployment.host = "homelab";
    pinned.deployment.publish = "192.168.7.7:19001";
    Plan plan = must_plan(make_job("engine", {box, pinned}), with_homelab());
    CHECK(agent_of(plan, "box").host == "homelab");
    CHECK(agent_of(plan, "box").instances.at(0).address == "10.1.2.3");
    CHECK(agent_of(plan, "box").url == "http://10.1.2.3:19000");
    CHECK(agent_of(plan, "pinned").url == "http://192.168.7.7:19001");
}

TEST_CASE("a local agent is given local providers as agentctl sees them") {
    spec::JobSpec job = star(local_agent("hub", 9000), {local_agent("maps", 9002), remote_agent("far", "homelab", 9003)});
    CHECK(hub_peer_urls(job, with_homelab()) == Ids{"http://10.1.2.3:9003", "http://127.0.0.1:9002"});
}

TEST_CASE("a local agent is given a container by its publish address") {
    spec::AgentSpec box = container_agent("box", 9000);
    box.deployment.publish = "127.0.0.1:19000";
    CHECK(hub_peer_urls(star(local_agent("hub", 9001), {box})) == Ids{"http://127.0.0.1:19000"});
}

TEST_CASE("a container is given a local agent at host.docker.internal") {
    spec::JobSpec job = star(container_agent("hub", 9000), {local_agent("maps", 9002)});
    CHECK(hub_peer_urls(job) == Ids{"http://host.docker.internal:9002"});
}

TEST_CASE("a container is given another container by container_name, else id, on its own port") {
    spec::AgentSpec named = container_agent("named", 9002);
    named.deployment.container_name = "maps-svc";
    named.deployment.publish = "127.0.0.1:19002";
    spec::JobSpec job = star(container_agent("hub", 9000), {named, container_agent("plain", 9003)});
    CHECK(hub_peer_urls(job) == Ids{"http://maps-svc:9002", "http://plain:9003"});
}

TEST_CASE("remote and container agents are given remote agents by HostName") {
    spec::JobSpec from_remote = star(remote_agent("hub", "homelab", 9000), {remote_agent("far", "homelab", 9003)});
    CHECK(hub_peer_urls(from_remote, with_homelab()) == Ids{"http://10.1.2.3:9003"});
    spec::JobSpec from_box = star(container_agent("hub", 9000), {remote_agent("far", "homelab", 9003)});
    CHECK(hub_peer_urls(from_box, with_homelab()) == Ids{"http://10.1.2.3:9003"});
}

TEST_CASE("everyone is given a kubernetes agent's service URL") {
    for (auto consumer : {local_agent("hub", 9000), remote_agent("hub", "homelab", 9000),
                          container_agent("hub", 9000), kube_agent("hub", 9000)}) {
        spec::JobSpec job = star(consumer, {kube_agent("kube", 8080)});
        CHECK(hub_peer_urls(job, with_homelab()) == Ids{"http://kube.prod.svc.cluster.local:8080"});
    }
}

TEST_CASE("a remote agent is given a local agent at its advertise address") {
    spec::AgentSpec maps = local_agent("maps", 9002);
    maps.deployment.advertise = "10.0.0.5";
    spec::JobSpec job = star(remote_agent("hub", "homelab", 9000), {maps});
    CHECK(hub_peer_urls(job, with_homelab()) == Ids{"http://10.0.0.5:9002"});
}

TEST_CASE("a remote agent connecting to a local agent without advertise is an error at the edge") {
    spec::JobSpec job = star(remote_agent("a", "homelab", 9000), {local_agent("b", 9002)});
    ResolveResult result = resolve_plan(job, with_homelab());
    CHECK_FALSE(result.plan.has_value());
    REQUIRE(result.diagnostics.size() == 1);
    const auto& diagnostic = result.diagnostics[0];
    CHECK(diagnostic.severity == spec::Severity::error);
    CHECK(diagnostic.message ==
          "remote agent 'a' connects to localhost agent 'b', which has no deployment.advertise address");
    CHECK(diagnostic.hint == "set deployment.advertise on 'b' to an address 'a' can reach");
    CHECK(diagnostic.pos.line == 30);
    CHECK(diagnostic.pos.column == 9);
}

TEST_CASE("a local agent connecting to a remote one needs no advertise") {
    spec::JobSpec job = star(local_agent("a", 9000), {remote_agent("b", "homelab", 9002)});
    ResolveResult result = resolve_plan(job, with_homelab());
    CHECK(result.plan.has_value());
    CHECK(result.diagnostics.empty());
}

TEST_CASE("an address override spares the advertise rule") {
    spec::JobSpec job = star(remote_agent("a", "homelab", 9000), {local_agent("b", 9002)});
    spec::ConnectionSpec override_b;
    override_b.from = ref("a");
    override_b.to = {ref("b")};
    override_b.address = "gateway:9002";
    job.topology.connections = {override_b};
    CHECK(hub_peer_urls(job, with_homelab()) == Ids{"http://gateway:9002"});
}

TEST_CASE("agents without a port have no URL") {
    spec::JobSpec job = star(local_agent("hub", 9000), {local_agent("silent")});
    Plan plan = must_plan(job);
    const PlannedAgent& silent = agent_of(plan, "silent");
    CHECK(silent.url.empty());
    CHECK_FALSE(silent.port.has_value());
    CHECK(silent.instances.at(0).url.empty());
    const auto& peers = agent_of(plan, "hub").instances.at(0).peers;
    REQUIRE(peers.size() == 1);
    CHECK(peers[0].id == "silent");
    CHECK(peers[0].url.empty());
}

TEST_CASE("fleet instances keep the host as written and resolve it for the URL") {
    spec::AgentSpec fleet = remote_agent("w", "", 9001);
    fleet.deployment.hosts = refs({"homelab", "edge"});
    auto instances = plan_instances(fleet, util::SshConfig::parse("Host homelab\n  HostName 10.1.2.3\n"));
    REQUIRE(instances.size() == 2);
    CHECK(instances[0].name == "w@homelab");
    CHECK(instances[0].host == "homelab");
    CHECK(instances[0].address == "10.1.2.3");
    CHECK(instances[0].url == "http://10.1.2.3:9001");
    CHECK(instances[1].name == "w@edge");
    CHECK(instances[1].url == "http://edge:9001");
}
