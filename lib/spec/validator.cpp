// Cross-reference checks over a built JobSpec: ids, topology membership, per-target required
// fields and listening-address clashes. Graph-level checks (cycles, advertise) are the
// resolver's; shape and type checks were done by the loader.

#include "spec/validator.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_set>
#include <string>
#include <vector>

#include "util/text.hpp"

namespace agentctl::spec {

namespace {

std::string line_of(const SourcePos& pos) {
    return "line " + std::to_string(pos.line);
}

std::string normalized_id(std::string id) {
    std::replace(id.begin(), id.end(), '-', '_');
    return id;
}

void check_ids(const JobSpec& job, Diagnostics& out) {
    std::map<std::string, const AgentSpec*> by_id;
    std::map<std::string, const AgentSpec*> by_normalized;
    for (const AgentSpec& agent : job.agents) {
        if (agent.id.empty()) {
            continue;
        }
        auto [first, inserted] = by_id.emplace(agent.id, &agent);
        if (!inserted) {
            out.error(agent.pos, "duplicate agent id '" + agent.id + "' (first at " + line_of(first->second->pos) + ")",
                      "give every agent its own id");
            continue;
        }
        auto [same, fresh] = by_normalized.emplace(normalized_id(agent.id), &agent);
        if (!fresh) {
            out.error(agent.pos,
                      "agent id '" + agent.id + "' is the same as '" + same->second->id + "' (" +
                          line_of(same->second->pos) + ") once '-' becomes '_'",
                      "both would be named AGENT_PEER_" + util::env_name_of(agent.id) +
                          "_URL in the environment; rename one");
        }
    }
}

/// Reports ids that name no agent, with a "did you mean".
class ReferenceChecker {
public:
    ReferenceChecker(const JobSpec& job, Diagnostics& out) : m_out(out) {
        for (const AgentSpec& agent : job.agents) {
            if (!agent.id.empty()) {
                m_ids.push_back(agent.id);
                m_known.insert(agent.id);
            }
        }
    }

    void check(const IdRef& ref, const std::string& where) {
        if (ref.id.empty() || m_known.count(ref.id)) {
            return;
        }
        const std::string suggestion = util::did_you_mean(ref.id, m_ids);
        std::string hint;
        if (!suggestion.empty()) {
            hint = "did you mean '" + suggestion + "'?";
        } else if (m_ids.size() <= 10) {
            hint = "the agents are: " + util::join(m_ids, ", ");
        }
        m_out.error(ref.pos, "unknown agent '" + ref.id + "' in " + where, hint);
    }

    void check(const std::vector<IdRef>& refs, const std::string& where) {
        for (const IdRef& ref : refs) {
            check(ref, where);
        }
    }

private:
    Diagnostics& m_out;
    std::unordered_set<std::string> m_known;  // for lookups: jobs may have 10,000 agents
    std::vector<std::string> m_ids;
};

void check_references(const JobSpec& job, Diagnostics& out) {
    ReferenceChecker refs(job, out);
    const TopologySpec& topology = job.topology;
    refs.check(topology.hub, "topology.hub");
    refs.check(topology.spokes, "topology.spokes");
    for (const auto& stage : topology.stages) {
        refs.check(stage, "topology.stages");
    }
    refs.check(topology.agents, "topology.agents");
    refs.check(topology.root, "topology.root");
    for (const auto& level : topology.levels) {
        refs.check(level, "topology.levels");
    }
    for (const TreeLevel& level : topology.tree) {
        refs.check(level.parent, "topology.levels");
        refs.check(level.children, "topology.levels");
    }
    for (const ConnectionSpec& connection : topology.connections) {
        refs.check(connection.from, "topology.connections");
        refs.check(connection.to, "topology.connections");
    }
    for (const AgentSpec& agent : job.agents) {
        refs.check(agent.depends_on, "depends_on of agent '" + agent.id + "'");
    }
    if (job.execution.entry_point) {
        refs.check(*job.execution.entry_point, "execution.entry_point");
    }
}

/// Finds agents named more than once where the topology allows each once.
class OnceChecker {
public:
    explicit OnceChecker(Diagnostics& out) : m_out(out) {}

