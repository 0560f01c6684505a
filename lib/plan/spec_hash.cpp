#include "plan/spec_hash.hpp"

#include <cstdio>
#include <optional>
#include <type_traits>
#include <utility>

#include "plan/json_text.hpp"
#include "util/hmac.hpp"

namespace agentctl::plan {
namespace {

// Writes one JSON object field by field, in the order the caller gives (a fixed order is
// what makes the text canonical).
class CanonicalWriter {
public:
    explicit CanonicalWriter(std::string& out) : m_out(out) {}

    void key(const char* name) {
        comma();
        append_json_string(m_out, name);
        m_out += ':';
        m_first = true;  // the value that follows needs no comma
    }
    void string(const std::string& value) {
        comma();
        append_json_string(m_out, value);
    }
    void number(long long value) {
        comma();
        m_out += std::to_string(value);
    }
    void real(double value) {
        comma();
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%.17g", value);
        m_out += buffer;
    }
    void boolean(bool value) {
        comma();
        m_out += value ? "true" : "false";
    }
    void null() {
        comma();
        m_out += "null";
    }
    void raw(const std::string& json) {
        comma();
        m_out += json.empty() ? "{}" : json;
    }
    template <typename T>
    void optional(const std::optional<T>& value) {
        if (value) {
            if constexpr (std::is_floating_point_v<T>) {
                real(*value);
            } else {
                number(*value);
            }
        } else {
            null();
        }
    }
    void begin_object() { open('{'); }
    void end_object() { close('}'); }
    void begin_array() { open('['); }
    void end_array() { close(']'); }
    void strings(const std::vector<std::string>& values) {
        begin_array();
        for (const auto& value : values) string(value);
        end_array();
    }

private:
    void comma() {
        if (!m_first) m_out += ',';
        m_first = false;
    }
    void open(char bracket) {
        comma();
        m_out += bracket;
        m_first = true;
    }
    void close(char bracket) {
        m_out += bracket;
        m_first = false;
    }

    std::string& m_out;
    bool m_first = true;
};

const char* health_kind_name(spec::HealthKind kind) {
    switch (kind) {
        case spec::HealthKind::http: return "http";
        case spec::HealthKind::tcp: return "tcp";
        case spec::HealthKind::exec: return "exec";
        case spec::HealthKind::none: return "none";
    }
    return "";
}

void write_health(CanonicalWriter& w, const spec::HealthSpec& health) {
    w.begin_object();
    w.key("kind");
    w.string(health_kind_name(health.kind));
    w.key("http");
    w.string(health.http_path);
    w.key("exec");
    w.strings(health.exec);
    w.key("interval_ms");
    w.number(health.interval.count());
    w.key("timeout_ms");
    w.number(health.timeout.count());
    w.key("retries");
    w.number(health.retries);
    w.key("start_period_ms");
    w.number(health.start_period.count());
    w.end_object();
}

void write_deployment(CanonicalWriter& w, const spec::DeploymentSpec& d) {
    w.begin_object();
    const std::pair<const char*, const std::string*> texts[] = {
        {"workdir", &d.workdir}, {"python", &d.python}, {"advertise", &d.advertise},
        {"host", &d.host}, {"user", &d.user}, {"ssh_key", &d.ssh_key},
        {"image", &d.image}, {"network", &d.network}, {"container_name", &d.container_name},
        {"publish", &d.publish}, {"namespace", &d.k8s_namespace}, {"service_type", &d.service_type}};
    for (const auto& [name, value] : texts) {
        w.key(name);
        w.string(*value);
    }
    w.key("hosts");
    w.begin_array();
    for (const auto& host : d.hosts) w.string(host.id);
    w.end_array();
    w.key("port");
    w.optional(d.port);
    w.key("files");
    w.begin_array();
    for (const auto& file : d.files) {
        w.begin_object();
        w.key("src");
        w.string(file.src);
        w.key("dest");
        w.string(file.dest);
        w.key("mode");
        w.optional(file.mode);
        w.end_object();
    }
    w.end_array();
    w.key("volumes");
    w.strings(d.volumes);
    w.end_object();
}

}  // namespace

std::string canonical_spec_text(const spec::AgentSpec& agent, const std::vector<PlannedInstance>& instances) {
    std::size_t estimate = 1024 + agent.config_json.size();
    for (const auto& instance : instances) {
        for (const auto& var : instance.environment) estimate += var.name.size() + var.value.size() + 16;
    }
    std::string out;
    out.reserve(estimate + estimate / 8);
    CanonicalWriter w(out);
    w.begin_object();
    w.key("target");
    w.string(spec::target_name(agent.deployment.target));
    w.key("type");
    w.string(agent.type);
    w.key("module");
    w.string(agent.module);
    w.key("command");
    w.strings(agent.command);
    w.key("config");
    w.raw(agent.config_json);
    w.key("resources");
    w.begin_object();
    w.key("cpu");
    w.optional(agent.resources.cpu);
    w.key("memory");
    w.optional(agent.resources.memory_bytes);
    w.key("gpu");
    w.optional(agent.resources.gpu);
    w.end_object();
    w.key("health");
    write_health(w, agent.health);
    w.key("restart");
    w.begin_object();
    w.key("policy");
    w.string(spec::restart_policy_name(agent.restart.policy));
    w.key("max_restarts");
    w.number(agent.restart.max_restarts);
    w.key("backoff_ms");
    w.number(agent.restart.backoff.count());
    w.key("max_backoff_ms");
    w.number(agent.restart.max_backoff.count());
    w.end_object();
    w.key("stop");
    w.begin_object();
    w.key("signal");
    w.string(agent.stop.signal);
    w.key("timeout_ms");
    w.number(agent.stop.timeout.count());
    w.end_object();
    w.key("deployment");
    write_deployment(w, agent.deployment);
    w.key("instances");
    w.begin_array();
    for (const auto& instance : instances) {
        w.begin_object();
        w.key("name");
        w.string(instance.name);
        w.key("environment");
        w.begin_array();
        for (const auto& var : instance.environment) {
            // The run id changes on every deploy; it must not make every agent look changed.
            if (var.name == "JOB_ID") continue;
            w.begin_array();
            w.string(var.name);
            w.string(var.value);
            w.boolean(var.secret);
            w.end_array();
        }
        w.end_array();
        w.end_object();
    }
    w.end_array();
    w.end_object();
    return out;
}

std::string compute_spec_hash(const std::string& key, const spec::AgentSpec& agent,
                              const std::vector<PlannedInstance>& instances) {
    return util::hmac_sha256_hex(key, canonical_spec_text(agent, instances));
}

}  // namespace agentctl::plan
