// Spec hashes: keyed, stable, and sensitive to everything the job defines for an agent,
// including a peer's URL, but not to the run id.

#include <catch2/catch.hpp>

#include "plan/spec_hash.hpp"
#include "plan/topology_resolver.hpp"
#include "plan_fixtures.hpp"

using namespace agentctl;
using namespace agentctl::plan;
using namespace agentctl::plan::testing;

namespace {

spec::JobSpec job_with_peer(int maps_port) {
    spec::JobSpec job = make_job("hashes", {local_agent("maps", maps_port), local_agent("controller", 9000)});
    job.topology.type = spec::TopologyType::hub_spoke;
    job.topology.hub = ref("controller");
    job.topology.spokes = refs({"maps"});
    return job;
}

std::string hash_of(const spec::JobSpec& job, const std::string& id, const ResolveOptions& opts = options()) {
    return agent_of(must_plan(job, opts), id).spec_hash;
}

}  // namespace

TEST_CASE("a spec hash is 64 hex digits and the same for the same input") {
    std::string first = hash_of(job_with_peer(9002), "controller");
    CHECK(first.size() == 64);
    CHECK(first.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(hash_of(job_with_peer(9002), "controller") == first);
}

TEST_CASE("the hash depends on the key") {
    CHECK(hash_of(job_with_peer(9002), "maps", options("key-one")) !=
          hash_of(job_with_peer(9002), "maps", options("key-two")));
}

TEST_CASE("the hash changes with the agent's own spec") {
    spec::JobSpec job = job_with_peer(9002);
    std::string before = hash_of(job, "maps");
    job.agents[0].module = "agents.other";
    CHECK(hash_of(job, "maps") != before);

    spec::JobSpec restarted = job_with_peer(9002);
    restarted.agents[0].restart.policy = spec::RestartPolicy::always;
    CHECK(hash_of(restarted, "maps") != before);

    spec::JobSpec secret = job_with_peer(9002);
    spec::EnvVar token;
    token.name = "TOKEN";
    token.value = "a";
    token.secret = true;
    secret.agents[0].deployment.environment = {token};
    std::string with_a = hash_of(secret, "maps");
    secret.agents[0].deployment.environment[0].value = "b";
    CHECK(hash_of(secret, "maps") != with_a);
}

TEST_CASE("a change in a peer's URL changes the consumer's hash only") {
    std::string controller_before = hash_of(job_with_peer(9002), "controller");
    CHECK(hash_of(job_with_peer(9003), "controller") != controller_before);

    // The spoke's own port changed, so its hash changes too; a third agent's does not.
    spec::JobSpec one = job_with_peer(9002);
    one.agents.push_back(local_agent("bystander", 9100));
    spec::JobSpec two = job_with_peer(9003);
    two.agents.push_back(local_agent("bystander", 9100));
    CHECK(hash_of(one, "bystander") == hash_of(two, "bystander"));
}

TEST_CASE("the run id does not change the hash") {
    ResolveOptions first = options();
    first.run_id = "hashes-20240101000000";
    ResolveOptions second = options();
    second.run_id = "hashes-20250101000000";
    CHECK(hash_of(job_with_peer(9002), "maps", first) == hash_of(job_with_peer(9002), "maps", second));
    CHECK(hash_of(job_with_peer(9002), "maps", first) == hash_of(job_with_peer(9002), "maps", options()));
}

TEST_CASE("the canonical text carries secrets only inside the hashed input") {
    spec::AgentSpec agent = local_agent("maps", 9002);
    PlannedInstance instance;
    instance.name = "maps";
    instance.environment = {{"JOB_ID", "run-1", false, {}}, {"TOKEN", "x\"y", true, {}}};
    std::string text = canonical_spec_text(agent, {instance});
    CHECK(text.find("\"JOB_ID\"") == std::string::npos);
    CHECK(text.find("[\"TOKEN\",\"x\\\"y\",true]") != std::string::npos);
    CHECK(text.rfind("{\"target\":\"localhost\",\"type\":\"\",\"module\":\"agents.maps\"", 0) == 0);
}
