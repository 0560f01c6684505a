// The file spellings of JobSpec's enums, and the by-id agent lookup.

#include "spec/job_spec.hpp"

namespace agentctl::spec {

const char* target_name(Target target) {
    switch (target) {
    case Target::localhost:
        return "localhost";
    case Target::remote:
        return "remote";
    case Target::container:
        return "container";
    case Target::kubernetes:
        return "kubernetes";
    }
    return "localhost";
}

const char* topology_type_name(TopologyType type) {
    switch (type) {
    case TopologyType::hub_spoke:
        return "hub-spoke";
    case TopologyType::pipeline:
        return "pipeline";
    case TopologyType::dag:
        return "dag";
    case TopologyType::mesh:
        return "mesh";
    case TopologyType::hierarchical:
        return "hierarchical";
    case TopologyType::dynamic:
        return "dynamic";
    case TopologyType::none:
        return "none";
    }
    return "none";
}

const char* strategy_name(Strategy strategy) {
    switch (strategy) {
    case Strategy::staged:
        return "staged";
    case Strategy::sequential:
        return "sequential";
    case Strategy::parallel:
        return "parallel";
    }
    return "staged";
}

const char* restart_policy_name(RestartPolicy policy) {
    switch (policy) {
    case RestartPolicy::no:
        return "no";
    case RestartPolicy::on_failure:
        return "on-failure";
    case RestartPolicy::always:
        return "always";
    }
    return "no";
}

const AgentSpec* JobSpec::find_agent(const std::string& id) const {
    for (const AgentSpec& agent : agents) {
        if (agent.id == id) {
            return &agent;
        }
    }
    return nullptr;
}

}  // namespace agentctl::spec
