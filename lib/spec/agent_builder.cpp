// One `agents[]` entry -> AgentSpec: its own fields, health/restart/stop with their defaults
// resolved (DESIGN.md §2 "Readiness"), and the per-agent rules that need those resolved values.

#include <algorithm>
#include <cctype>
#include <utility>

#include "spec/section_builders.hpp"
#include "spec/units.hpp"
#include "util/text.hpp"

namespace agentctl::spec {

namespace {

const std::vector<std::string> k_resource_keys = {"cpu", "memory", "gpu"};
const std::vector<std::string> k_health_keys = {"http", "tcp", "exec", "none",
                                                "interval", "timeout", "retries", "start_period"};
const std::vector<std::string> k_restart_keys = {"policy", "max_restarts", "backoff", "max_backoff"};
const std::vector<std::string> k_stop_keys = {"signal", "timeout"};
const std::vector<std::string> k_policies = {"no", "on-failure", "always"};
const std::vector<std::string> k_signals = {"TERM", "INT", "HUP", "QUIT", "KILL", "USR1", "USR2"};

constexpr const char* k_command_hint = "write command as a list: [\"./app\", \"--port\", \"$(AGENT_PORT)\"]";
constexpr const char* k_port_hint = "write port: 9001 without quotes";

bool is_agent_id(const std::string& id) {
    if (id.empty() || id.size() > 63) {
        return false;
    }
    for (std::size_t i = 0; i < id.size(); ++i) {
        const char c = id[i];
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || ((c == '-' || c == '_') && i > 0);
        if (!ok) {
            return false;
        }
    }
    return true;
}

void read_config(const MapReader& agent, AgentSpec& spec) {
    SchemaWalker& walker = agent.walker();
    const YamlNode* config = agent.get("config");
    if (config == nullptr || walker.failed(*config)) {
        return;
    }
    if (!config->is_map()) {
        walker.type_error(*config, agent.path_of("config"), "a map");
        return;
    }
    spec.config_json = yaml_to_json(*config);
    for (const auto& [key, value] : config->entries) {
        if (!key || !key->is_scalar() || !value) {
            continue;
        }
        ConfigEntry entry;
        entry.key = key->text;
        entry.pos = key->pos;
        entry.json = yaml_to_json(*value);
        entry.text = value->is_scalar() || value->is_null() ? value->text : entry.json;
        spec.config.push_back(std::move(entry));
    }
    if (const YamlNode* port = config->find("port"); port != nullptr && !is_null_value(port)) {
        auto value = read_integer(walker, *port, agent.path_of("config.port"), 1, 65535, k_port_hint);
        if (value) {
            spec.port = static_cast<int>(*value);
        }
        spec.port_pos = port->pos;
    }
}

void read_resources(const MapReader& agent, ResourceSpec& resources) {
    auto section = agent.map("resources", k_resource_keys);
    if (!section) {
        return;
    }
    resources.cpu = section->number("cpu", 0);
    if (const YamlNode* memory = section->get("memory"); memory != nullptr && !section->walker().failed(*memory)) {
        const auto type = memory->is_scalar() ? memory->scalar_type() : YamlNode::ScalarType::null;
        std::optional<long long> bytes;
        if (type == YamlNode::ScalarType::integer || type == YamlNode::ScalarType::string) {
            bytes = parse_memory_size(memory->text);
        }
        if (bytes) {
            resources.memory_bytes = bytes;
            resources.memory_text = memory->text;
        } else {
            section->walker().type_error(*memory, section->path_of("memory"), "a memory size",
                                         "write bytes or a size with a unit: 512M, 1G, 1.5Gi");
        }
    }
    if (auto gpu = section->integer("gpu", 0, 1024)) {
        resources.gpu = static_cast<int>(*gpu);
    }
}

// The agent's own `health` (defaults already merged under it) over the job's health_check.
void read_health(const MapReader& agent, const LoadContext& context, HealthSpec& health) {
    health = context.health.spec;
    bool start_period_given = context.health.start_period_given;
    if (auto section = agent.map("health", k_health_keys)) {
        SchemaWalker& walker = section->walker();
        std::vector<std::string> kinds;
        if (auto path = section->text("http")) {
            kinds.push_back("http");
            health.kind = HealthKind::http;
            health.http_path = *path;
            if (path->empty() || path->front() != '/') {
                walker.error(*section->get("http"), section->path_of("http") + " must be a path starting with /",
                             "write http: /health");
            }
        }
        if (section->boolean("tcp").value_or(false)) {
            kinds.push_back("tcp");
            health.kind = HealthKind::tcp;
        }
        if (section->has("exec")) {
            kinds.push_back("exec");
            health.kind = HealthKind::exec;
            auto argv = section->text_list("exec", "write exec as a list: [\"curl\", \"-fs\", \"http://127.0.0.1:9001/health\"]");
            if (argv && argv->empty()) {
                walker.error(*section->get("exec"), section->path_of("exec") + " must not be empty");
            }
            health.exec = argv.value_or(std::vector<std::string>{});
        }
        if (section->boolean("none").value_or(false)) {
            kinds.push_back("none");
            health.kind = HealthKind::none;
        }
        if (kinds.size() > 1) {
            walker.error(section->node(), section->path() + " names " + util::join(kinds, " and ") +
                                              "; a health check has one kind",
                         "keep one of http, tcp, exec or none");
        }
        if (auto interval = section->positive_duration("interval")) {
            health.interval = *interval;
        }
        if (auto timeout = section->positive_duration("timeout")) {
            health.timeout = *timeout;
        }
        if (auto retries = section->integer("retries", 1, 1'000'000)) {
            health.retries = static_cast<int>(*retries);
        }
        if (auto start_period = section->duration("start_period")) {
            health.start_period = *start_period;
            start_period_given = true;
        }
        health.pos = section->pos();
    }
    if (health.kind == HealthKind::none && !start_period_given) {
        health.start_period = Millis(1000);
    }
}

void read_restart(const MapReader& agent, RestartSpec& restart) {
    auto section = agent.map("restart", k_restart_keys);
    if (!section) {
        return;
    }
    if (auto policy = section->text("policy")) {
        if (*policy == "no") {
            restart.policy = RestartPolicy::no;
        } else if (*policy == "on-failure") {
            restart.policy = RestartPolicy::on_failure;
        } else if (*policy == "always") {
            restart.policy = RestartPolicy::always;
        } else {
            const std::string suggestion = util::did_you_mean(*policy, k_policies);
            section->walker().error(*section->get("policy"), "unknown restart policy '" + *policy + "'",
                                    suggestion.empty() ? "use no, on-failure or always"
                                                       : "did you mean '" + suggestion + "'?");
        }
    }
    if (auto max = section->integer("max_restarts", 0, 1'000'000)) {
        restart.max_restarts = static_cast<int>(*max);
    }
    if (auto backoff = section->duration("backoff")) {
        restart.backoff = *backoff;
    }
    if (auto max_backoff = section->duration("max_backoff")) {
        restart.max_backoff = *max_backoff;
    }
}

void read_stop(const MapReader& agent, StopSpec& stop) {
    auto section = agent.map("stop", k_stop_keys);
    if (!section) {
        return;
    }
    if (auto signal = section->text("signal")) {
        std::string name = *signal;
        for (char& c : name) {
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        if (name.rfind("SIG", 0) == 0) {
            name = name.substr(3);
        }
        if (std::find(k_signals.begin(), k_signals.end(), name) != k_signals.end()) {
            stop.signal = "SIG" + name;
        } else {
            section->walker().error(*section->get("signal"), "unknown stop signal '" + *signal + "'",
                                    "use SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGKILL, SIGUSR1 or SIGUSR2");
        }
    }
    if (auto timeout = section->duration("timeout")) {
        stop.timeout = *timeout;
    }
}

}  // namespace

AgentSpec build_agent(const YamlNode& node, const std::string& path, LoadContext& context, bool is_defaults) {
    SchemaWalker& walker = context.walker;
    AgentSpec spec;
    spec.config_json = "{}";
    spec.pos = node.pos;
    MapReader agent(walker, node, path, keys::agent);

    if (is_defaults) {
        if (const YamlNode* id = agent.get("id")) {
            walker.error(*id, "defaults cannot set id", "give each agent its own id");
        }
    } else if (auto id = agent.id("id")) {
        spec.id = id->id;
        spec.pos = id->pos;
        if (!is_agent_id(spec.id)) {
            walker.error(*agent.get("id"), "invalid agent id '" + spec.id + "'",
                         "use 1-63 lower-case letters, digits, '-' and '_', starting with a letter or digit");
        }
    } else if (!agent.has("id")) {
        agent.missing("id", "add id: my-agent");
    }

    spec.type = agent.text("type").value_or("");
    spec.module = agent.text("module").value_or("");
    if (agent.has("command")) {
        auto command = agent.text_list("command", k_command_hint);
        if (command && command->empty()) {
            walker.error(*agent.get("command"), agent.path_of("command") + " must not be empty", k_command_hint);
        }
        if (command && !command->empty()) {
            spec.command = std::move(*command);
        } else {
            // The mistake was reported; keep the text so that the validator does not also say
            // "needs exactly one of module or command" about it.
            spec.command = {agent.get("command")->text};
        }
    }
    read_config(agent, spec);
    read_resources(agent, spec.resources);
    spec.depends_on = agent.id_list("depends_on").value_or(std::vector<IdRef>{});
    read_health(agent, context, spec.health);
    read_restart(agent, spec.restart);
    read_stop(agent, spec.stop);
    spec.deployment = build_agent_deployment(agent, context);

    if (!spec.health.pos.line) {
        spec.health.pos = spec.pos;
    }
    spec.ready_timeout = context.deployment.timeout.value_or(
        spec.health.start_period + spec.health.interval * spec.health.retries);

    const bool probes_port = spec.health.kind == HealthKind::http || spec.health.kind == HealthKind::tcp;
    const bool published = spec.deployment.target == Target::container && !spec.deployment.publish.empty();
    const YamlNode* config = agent.get("config");
    // A port that is written but wrong was reported already; one problem per mistake.
    const bool port_written = config && config->is_map() && !is_null_value(config->find("port"));
    if (!is_defaults && probes_port && !spec.port && !published && !port_written) {
        const char* kind = spec.health.kind == HealthKind::http ? "http" : "tcp";
        // The missing field belongs to the agent's config map, unless that map came from defaults.
        const bool own_config = config && config->is_map() && !walker.quiet(*config);
        walker.out().error(own_config ? config->pos : node.pos,
                           "agent '" + spec.id + "' has no config.port; its " + kind + " health check needs one",
                           "add config.port or set health: {exec: [...]} or {none: true}");
    }
    return spec;
}

}  // namespace agentctl::spec
