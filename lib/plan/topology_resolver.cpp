#include "plan/topology_resolver.hpp"

#include <algorithm>
#include <ctime>

#include "plan/endpoints.hpp"
#include "plan/environment_contract.hpp"
#include "plan/spec_hash.hpp"
#include "plan/stages.hpp"
#include "plan/topology_edges.hpp"

namespace agentctl::plan {
namespace {

// Each consumer's connection edges with duplicates removed (the first stated edge kept, for
// its position), sorted by provider id.
std::vector<std::vector<ConnectionEdge>> connections_by_consumer(const std::vector<ConnectionEdge>& edges,
                                                                 const std::vector<std::size_t>& rank) {
    std::vector<std::vector<ConnectionEdge>> out(rank.size());
    for (const auto& edge : edges) out[edge.from].push_back(edge);
    for (auto& list : out) {
        std::stable_sort(list.begin(), list.end(),
                         [&](const ConnectionEdge& a, const ConnectionEdge& b) { return rank[a.to] < rank[b.to]; });
        list.erase(std::unique(list.begin(), list.end(),
                               [](const ConnectionEdge& a, const ConnectionEdge& b) { return a.to == b.to; }),
                   list.end());
    }
    return out;
}

// The peers one consumer is given, or false with an error diagnostic per unreachable edge.
bool plan_peers(const spec::JobSpec& job, std::size_t consumer, const std::vector<ConnectionEdge>& edges,
                const TopologyEdges& topology, const std::vector<std::vector<PlannedInstance>>& instances,
                std::vector<Peer>& peers, std::vector<spec::Diagnostic>& diagnostics) {
    bool ok = true;
    const spec::AgentSpec& from = job.agents[consumer];
    peers.reserve(edges.size());
    for (const auto& edge : edges) {
        const spec::AgentSpec& to = job.agents[edge.to];
        const auto& provided = instances[edge.to];
        auto override_url = topology.address_urls.find({consumer, edge.to});
        if (override_url != topology.address_urls.end()) {
            // One address stands for the whole provider, even for a fleet.
            peers.push_back({to.id, provided.size() == 1 ? provided.front().name : to.id, override_url->second});
            continue;
        }
        std::vector<Peer> found;
        for (const auto& instance : provided) {
            PeerUrl url = peer_url(from, to, instance);
            if (!url.message.empty()) {
                diagnostics.push_back({job.file, edge.pos, spec::Severity::error, url.message, url.hint});
                ok = false;
                break;
            }
            found.push_back({to.id, instance.name, std::move(url.url)});
        }
        std::sort(found.begin(), found.end(), [](const Peer& a, const Peer& b) { return a.instance < b.instance; });
        for (auto& peer : found) peers.push_back(std::move(peer));
    }
    return ok;
}

std::vector<std::string> ids_of(const spec::JobSpec& job, const std::vector<std::size_t>& indices) {
    std::vector<std::string> ids;
    ids.reserve(indices.size());
    for (std::size_t index : indices) ids.push_back(job.agents[index].id);
    return ids;
}

std::string entry_point_of(const spec::JobSpec& job) {
    if (job.execution.entry_point && !job.execution.entry_point->id.empty()) return job.execution.entry_point->id;
    if (job.topology.type == spec::TopologyType::hub_spoke && !job.topology.hub.id.empty()) {
        return job.topology.hub.id;
    }
    return job.agents.empty() ? std::string() : job.agents.front().id;
}

}  // namespace

ResolveResult resolve_plan(const spec::JobSpec& job, const ResolveOptions& options) {
    ResolveResult result;
    const std::size_t count = job.agents.size();
    const std::vector<std::size_t> rank = rank_by_id(job);
    const TopologyEdges edges = compile_topology(job, index_agents(job));

    StageResult order = compute_stages(job, edges.order, rank);
    if (order.cycle) {
        result.diagnostics.push_back(*order.cycle);
        return result;
    }

    std::vector<std::vector<PlannedInstance>> instances(count);
    for (std::size_t i = 0; i < count; ++i) instances[i] = plan_instances(job.agents[i], options.ssh_config);

    const auto connections = connections_by_consumer(edges.connections, rank);
    std::vector<std::vector<Peer>> peers(count);
    bool reachable = true;
    for (std::size_t i = 0; i < count; ++i) {
        reachable = plan_peers(job, i, connections[i], edges, instances, peers[i], result.diagnostics) && reachable;
    }
    if (!reachable) {
        spec::sort_by_position(result.diagnostics);
        return result;
    }

    Plan plan;
    plan.job = job.job.name;
    plan.file = job.file;
    plan.strategy = job.deployment.strategy;
    plan.strategy_text =
        job.deployment.strategy_text.empty() ? spec::strategy_name(plan.strategy) : job.deployment.strategy_text;
    for (const auto& stage : order.stages) plan.stages.push_back(ids_of(job, stage));
    for (const auto& wave : plan_waves(plan.strategy, order.stages, edges.order, count)) {
        plan.waves.push_back(ids_of(job, wave));
        plan.start_order.insert(plan.start_order.end(), plan.waves.back().begin(), plan.waves.back().end());
    }

    std::vector<std::size_t> stage_of(count, 0);
    for (std::size_t s = 0; s < order.stages.size(); ++s) {
        for (std::size_t index : order.stages[s]) stage_of[index] = s;
    }

    add_job_environment_warnings(job, result.diagnostics);
    plan.agents.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        const spec::AgentSpec& spec = job.agents[i];
        PlannedAgent agent;
        agent.spec = spec;
        for (const auto& edge : connections[i]) agent.connections.push_back(job.agents[edge.to].id);
        agent.after = ids_of(job, order.after[i]);
        agent.stage = stage_of[i];
        agent.port = planned_port(spec);

        EnvironmentContract contract(job, spec, agent.connections);
        contract.add_collision_warnings(result.diagnostics);
        for (std::size_t k = 0; k < instances[i].size(); ++k) {
            PlannedInstance& instance = instances[i][k];
            // The last instance may take the list; the others need their own copy.
            instance.peers = k + 1 == instances[i].size() ? std::move(peers[i]) : peers[i];
            instance.environment = contract.environment(instance, options.run_id);
        }
        agent.instances = std::move(instances[i]);
        if (!agent.instances.empty()) {
            agent.host = agent.instances.front().host;
            agent.url = agent.instances.front().url;
        }
        agent.spec_hash = compute_spec_hash(options.hash_key, spec, agent.instances);
        plan.changes.push_back({spec.id, ChangeAction::create, {}});
        plan.agents.push_back(std::move(agent));
    }
    plan.entry_point = entry_point_of(job);

    spec::sort_by_position(result.diagnostics);
    result.plan = std::move(plan);
    return result;
}

std::string make_run_id(const std::string& job) {
    std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char stamp[16];
    std::strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &utc);
    return job + "-" + stamp;
}

}  // namespace agentctl::plan
