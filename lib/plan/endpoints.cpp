#include "plan/endpoints.hpp"

#include <charconv>

namespace agentctl::plan {
namespace {

using spec::AgentSpec;
using spec::Target;

const char* const k_loopback = "127.0.0.1";

std::string http_url(const std::string& host, int port) { return "http://" + host + ":" + std::to_string(port); }

std::optional<int> parse_port(const std::string& text) {
    int value = 0;
    const char* end = text.data() + text.size();
    auto [ptr, error] = std::from_chars(text.data(), end, value);
    if (error != std::errc() || ptr != end || value <= 0 || value > 65535) return std::nullopt;
    return value;
}

// A container's `publish` ("ADDR:PORT", or "PORT"), defaulting to 127.0.0.1:<config.port>.
struct Publish {
    std::string address;
    std::optional<int> port;
};

Publish parse_publish(const AgentSpec& agent) {
    const std::string& text = agent.deployment.publish;
    if (text.empty()) return {k_loopback, agent.port};
    auto colon = text.rfind(':');
    if (colon == std::string::npos) return {"", parse_port(text)};
    return {text.substr(0, colon), parse_port(text.substr(colon + 1))};
}

bool is_wildcard(const std::string& address) {
    return address.empty() || address == "0.0.0.0" || address == "::" || address == "[::]";
}

bool is_loopback(const std::string& address) {
    return address == k_loopback || address == "localhost" || address == "::1" || address == "[::1]";
}

// A container runs on this machine's engine unless deployment.host names an SSH host.
bool local_engine(const AgentSpec& agent) { return agent.deployment.host.empty(); }

std::string service_host(const AgentSpec& agent) {
    return agent.id + "." + agent.deployment.k8s_namespace + ".svc.cluster.local";
}

// A consumer that is not on this machine (or is in a container elsewhere) can only reach an
// agent of this machine through the address the user says other hosts can use.
PeerUrl through_advertise(const AgentSpec& consumer, const AgentSpec& provider, int port) {
    if (!provider.deployment.advertise.empty()) return {http_url(provider.deployment.advertise, port), {}, {}};
    PeerUrl out;
    out.message = std::string(spec::target_name(consumer.deployment.target)) + " agent '" + consumer.id +
                  "' connects to " + spec::target_name(provider.deployment.target) + " agent '" + provider.id +
                  "', which has no deployment.advertise address";
    out.hint = "set deployment.advertise on '" + provider.id + "' to an address '" + consumer.id + "' can reach";
    return out;
}

PlannedInstance make_instance(std::string name, std::string host, std::string address, std::optional<int> port) {
    PlannedInstance instance;
    instance.name = std::move(name);
    instance.host = std::move(host);
    instance.address = std::move(address);
    if (port) instance.url = http_url(instance.address, *port);
    return instance;
}

PlannedInstance container_instance(const AgentSpec& agent, const util::SshConfig& ssh_config) {
    Publish publish = parse_publish(agent);
    const bool local = local_engine(agent);
    PlannedInstance instance;
    instance.name = agent.id;
    instance.host = local ? k_loopback : agent.deployment.host;
    instance.address = local ? k_loopback : ssh_config.resolve_host_name(agent.deployment.host);
    // A wildcard or loopback publish address is reached through the engine's own host.
    std::string seen = publish.address;
    if (local ? is_wildcard(seen) : (is_wildcard(seen) || is_loopback(seen))) seen = instance.address;
    if (publish.port) instance.url = http_url(seen, *publish.port);
    return instance;
}

}  // namespace

std::optional<int> planned_port(const AgentSpec& agent) {
    if (agent.deployment.target == Target::container) return parse_publish(agent).port;
    return agent.port;
}

std::vector<PlannedInstance> plan_instances(const AgentSpec& agent, const util::SshConfig& ssh_config) {
    const auto& deployment = agent.deployment;
    std::vector<PlannedInstance> instances;
    switch (deployment.target) {
        case Target::localhost:
            instances.push_back(make_instance(agent.id, k_loopback, k_loopback, agent.port));
            break;
        case Target::remote:
            if (deployment.hosts.empty()) {
                instances.push_back(make_instance(agent.id, deployment.host,
                                                  ssh_config.resolve_host_name(deployment.host), agent.port));
            }
            for (const auto& host : deployment.hosts) {
                instances.push_back(make_instance(agent.id + "@" + host.id, host.id,
                                                  ssh_config.resolve_host_name(host.id), agent.port));
            }
            break;
        case Target::container:
            instances.push_back(container_instance(agent, ssh_config));
            break;
        case Target::kubernetes: {
            std::string host = service_host(agent);
            instances.push_back(make_instance(agent.id, host, host, agent.port));
            break;
        }
    }
    return instances;
}

PeerUrl peer_url(const AgentSpec& consumer, const AgentSpec& provider, const PlannedInstance& instance) {
    // Remote and container URLs already carry the ~/.ssh/config HostName (plan_instances).
    const Target from = consumer.deployment.target;
    switch (provider.deployment.target) {
        case Target::remote:
        case Target::kubernetes:
            return {instance.url, {}, {}};
        case Target::localhost:
            if (!provider.port) return {};
            if (from == Target::localhost) return {instance.url, {}, {}};
            if (from == Target::container && local_engine(consumer)) {
                return {http_url("host.docker.internal", *provider.port), {}, {}};
            }
            return through_advertise(consumer, provider, *provider.port);
        case Target::container: {
            Publish publish = parse_publish(provider);
            if (from == Target::container && consumer.deployment.host == provider.deployment.host) {
                // Same engine: the job's network resolves the container by name, on its own port.
                std::optional<int> port = provider.port ? provider.port : publish.port;
                if (!port) return {};
                const std::string& name =
                    provider.deployment.container_name.empty() ? provider.id : provider.deployment.container_name;
                return {http_url(name, *port), {}, {}};
            }
            if (!local_engine(provider) || from == Target::localhost) return {instance.url, {}, {}};
            if (!publish.port) return {};
            return through_advertise(consumer, provider, *publish.port);
        }
    }
    return {};
}

}  // namespace agentctl::plan
