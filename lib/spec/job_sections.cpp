// The job-level sections of a job file: job, deployment, execution, environment.

#include <cctype>
#include <utility>

#include "spec/env_file.hpp"
#include "spec/section_builders.hpp"
#include "util/text.hpp"

namespace agentctl::spec {

namespace keys {
const std::vector<std::string> top = {"job", "agents", "topology", "deployment", "execution", "environment", "defaults"};
const std::vector<std::string> agent = {"id",      "type",      "module", "command", "config", "resources",
                                        "depends_on", "health", "restart", "stop",   "deployment"};
}  // namespace keys

namespace {

const std::vector<std::string> k_job_keys = {"name", "version", "description", "tags"};
const std::vector<std::string> k_job_deployment_keys = {"strategy", "timeout", "health_check", "ssh", "network"};
const std::vector<std::string> k_health_check_keys = {"enabled", "interval", "retries", "timeout", "start_period"};
const std::vector<std::string> k_ssh_keys = {"key_file", "timeout"};
const std::vector<std::string> k_network_keys = {"allow_cross_host"};
const std::vector<std::string> k_execution_keys = {"entry_point", "auto_start"};
const std::vector<std::string> k_strategies = {"staged", "sequential", "parallel"};

constexpr const char* k_name_hint = "use 1-63 lower-case letters, digits and '-', starting with a letter or digit";

bool is_job_name(const std::string& name) {
    if (name.empty() || name.size() > 63) {
        return false;
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0);
        if (!ok) {
            return false;
        }
    }
    return true;
}

// "My_Job" -> "my-job": what the user most likely meant, offered in the hint.
std::string suggest_job_name(const std::string& name) {
    std::string out;
    for (char c : name) {
        const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if ((lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9')) {
            out += lower;
        } else if (!out.empty() && out.back() != '-') {
            out += '-';
        }
    }
    while (!out.empty() && out.back() == '-') {
        out.pop_back();
    }
    return out.substr(0, 63);
}

std::string name_hint(const std::string& name) {
    const std::string suggestion = suggest_job_name(name);
    if (is_job_name(suggestion)) {
        return std::string(k_name_hint) + ", e.g. '" + suggestion + "'";
    }
    return k_name_hint;
}

}  // namespace

JobMeta build_job_meta(const MapReader& root, const LoadOptions& options) {
    JobMeta meta;
    SourcePos where = root.pos();
    auto job = root.map("job", k_job_keys);
    if (!job) {
        if (!root.has("job")) {
            root.missing("job", "add a job section: job: {name: my-job}");
        }
    } else {
        where = job->pos();
        if (auto name = job->text("name")) {
            meta.name = *name;
            meta.name_pos = job->get("name")->pos;
            where = meta.name_pos;
            if (options.name_override.empty() && !is_job_name(meta.name)) {
                root.walker().error(*job->get("name"), "invalid job name '" + meta.name + "'", name_hint(meta.name));
            }
        } else if (!job->has("name") && options.name_override.empty()) {
            job->missing("name", "add name: my-job");
        }
        meta.version = job->text("version").value_or("");
        meta.description = job->text("description").value_or("");
        meta.tags = job->text_list("tags", "write tags as a list: [demo, weather]").value_or(std::vector<std::string>{});
    }
    if (!options.name_override.empty()) {
        meta.name = options.name_override;
        if (!is_job_name(meta.name)) {
            root.walker().out().error(where, "invalid job name '" + meta.name + "' (from --name)", name_hint(meta.name));
        }
    }
    return meta;
}

void build_job_deployment(const MapReader& root, LoadContext& context) {
    JobDeployment& deployment = context.deployment;
    auto section = root.map("deployment", k_job_deployment_keys);
    if (!section) {
        return;
    }
    if (auto strategy = section->text("strategy")) {
        deployment.strategy_text = *strategy;
        if (*strategy == "staged") {
            deployment.strategy = Strategy::staged;
        } else if (*strategy == "sequential") {
            deployment.strategy = Strategy::sequential;
        } else if (*strategy == "parallel") {
            deployment.strategy = Strategy::parallel;
        } else {
            // The original accepted any word here (its examples say "top-down"): keep going as staged.
            const std::string suggestion = util::did_you_mean(*strategy, k_strategies);
            context.walker.warning(*section->get("strategy"),
                                   "unknown strategy '" + *strategy + "'; deploying as staged",
                                   suggestion.empty() ? "use staged, sequential or parallel"
                                                      : "did you mean '" + suggestion + "'?");
        }
    }
    deployment.timeout = section->positive_duration("timeout");

    HealthSpec& health = context.health.spec;
    if (auto check = section->map("health_check", k_health_check_keys)) {
        if (auto enabled = check->boolean("enabled")) {
            deployment.health_enabled = *enabled;
            if (!*enabled) {
                health.kind = HealthKind::none;
            }
        }
        if (auto interval = check->positive_duration("interval")) {
            health.interval = *interval;
        }
        if (auto timeout = check->positive_duration("timeout")) {
            health.timeout = *timeout;
        }
        if (auto retries = check->integer("retries", 1, 1'000'000)) {
            health.retries = static_cast<int>(*retries);
        }
        if (auto start_period = check->duration("start_period")) {
            health.start_period = *start_period;
            context.health.start_period_given = true;
        }
        health.pos = check->pos();
    }
    if (auto ssh = section->map("ssh", k_ssh_keys)) {
        if (auto key_file = ssh->text("key_file")) {
            deployment.ssh_key_file = *key_file;
        }
        if (auto timeout = ssh->positive_duration("timeout")) {
            deployment.ssh_timeout = *timeout;
            context.ssh_timeout = *timeout;
        }
    }
    if (auto network = section->map("network", k_network_keys)) {
        if (auto cross = network->boolean("allow_cross_host")) {
            deployment.allow_cross_host = *cross;
        }
    }
}

ExecutionSpec build_execution(const MapReader& root) {
    ExecutionSpec execution;
    auto section = root.map("execution", k_execution_keys);
    if (!section) {
        return execution;
    }
    execution.entry_point = section->id("entry_point");
    if (auto auto_start = section->boolean("auto_start")) {
        execution.auto_start = *auto_start;
    }
    return execution;
}

std::vector<EnvVar> build_environment(SchemaWalker& walker, const YamlNode& node, const std::string& path,
                                      bool secret_from_variables) {
    std::vector<EnvVar> out;
    if (walker.failed(node)) {
        return out;
    }
    if (!node.is_map()) {
        walker.type_error(node, path, "a map of NAME: value", "write " + path.substr(path.rfind('.') + 1) +
                                                                  ": {LOG_LEVEL: INFO}");
        return out;
    }
    for (const auto& [key, value] : node.entries) {
        if (!key || !key->is_scalar()) {
            continue;
        }
        if (!is_env_name(key->text)) {
            walker.error(*key, "invalid environment variable name '" + key->text + "' in " + path,
                         "use letters, digits and _, not starting with a digit");
            continue;
        }
        if (value && walker.failed(*value)) {
            continue;
        }
        EnvVar var{key->text, "", false, key->pos};
        if (!is_null_value(value.get())) {
            if (!value->is_scalar()) {
                walker.type_error(*value, path + "." + key->text, "a string, number or boolean");
                continue;
            }
            var.value = value->text;
            var.secret = secret_from_variables && walker.from_variable(*value);
        }
        // A name written twice is reported by the YAML reader; the later value wins, as in compose.
        bool replaced = false;
        for (EnvVar& existing : out) {
            if (existing.name == var.name) {
                existing = var;
                replaced = true;
            }
        }
        if (!replaced) {
            out.push_back(std::move(var));
        }
    }
    return out;
}

}  // namespace agentctl::spec
