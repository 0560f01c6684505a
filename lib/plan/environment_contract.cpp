#include "plan/environment_contract.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "plan/json_text.hpp"
#include "util/text.hpp"

namespace agentctl::plan {
namespace {

constexpr std::array<std::string_view, 8> k_fixed_names = {
    "JOB_ID", "AGENT_ID", "AGENT_JOB", "AGENT_URL", "AGENT_INSTANCE", "CONNECTED_AGENTS", "AGENT_PEERS_JSON",
    "AGENT_CONFIG"};

bool is_fixed_name(std::string_view name) {
    return std::find(k_fixed_names.begin(), k_fixed_names.end(), name) != k_fixed_names.end();
}

std::string config_env_name(const std::string& key) { return "AGENT_" + util::env_name_of(key); }

spec::EnvVar plain(std::string name, std::string value) {
    spec::EnvVar var;
    var.name = std::move(name);
    var.value = std::move(value);
    return var;
}

spec::Diagnostic warning(const spec::JobSpec& job, spec::SourcePos pos, std::string message, std::string hint) {
    spec::Diagnostic diagnostic;
    diagnostic.file = job.file;
    diagnostic.pos = pos;
    diagnostic.severity = spec::Severity::warning;
    diagnostic.message = std::move(message);
    diagnostic.hint = std::move(hint);
    return diagnostic;
}

// Appends the peer variables: the URL lists skip peers without a URL (no port), while
// AGENT_PEERS_JSON lists every connected instance.
void add_peer_variables(const std::vector<Peer>& peers, std::vector<spec::EnvVar>& out) {
    std::string all_urls;
    std::string peers_json = "[";
    for (std::size_t i = 0; i < peers.size();) {
        const std::string& id = peers[i].id;
        std::string urls;
        for (; i < peers.size() && peers[i].id == id; ++i) {
            const Peer& peer = peers[i];
            if (peers_json.size() > 1) peers_json += ',';
            peers_json += "{\"id\":";
            append_json_string(peers_json, peer.id);
            peers_json += ",\"instance\":";
            append_json_string(peers_json, peer.instance);
            peers_json += ",\"url\":";
            append_json_string(peers_json, peer.url);
            peers_json += '}';
            if (peer.url.empty()) continue;
            if (!urls.empty()) urls += ',';
            urls += peer.url;
        }
        if (urls.empty()) continue;
        if (!all_urls.empty()) all_urls += ',';
        all_urls += urls;
        out.push_back(plain(peer_url_name(id), std::move(urls)));
    }
    peers_json += ']';
    // Absent rather than empty when there is no peer, as the original system does.
    if (!all_urls.empty()) out.push_back(plain("CONNECTED_AGENTS", std::move(all_urls)));
    out.push_back(plain("AGENT_PEERS_JSON", std::move(peers_json)));
}

}  // namespace

std::string peer_url_name(const std::string& id) { return "AGENT_PEER_" + util::env_name_of(id) + "_URL"; }

EnvironmentContract::EnvironmentContract(const spec::JobSpec& job, const spec::AgentSpec& agent,
                                         const std::vector<std::string>& connection_ids)
    : m_job(job), m_agent(agent), m_connection_ids(connection_ids) {}

bool EnvironmentContract::is_contract_name(const std::string& name) const {
    if (is_fixed_name(name)) return true;
    // Only names shaped AGENT_PEER_<ID>_URL can be peer variables; scanning the peers just for
    // those keeps a large mesh from building a set of every peer name per agent.
    static const std::string_view k_prefix = "AGENT_PEER_";
    static const std::string_view k_suffix = "_URL";
    if (name.size() <= k_prefix.size() + k_suffix.size() || name.compare(0, k_prefix.size(), k_prefix) != 0 ||
        name.compare(name.size() - k_suffix.size(), k_suffix.size(), k_suffix) != 0) {
        return false;
    }
    return std::any_of(m_connection_ids.begin(), m_connection_ids.end(),
                       [&](const std::string& id) { return peer_url_name(id) == name; });
}

void EnvironmentContract::add_collision_warnings(std::vector<spec::Diagnostic>& out) const {
    for (const auto& entry : m_agent.config) {
        std::string name = config_env_name(entry.key);
        if (!is_contract_name(name)) continue;
        out.push_back(warning(m_job, entry.pos,
                              "config key '" + entry.key + "' makes " + name +
                                  ", which the environment contract sets; the contract wins",
                              "rename the key; the agent still finds it in AGENT_CONFIG"));
    }
    for (const auto& var : m_agent.deployment.environment) {
        if (!is_contract_name(var.name)) continue;
        out.push_back(warning(m_job, var.pos,
                              "deployment.environment of '" + m_agent.id + "' sets " + var.name +
                                  ", which the environment contract sets; the contract wins",
                              "remove it or use another name"));
    }
}

std::vector<spec::EnvVar> EnvironmentContract::environment(const PlannedInstance& instance,
                                                           const std::string& run_id) const {
    // Layers in increasing precedence; a later entry of the same name replaces an earlier one.
    std::vector<spec::EnvVar> layers;
    layers.reserve(m_job.environment.size() + m_agent.config.size() + 2 * instance.peers.size() + 12 +
                   m_agent.deployment.environment.size());
    layers.insert(layers.end(), m_job.environment.begin(), m_job.environment.end());
    for (const auto& entry : m_agent.config) {
        std::string name = config_env_name(entry.key);
        if (is_contract_name(name)) continue;
        spec::EnvVar var = plain(std::move(name), entry.text);
        var.pos = entry.pos;
        layers.push_back(std::move(var));
    }
    if (!run_id.empty()) layers.push_back(plain("JOB_ID", run_id));
    layers.push_back(plain("AGENT_ID", m_agent.id));
    layers.push_back(plain("AGENT_JOB", m_job.job.name));
    if (!instance.url.empty()) layers.push_back(plain("AGENT_URL", instance.url));
    layers.push_back(plain("AGENT_INSTANCE", instance.name));
    add_peer_variables(instance.peers, layers);
    layers.push_back(plain("AGENT_CONFIG", m_agent.config_json.empty() ? "{}" : m_agent.config_json));
    for (const auto& var : m_agent.deployment.environment) {
        if (!is_contract_name(var.name)) layers.push_back(var);
    }

    std::stable_sort(layers.begin(), layers.end(),
                     [](const spec::EnvVar& a, const spec::EnvVar& b) { return a.name < b.name; });
    std::vector<spec::EnvVar> out;
    out.reserve(layers.size());
    for (auto& var : layers) {
        if (!out.empty() && out.back().name == var.name) {
            out.back() = std::move(var);
        } else {
            out.push_back(std::move(var));
        }
    }
    return out;
}

void add_job_environment_warnings(const spec::JobSpec& job, std::vector<spec::Diagnostic>& out) {
    for (const auto& var : job.environment) {
        if (!is_fixed_name(var.name)) continue;
        out.push_back(warning(job, var.pos,
                              "environment sets " + var.name +
                                  ", which the environment contract sets for every agent; the contract wins",
                              "remove it or use another name"));
    }
}

}  // namespace agentctl::plan
