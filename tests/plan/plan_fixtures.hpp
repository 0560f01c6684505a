#pragma once

#include <stdexcept>
// Small builders for hand-made JobSpecs in the plan tests (no YAML, so the resolver is tested
// on its own).

#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "plan/plan.hpp"
#include "plan/topology_resolver.hpp"
#include "spec/job_spec.hpp"

namespace agentctl::plan::testing {

inline spec::IdRef ref(std::string id, int line = 0, int column = 0) { return {std::move(id), {line, column}}; }

inline std::vector<spec::IdRef> refs(const std::vector<std::string>& ids) {
    std::vector<spec::IdRef> out;
    for (const auto& id : ids) out.push_back(ref(id));
    return out;
}

/// A localhost module agent listening on `port` (none when 0).
inline spec::AgentSpec local_agent(std::string id, int port = 0) {
    spec::AgentSpec agent;
    agent.id = std::move(id);
    agent.module = "agents." + agent.id;
    if (port) {
        agent.port = port;
        agent.config.push_back({"port", std::to_string(port), std::to_string(port), {}});
        agent.config_json = "{\"port\":" + std::to_string(port) + "}";
    } else {
        agent.config_json = "{}";
    }
    return agent;
}

inline spec::AgentSpec remote_agent(std::string id, std::string host, int port) {
    spec::AgentSpec agent = local_agent(std::move(id), port);
    agent.deployment.target = spec::Target::remote;
    agent.deployment.host = std::move(host);
    return agent;
}

inline spec::AgentSpec container_agent(std::string id, int port) {
    spec::AgentSpec agent = local_agent(std::move(id), port);
    agent.module.clear();
    agent.deployment.target = spec::Target::container;
    agent.deployment.image = "demo:1";
    return agent;
}

inline spec::JobSpec make_job(std::string name, std::vector<spec::AgentSpec> agents) {
    spec::JobSpec job;
    job.file = "job.yaml";
    job.job.name = std::move(name);
    job.agents = std::move(agents);
    return job;
}

inline ResolveOptions options(std::string key = "test-key") {
    ResolveOptions out;
    out.hash_key = std::move(key);
    return out;
}

/// Resolves `job`, which must plan without an error; returns the plan.
inline Plan must_plan(const spec::JobSpec& job, const ResolveOptions& opts = options()) {
    ResolveResult result = resolve_plan(job, opts);
    for (const auto& diagnostic : result.diagnostics) {
        if (diagnostic.severity == spec::Severity::error) FAIL_CHECK(diagnostic.message);
    }
    REQUIRE(result.plan.has_value());
    return *result.plan;
}

inline const PlannedAgent& agent_of(const Plan& plan, const std::string& id) {
    const PlannedAgent* agent = plan.find(id);
    if (!agent) throw std::runtime_error("no agent '" + id + "' in the plan");
    return *agent;
}

inline std::vector<std::string> instance_urls(const PlannedAgent& agent) {
    std::vector<std::string> out;
    for (const auto& instance : agent.instances) out.push_back(instance.url);
    return out;
}

inline std::vector<std::string> peer_urls(const PlannedInstance& instance) {
    std::vector<std::string> out;
    for (const auto& peer : instance.peers) out.push_back(peer.url);
    return out;
}

}  // namespace agentctl::plan::testing
