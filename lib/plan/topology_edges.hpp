#pragma once
// Compiles a job's topology (and depends_on) into the two edge sets of DESIGN.md §3: order
// edges ("a before b") and connection edges ("a connects to b": a receives b's URL).
// Internal to lib/plan; agents are named by their file-order index.

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "spec/job_spec.hpp"

namespace agentctl::plan {

/// Agent id -> index into JobSpec::agents.
using AgentIndex = std::unordered_map<std::string, std::size_t>;

/// Builds the id -> file-order index table of `job` (the first agent wins on a duplicate id).
AgentIndex index_agents(const spec::JobSpec& job);

/// `before` must be ready before `after` starts.
struct OrderEdge {
    std::size_t before = 0;
    std::size_t after = 0;
    spec::SourcePos pos;      ///< the id reference in the file that made this edge
    bool depends_on = false;  ///< made by an agent's depends_on (not by the topology)
};

/// `from` is given the URL of `to`.
struct ConnectionEdge {
    std::size_t from = 0;
    std::size_t to = 0;
    spec::SourcePos pos;  ///< the id reference in the file that made this edge
};

/// Every edge of a job, in the order the file states them (duplicates possible, no self
/// connections), and the URL overrides of `topology.connections[].address`.
struct TopologyEdges {
    std::vector<OrderEdge> order;
    std::vector<ConnectionEdge> connections;
    std::map<std::pair<std::size_t, std::size_t>, std::string> address_urls;  ///< (from, to) -> URL
};

/// Compiles the topology of `job` and every agent's depends_on. Ids not in `index` (already
/// reported by the validator) are skipped. On non-dag topologies a `connections[]` entry
/// adds a connection edge (never an order edge) when the topology does not already connect
/// the pair, and its `address`, if any, overrides that edge's URL.
TopologyEdges compile_topology(const spec::JobSpec& job, const AgentIndex& index);

/// The URL an `address` override stands for: a value with "://" as it is, else "http://" + it.
std::string address_to_url(std::string_view address);

}  // namespace agentctl::plan