    /// Records `ref` as named in `where`; reports it when it was named before.
    void name(const IdRef& ref, const std::string& where) {
        if (ref.id.empty()) {
            return;
        }
        auto [first, inserted] = m_seen.emplace(ref.id, Seen{ref.pos, where});
        if (!inserted) {
            const std::string place = first->second.where == where ? "in " + where
                                                                    : "as " + first->second.where + " and in " + where;
            m_out.error(ref.pos,
                        "agent '" + ref.id + "' is named twice in the topology, " + place + " (first at " +
                            line_of(first->second.pos) + ")",
                        "a " + std::string(m_type) + " topology names each agent once");
        }
    }

    void set_type(const char* type) { m_type = type; }

private:
    struct Seen {
        SourcePos pos;
        std::string where;
    };
    Diagnostics& m_out;
    std::map<std::string, Seen> m_seen;
    const char* m_type = "";
};

void check_named_once(const JobSpec& job, Diagnostics& out) {
    const TopologySpec& topology = job.topology;
    OnceChecker once(out);
    once.set_type(topology_type_name(topology.type));
    switch (topology.type) {
    case TopologyType::hub_spoke:
        once.name(topology.hub, "topology.hub");
        for (const IdRef& spoke : topology.spokes) {
            once.name(spoke, "topology.spokes");
        }
        break;
    case TopologyType::pipeline:
        for (const auto& stage : topology.stages) {
            for (const IdRef& id : stage) {
                once.name(id, "topology.stages");
            }
        }
        break;
    case TopologyType::mesh:
        for (const IdRef& id : topology.agents) {
            once.name(id, "topology.agents");
        }
        break;
    case TopologyType::hierarchical: {
        once.name(topology.root, "topology.root");
        for (const auto& level : topology.levels) {
            for (const IdRef& id : level) {
                once.name(id, "topology.levels");
            }
        }
        std::set<std::string> children;
        for (const TreeLevel& level : topology.tree) {
            for (const IdRef& child : level.children) {
                once.name(child, "topology.levels");
                children.insert(child.id);
            }
        }
        // In the tree form every parent hangs below the root, or its depth is undefined.
        for (const TreeLevel& level : topology.tree) {
            const std::string& parent = level.parent.id;
            if (!parent.empty() && parent != topology.root.id && children.count(parent) == 0 &&
                job.find_agent(parent) != nullptr) {
                out.error(level.parent.pos,
                          "parent '" + parent + "' in topology.levels is neither the root nor a child of another level",
                          "list '" + parent + "' among the children of a parent, or make it the root");
            }
        }
        break;
    }
    default:
        break;
    }
}

void check_targets(const JobSpec& job, Diagnostics& out) {
    for (const AgentSpec& agent : job.agents) {
        const DeploymentSpec& deployment = agent.deployment;
        const SourcePos where = deployment.target_pos.line ? deployment.target_pos : agent.pos;
        const std::string name = "agent '" + agent.id + "'";
        switch (deployment.target) {
        case Target::localhost:
        case Target::remote:
            if (agent.module.empty() == agent.command.empty()) {
                out.error(agent.pos, name + " needs exactly one of module or command",
                          agent.module.empty() ? "add module: package.agent or command: [\"./agent\"]"
                                               : "remove module or command");
            }
            break;
        case Target::container:
            if (deployment.image.empty()) {
                out.error(where, "container " + name + " needs an image", "add deployment.image: my-image:tag");
            }
            break;
        case Target::kubernetes:
            break;
        }
        if (deployment.target != Target::remote) {
            continue;
        }
        if (deployment.host.empty() && deployment.hosts.empty()) {
            out.error(where, "remote " + name + " needs deployment.host or deployment.hosts",
                      "add host: my-server (an ~/.ssh/config alias works)");
        } else if (!deployment.host.empty() && !deployment.hosts.empty()) {
            out.error(deployment.host_pos, "remote " + name + " sets both host and hosts",
                      "use host for one machine, hosts for a fleet");
        }
        std::set<std::string> hosts;
        for (const IdRef& host : deployment.hosts) {
            if (!hosts.insert(host.id).second) {
                out.error(host.pos, "host '" + host.id + "' is listed twice in the hosts of " + name);
            }
        }
    }
}

bool is_local_host(const std::string& host) {
    return host == "localhost" || host == "127.0.0.1" || host == "::1" || host == "[::1]";
}

/// One host address and port an agent would listen on.
struct Listener {
    std::string machine;  ///< "" for agentctl's own machine, else the host
    std::string address;  ///< "*" when every address of the machine
    int port = 0;
    std::string shown;    ///< as the message shows it
    const AgentSpec* agent = nullptr;
    SourcePos pos;
};

std::vector<Listener> listeners_of(const AgentSpec& agent) {
    std::vector<Listener> out;
    const DeploymentSpec& deployment = agent.deployment;
    const SourcePos port_pos = agent.port_pos.line ? agent.port_pos : agent.pos;
    switch (deployment.target) {
    case Target::localhost:
        if (agent.port) {
            out.push_back({"", "127.0.0.1", *agent.port, "127.0.0.1:" + std::to_string(*agent.port), &agent, port_pos});
        }
        break;
    case Target::remote: {
        if (!agent.port) {
            break;
        }
        std::vector<std::string> hosts;
        if (!deployment.host.empty()) {
            hosts.push_back(deployment.host);
        }
        for (const IdRef& host : deployment.hosts) {
            hosts.push_back(host.id);
        }
        // Where a remote agent binds is up to the agent: assume every address of its host.
        for (const std::string& host : hosts) {
            out.push_back({is_local_host(host) ? "" : host, "*", *agent.port,
                           host + ":" + std::to_string(*agent.port), &agent, port_pos});
        }
        break;
    }
    case Target::container: {
        const std::size_t colon = deployment.publish.rfind(':');
        if (colon == std::string::npos) {
            break;
        }
        std::string address = deployment.publish.substr(0, colon);
        const int port = std::stoi(deployment.publish.substr(colon + 1));
        if (address == "0.0.0.0" || address == "::" || address == "[::]" || address == "*") {
            address = "*";
        } else if (address == "localhost") {
            address = "127.0.0.1";
        }
        const std::string machine = is_local_host(deployment.host) ? "" : deployment.host;
        out.push_back({machine, address, port, deployment.publish, &agent,
                       deployment.publish_pos.line ? deployment.publish_pos : agent.pos});
        break;
    }
    case Target::kubernetes:
        break;
    }
    return out;
}

void check_ports(const JobSpec& job, Diagnostics& out) {
    // Only listeners on the same machine and port can clash: group them so large jobs stay linear.
    std::map<std::pair<std::string, int>, std::vector<Listener>> taken_by_port;
    for (const AgentSpec& agent : job.agents) {
        for (const Listener& listener : listeners_of(agent)) {
            auto& taken = taken_by_port[{listener.machine, listener.port}];
            for (const Listener& other : taken) {
                const bool overlap = listener.address == other.address || listener.address == "*" || other.address == "*";
                if (other.agent != listener.agent && other.machine == listener.machine && other.port == listener.port &&
                    overlap) {
                    out.error(listener.pos,
                              "agent '" + agent.id + "' would listen on " + listener.shown + ", as agent '" +
                                  other.agent->id + "' does (" + line_of(other.pos) + ")",
                              "give one of them another port");
                    break;
                }
            }
            taken.push_back(listener);
        }
    }
}

void note_unmentioned(const JobSpec& job, Diagnostics& out) {
    const TopologySpec& topology = job.topology;
    if (topology.type == TopologyType::none || topology.type == TopologyType::dynamic) {
        return;
    }
    std::set<std::string> named;
    auto add = [&](const std::vector<IdRef>& refs) {
        for (const IdRef& ref : refs) {
            named.insert(ref.id);
        }
    };
    named.insert(topology.hub.id);
    add(topology.spokes);
    for (const auto& stage : topology.stages) {
        add(stage);
    }
    add(topology.agents);
    named.insert(topology.root.id);
    for (const auto& level : topology.levels) {
        add(level);
    }
    for (const TreeLevel& level : topology.tree) {
        named.insert(level.parent.id);
        add(level.children);
    }
    // Only a dag is made of its connections; elsewhere they override addresses of existing edges.
    if (topology.type == TopologyType::dag) {
        for (const ConnectionSpec& connection : topology.connections) {
            named.insert(connection.from.id);
            add(connection.to);
        }
    }
    for (const AgentSpec& agent : job.agents) {
        if (agent.id.empty() || named.count(agent.id) != 0) {
            continue;
        }
        out.note(agent.pos, "agent '" + agent.id + "' is not in the topology; it starts " +
                                (agent.depends_on.empty() ? "in the first stage" : "after its depends_on"));
    }
}

}  // namespace

void validate_job(const JobSpec& job, Diagnostics& out) {
    check_ids(job, out);
    check_references(job, out);
    check_named_once(job, out);
    check_targets(job, out);
    check_ports(job, out);
    note_unmentioned(job, out);
}

}  // namespace agentctl::spec
