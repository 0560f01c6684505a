#include "plan/plan_json.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace agentctl::plan {
namespace {

using Json = nlohmann::ordered_json;

Json nullable(const std::string& text) { return text.empty() ? Json(nullptr) : Json(text); }

// One agent; the fields of DESIGN.md §6 first, in its order, then agentctl's additions.
Json agent_json(const PlannedAgent& agent) {
    Json out = Json::object();
    out["target"] = spec::target_name(agent.spec.deployment.target);
    out["host"] = agent.host;
    out["port"] = agent.port ? Json(*agent.port) : Json(nullptr);
    Json instances = Json::array();
    Json urls = Json::array();
    for (const auto& instance : agent.instances) {
        instances.push_back(instance.name);
        if (!instance.url.empty()) urls.push_back(instance.url);
    }
    out["instances"] = std::move(instances);
    out["url"] = nullable(agent.url);
    out["urls"] = std::move(urls);
    out["connections"] = agent.connections;
    out["spec_hash"] = agent.spec_hash;
    out["stage"] = agent.stage;
    out["after"] = agent.after;
    return out;
}

// The inside of a DOT double-quoted string.
std::string dot_escape(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

std::string dot_quote(const std::string& text) { return "\"" + dot_escape(text) + "\""; }

}  // namespace

std::string plan_to_json(const Plan& plan) {
    Json out = Json::object();
    out["job"] = plan.job;
    out["strategy"] = spec::strategy_name(plan.strategy);
    out["stages"] = plan.stages;
    out["start_order"] = plan.start_order;
    out["waves"] = plan.waves;
    out["entry_point"] = nullable(plan.entry_point);

    std::vector<const PlannedAgent*> sorted;
    sorted.reserve(plan.agents.size());
    for (const auto& agent : plan.agents) sorted.push_back(&agent);
    std::sort(sorted.begin(), sorted.end(),
              [](const PlannedAgent* a, const PlannedAgent* b) { return a->spec.id < b->spec.id; });
    Json agents = Json::object();
    // ordered_json looks a key up linearly on insert; the ids are unique and already sorted,
    // so append to the underlying vector directly rather than pay O(n^2) on large jobs.
    auto& members = agents.get_ref<Json::object_t&>();
    members.reserve(sorted.size());
    for (const PlannedAgent* agent : sorted) members.emplace_back(agent->spec.id, agent_json(*agent));
    out["agents"] = std::move(agents);

    Json changes = Json::array();
    for (const auto& change : plan.changes) {
        Json entry = Json::object();
        entry["agent"] = change.agent;
        entry["action"] = change_action_name(change.action);
        if (!change.reason.empty()) entry["reason"] = change.reason;
        changes.push_back(std::move(entry));
    }
    out["changes"] = std::move(changes);
    // Replace invalid UTF-8 rather than throw: plan output must never fail on odd input.
    return out.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string plan_to_dot(const Plan& plan) {
    std::string out = "digraph " + dot_quote(plan.job) + " {\n";
    out += "  rankdir=TB;\n  node [shape=box];\n";
    for (std::size_t s = 0; s < plan.stages.size(); ++s) {
        out += "  { rank=same;";
        for (const auto& id : plan.stages[s]) out += " " + dot_quote(id) + ";";
        out += " }\n";
    }
    for (const auto& agent : plan.agents) {
        // "\n" is DOT's own line break inside a label, written as backslash + n.
        out += "  " + dot_quote(agent.spec.id) + " [label=\"" + dot_escape(agent.spec.id) + "\\n" +
               dot_escape(spec::target_name(agent.spec.deployment.target)) + "\"];\n";
    }
    for (const auto& agent : plan.agents) {
        for (const auto& peer : agent.connections) {
            out += "  " + dot_quote(agent.spec.id) + " -> " + dot_quote(peer) + ";\n";
        }
    }
    out += "}\n";
    return out;
}

}  // namespace agentctl::plan
