#pragma once
// Stages (topological generations of the order edges), cycle reports, and the launch waves
// each strategy makes of the stages (DESIGN.md §3 "Strategy"). Internal to lib/plan.

#include <cstddef>
#include <optional>
#include <vector>

#include "plan/topology_edges.hpp"
#include "spec/diagnostic.hpp"
#include "spec/job_spec.hpp"

namespace agentctl::plan {

/// Groups of agent indices (into JobSpec::agents).
using IndexGroups = std::vector<std::vector<std::size_t>>;

/// rank[i] is the position of agents[i].id among all the job's ids in std::string order, so
/// that sorting indices by rank sorts them by id without comparing strings again.
std::vector<std::size_t> rank_by_id(const spec::JobSpec& job);

/// The order graph's stages, or the cycle that prevents them.
struct StageResult {
    IndexGroups stages;  ///< generations, each sorted by id; empty when there is a cycle
    IndexGroups after;   ///< per agent: its direct predecessors, unique, sorted by id
    std::optional<spec::Diagnostic> cycle;  ///< "dependency cycle: a -> b -> a" at the closing edge
};

/// Kahn's algorithm by levels over `edges` (linear in agents + edges). On a cycle, reports one
/// cycle as the path in "before" direction starting at its smallest id, at the position of
/// the edge that leads back to that id.
StageResult compute_stages(const spec::JobSpec& job, const std::vector<OrderEdge>& edges,
                           const std::vector<std::size_t>& rank);

/// The launch waves of `strategy`: staged -> the stages; sequential -> one agent per wave,
/// stages in order and file order inside a stage; parallel -> the generations of the
/// depends_on edges alone, file order inside a wave. Needs an acyclic order graph.
IndexGroups plan_waves(spec::Strategy strategy, const IndexGroups& stages, const std::vector<OrderEdge>& edges,
                       std::size_t agent_count);

}  // namespace agentctl::plan
