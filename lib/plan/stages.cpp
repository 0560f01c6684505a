#include "plan/stages.hpp"

#include <algorithm>
#include <numeric>
#include <string>

namespace agentctl::plan {
namespace {

// Adjacency lists (successors and predecessors) of the edges `keep` accepts, without
// duplicates; each list sorted by `less`.
struct Adjacency {
    IndexGroups successors;
    IndexGroups predecessors;
};

template <typename Keep, typename Less>
Adjacency build_adjacency(std::size_t agent_count, const std::vector<OrderEdge>& edges, Keep keep, Less less) {
    Adjacency adjacency;
    adjacency.successors.resize(agent_count);
    adjacency.predecessors.resize(agent_count);
    for (const auto& edge : edges) {
        if (!keep(edge)) continue;
        adjacency.successors[edge.before].push_back(edge.after);
        adjacency.predecessors[edge.after].push_back(edge.before);
    }
    auto tidy = [&](std::vector<std::size_t>& list) {
        std::sort(list.begin(), list.end(), less);
        list.erase(std::unique(list.begin(), list.end()), list.end());
    };
    for (auto& list : adjacency.successors) tidy(list);
    for (auto& list : adjacency.predecessors) tidy(list);
    return adjacency;
}

// Kahn by levels; each level sorted by `less`. Agents left out belong to or follow a cycle.
template <typename Less>
IndexGroups generations(const Adjacency& adjacency, Less less, std::vector<std::size_t>& in_degree) {
    const std::size_t count = adjacency.successors.size();
    in_degree.assign(count, 0);
    for (std::size_t i = 0; i < count; ++i) in_degree[i] = adjacency.predecessors[i].size();
    IndexGroups levels;
    std::vector<std::size_t> current;
    for (std::size_t i = 0; i < count; ++i) {
        if (in_degree[i] == 0) current.push_back(i);
    }
    while (!current.empty()) {
        std::sort(current.begin(), current.end(), less);
        std::vector<std::size_t> next;
        for (std::size_t node : current) {
            for (std::size_t successor : adjacency.successors[node]) {
                if (--in_degree[successor] == 0) next.push_back(successor);
            }
        }
        levels.push_back(std::move(current));
        current = std::move(next);
    }
    return levels;
}

// Every agent left with a positive in-degree has a predecessor that is also left, so walking
// predecessors from any of them must come back to a node already seen: that loop is a cycle.
spec::Diagnostic describe_cycle(const spec::JobSpec& job, const std::vector<OrderEdge>& edges,
                                const Adjacency& adjacency, const std::vector<std::size_t>& in_degree,
                                const std::vector<std::size_t>& rank) {
    const std::size_t count = in_degree.size();
    std::size_t start = count;
    for (std::size_t i = 0; i < count; ++i) {
        if (in_degree[i] > 0 && (start == count || rank[i] < rank[start])) start = i;
    }
    std::vector<std::size_t> step_of(count, count);
    std::vector<std::size_t> walk;
    std::size_t node = start;
    while (step_of[node] == count) {
        step_of[node] = walk.size();
        walk.push_back(node);
        // Predecessors are sorted by id: taking the first one left keeps the walk deterministic.
        for (std::size_t predecessor : adjacency.predecessors[node]) {
            if (in_degree[predecessor] > 0) {
                node = predecessor;
                break;
            }
        }
    }
    // walk[k+1] comes before walk[k]: reversing the loop gives it in "before" order.
    std::vector<std::size_t> cycle(walk.begin() + static_cast<std::ptrdiff_t>(step_of[node]), walk.end());
    std::reverse(cycle.begin(), cycle.end());
    auto smallest = std::min_element(cycle.begin(), cycle.end(),
                                     [&](std::size_t a, std::size_t b) { return rank[a] < rank[b]; });
    std::rotate(cycle.begin(), smallest, cycle.end());

    std::string path;
    for (std::size_t member : cycle) path += job.agents[member].id + " -> ";
    path += job.agents[cycle.front()].id;

    spec::Diagnostic diagnostic;
    diagnostic.file = job.file;
    diagnostic.severity = spec::Severity::error;
    diagnostic.message = "dependency cycle: " + path;
    diagnostic.hint = "remove one of these edges or depends_on entries";
    for (const auto& edge : edges) {
        if (edge.before == cycle.back() && edge.after == cycle.front()) {
            diagnostic.pos = edge.pos;
            break;
        }
    }
    return diagnostic;
}

}  // namespace

std::vector<std::size_t> rank_by_id(const spec::JobSpec& job) {
    std::vector<std::size_t> order(job.agents.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return job.agents[a].id < job.agents[b].id; });
    std::vector<std::size_t> rank(order.size());
    for (std::size_t position = 0; position < order.size(); ++position) rank[order[position]] = position;
    return rank;
}

StageResult compute_stages(const spec::JobSpec& job, const std::vector<OrderEdge>& edges,
                           const std::vector<std::size_t>& rank) {
    auto by_id = [&](std::size_t a, std::size_t b) { return rank[a] < rank[b]; };
    Adjacency adjacency = build_adjacency(job.agents.size(), edges, [](const OrderEdge&) { return true; }, by_id);

    StageResult result;
    std::vector<std::size_t> in_degree;
    result.stages = generations(adjacency, by_id, in_degree);
    std::size_t placed = 0;
    for (const auto& stage : result.stages) placed += stage.size();
    if (placed < job.agents.size()) {
        result.cycle = describe_cycle(job, edges, adjacency, in_degree, rank);
        result.stages.clear();
    }
    result.after = std::move(adjacency.predecessors);
    return result;
}

IndexGroups plan_waves(spec::Strategy strategy, const IndexGroups& stages, const std::vector<OrderEdge>& edges,
                       std::size_t agent_count) {
    switch (strategy) {
        case spec::Strategy::staged:
            return stages;
        case spec::Strategy::sequential: {
            IndexGroups waves;
            waves.reserve(agent_count);
            for (auto stage : stages) {
                std::sort(stage.begin(), stage.end());
                for (std::size_t agent : stage) waves.push_back({agent});
            }
            return waves;
        }
        case spec::Strategy::parallel: {
            auto file_order = [](std::size_t a, std::size_t b) { return a < b; };
            Adjacency adjacency = build_adjacency(
                agent_count, edges, [](const OrderEdge& edge) { return edge.depends_on; }, file_order);
            std::vector<std::size_t> in_degree;
            return generations(adjacency, file_order, in_degree);
        }
    }
    return stages;
}

}  // namespace agentctl::plan
