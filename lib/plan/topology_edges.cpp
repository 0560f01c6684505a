#include "plan/topology_edges.hpp"

#include <optional>

namespace agentctl::plan {
namespace {

using spec::IdRef;

// Appends edges to one TopologyEdges, looking ids up and dropping the unknown ones.
class EdgeBuilder {
public:
    EdgeBuilder(const AgentIndex& index, TopologyEdges& out) : m_index(index), m_out(out) {}

    std::optional<std::size_t> find(const IdRef& ref) const {
        auto it = m_index.find(ref.id);
        if (it == m_index.end()) return std::nullopt;
        return it->second;
    }

    // `before` before `after`; the position is that of `after`, the later-named agent.
    void order(const IdRef& before, const IdRef& after, const spec::SourcePos& pos, bool depends_on = false) {
        auto b = find(before);
        auto a = find(after);
        if (b && a) m_out.order.push_back({*b, *a, pos, depends_on});
    }

    void connect(const IdRef& from, const IdRef& to, const spec::SourcePos& pos) {
        auto f = find(from);
        auto t = find(to);
        if (f && t && *f != *t) m_out.connections.push_back({*f, *t, pos});
    }

    // Every agent of `first` before every agent of `second`, and connects to each of them.
    void level_to_level(const std::vector<IdRef>& first, const std::vector<IdRef>& second) {
        for (const auto& later : second) {
            for (const auto& earlier : first) {
                order(earlier, later, later.pos);
                connect(earlier, later, later.pos);
            }
        }
    }

    void override_address(const IdRef& from, const IdRef& to, const std::string& address) {
        auto f = find(from);
        auto t = find(to);
        if (f && t && *f != *t && !address.empty()) m_out.address_urls[{*f, *t}] = address_to_url(address);
    }

private:
    const AgentIndex& m_index;
    TopologyEdges& m_out;
};

void hub_spoke(const spec::TopologySpec& topology, EdgeBuilder& edges) {
    for (const auto& spoke : topology.spokes) {
        edges.order(spoke, topology.hub, spoke.pos);
        edges.connect(topology.hub, spoke, spoke.pos);
    }
}

void pipeline(const spec::TopologySpec& topology, EdgeBuilder& edges) {
    for (std::size_t i = 1; i < topology.stages.size(); ++i) {
        edges.level_to_level(topology.stages[i - 1], topology.stages[i]);
    }
}

void dag(const spec::TopologySpec& topology, EdgeBuilder& edges) {
    for (const auto& connection : topology.connections) {
        for (const auto& to : connection.to) {
            edges.order(connection.from, to, to.pos);
            edges.connect(connection.from, to, to.pos);
        }
    }
}

void mesh(const spec::TopologySpec& topology, EdgeBuilder& edges) {
    for (const auto& from : topology.agents) {
        for (const auto& to : topology.agents) edges.connect(from, to, to.pos);
    }
}

void hierarchical(const spec::TopologySpec& topology, EdgeBuilder& edges) {
    if (topology.tree_form) {
        for (const auto& level : topology.tree) {
            for (const auto& child : level.children) {
                edges.order(level.parent, child, child.pos);
                edges.connect(level.parent, child, child.pos);
            }
        }
        return;
    }
    if (topology.levels.empty()) return;
    if (!topology.root.id.empty()) edges.level_to_level({topology.root}, topology.levels.front());
    for (std::size_t i = 1; i < topology.levels.size(); ++i) {
        edges.level_to_level(topology.levels[i - 1], topology.levels[i]);
    }
}

}  // namespace

AgentIndex index_agents(const spec::JobSpec& job) {
    AgentIndex index;
    index.reserve(job.agents.size());
    for (std::size_t i = 0; i < job.agents.size(); ++i) index.emplace(job.agents[i].id, i);
    return index;
}

TopologyEdges compile_topology(const spec::JobSpec& job, const AgentIndex& index) {
    TopologyEdges out;
    EdgeBuilder edges(index, out);
    const auto& topology = job.topology;
    switch (topology.type) {
        case spec::TopologyType::hub_spoke: hub_spoke(topology, edges); break;
        case spec::TopologyType::pipeline: pipeline(topology, edges); break;
        case spec::TopologyType::dag: dag(topology, edges); break;
        case spec::TopologyType::mesh: mesh(topology, edges); break;
        case spec::TopologyType::hierarchical: hierarchical(topology, edges); break;
        case spec::TopologyType::dynamic:
        case spec::TopologyType::none: break;
    }

    for (const auto& connection : topology.connections) {
        for (const auto& to : connection.to) {
            // On a dag the entry is itself the edge (added above). Elsewhere it may name a pair
            // the topology does not connect: the user asked for that connection, so it is
            // added; a duplicate of an existing edge is removed later by the resolver.
            if (topology.type != spec::TopologyType::dag) edges.connect(connection.from, to, to.pos);
            edges.override_address(connection.from, to, connection.address);
        }
    }

    for (const auto& agent : job.agents) {
        spec::IdRef self{agent.id, agent.pos};
        for (const auto& dependency : agent.depends_on) edges.order(dependency, self, dependency.pos, true);
    }
    return out;
}

std::string address_to_url(std::string_view address) {
    if (address.find("://") != std::string_view::npos) return std::string(address);
    return "http://" + std::string(address);
}

}  // namespace agentctl::plan
