#include "runners/launch_record.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "util/errors.hpp"

namespace agentctl::runners {
namespace {

using nlohmann::json;

const char* health_kind_name(spec::HealthKind kind) {
    switch (kind) {
        case spec::HealthKind::http: return "http";
        case spec::HealthKind::tcp: return "tcp";
        case spec::HealthKind::exec: return "exec";
        case spec::HealthKind::none: break;
    }
    return "none";
}

spec::HealthKind health_kind_of(const std::string& name) {
    if (name == "http") return spec::HealthKind::http;
    if (name == "tcp") return spec::HealthKind::tcp;
    if (name == "exec") return spec::HealthKind::exec;
    return spec::HealthKind::none;
}

spec::RestartPolicy restart_policy_of(const std::string& name) {
    if (name == "on-failure") return spec::RestartPolicy::on_failure;
    if (name == "always") return spec::RestartPolicy::always;
    return spec::RestartPolicy::no;
}

json health_json(const spec::HealthSpec& health) {
    return {{"kind", health_kind_name(health.kind)}, {"http_path", health.http_path}, {"exec", health.exec},
            {"interval_ms", health.interval.count()}, {"timeout_ms", health.timeout.count()},
            {"retries", health.retries}, {"start_period_ms", health.start_period.count()}};
}

spec::HealthSpec health_of(const json& j) {
    spec::HealthSpec health;
    health.kind = health_kind_of(j.at("kind").get<std::string>());
    health.http_path = j.at("http_path").get<std::string>();
    health.exec = j.at("exec").get<std::vector<std::string>>();
    health.interval = util::Millis(j.at("interval_ms").get<long long>());
    health.timeout = util::Millis(j.at("timeout_ms").get<long long>());
    health.retries = j.at("retries").get<int>();
    health.start_period = util::Millis(j.at("start_period_ms").get<long long>());
    return health;
}

json files_json(const std::vector<spec::FileSpec>& files) {
    json out = json::array();
    for (const auto& file : files) {
        out.push_back({{"src", file.src}, {"dest", file.dest}, {"mode", file.mode ? json(*file.mode) : json(nullptr)}});
    }
    return out;
}

json deployment_json(const spec::DeploymentSpec& d) {
    json hosts = json::array();
    for (const auto& host : d.hosts) hosts.push_back(host.id);
    json password = d.password ? json{{"name", d.password->name}, {"value", d.password->value}} : json(nullptr);
    return {
        {"target_text", d.target_text}, {"workdir", d.workdir}, {"python", d.python}, {"advertise", d.advertise},
        {"host", d.host}, {"hosts", hosts}, {"user", d.user}, {"port", d.port ? json(*d.port) : json(nullptr)},
        {"ssh_key", d.ssh_key}, {"password", password}, {"files", files_json(d.files)},
        {"ssh_timeout_ms", d.ssh_timeout ? json(d.ssh_timeout->count()) : json(nullptr)},
        {"image", d.image}, {"network", d.network}, {"container_name", d.container_name},
        {"volumes", d.volumes}, {"publish", d.publish},
        {"k8s_namespace", d.k8s_namespace}, {"service_type", d.service_type},
    };
}

json resources_json(const spec::ResourceSpec& r) {
    return {{"cpu", r.cpu ? json(*r.cpu) : json(nullptr)},
            {"memory_bytes", r.memory_bytes ? json(*r.memory_bytes) : json(nullptr)},
            {"memory_text", r.memory_text}, {"gpu", r.gpu ? json(*r.gpu) : json(nullptr)}};
}

template <typename T>
std::optional<T> optional_of(const json& j, const char* key) {
    auto found = j.find(key);
    if (found == j.end() || found->is_null()) return std::nullopt;
    return found->get<T>();
}

spec::DeploymentSpec deployment_of(const json& j, spec::Target target) {
    spec::DeploymentSpec d;
    d.target = target;
    if (!j.is_object()) return d;
    d.target_text = j.value("target_text", std::string());
    d.workdir = j.value("workdir", std::string());
    d.python = j.value("python", std::string("python3"));
    d.advertise = j.value("advertise", std::string());
    d.host = j.value("host", std::string());
    for (const auto& host : j.value("hosts", json::array())) d.hosts.push_back({host.get<std::string>(), {}});
    d.user = j.value("user", std::string());
    d.port = optional_of<int>(j, "port");
    d.ssh_key = j.value("ssh_key", std::string());
    if (auto password = j.find("password"); password != j.end() && password->is_object()) {
        d.password = spec::EnvVar{password->at("name").get<std::string>(), password->at("value").get<std::string>(),
                                  true, {}};
    }
    for (const auto& file : j.value("files", json::array())) {
        d.files.push_back({file.at("src").get<std::string>(), file.at("dest").get<std::string>(),
                           optional_of<int>(file, "mode"), {}});
    }
    if (auto timeout = optional_of<long long>(j, "ssh_timeout_ms")) d.ssh_timeout = util::Millis(*timeout);
    d.image = j.value("image", std::string());
    d.network = j.value("network", std::string());
    d.container_name = j.value("container_name", std::string());
    d.volumes = j.value("volumes", std::vector<std::string>());
    d.publish = j.value("publish", std::string());
    d.k8s_namespace = j.value("k8s_namespace", std::string("default"));
    d.service_type = j.value("service_type", std::string());
    return d;
}

spec::ResourceSpec resources_of(const json& j) {
    spec::ResourceSpec r;
    if (!j.is_object()) return r;
    r.cpu = optional_of<double>(j, "cpu");
    r.memory_bytes = optional_of<long long>(j, "memory_bytes");
    r.memory_text = j.value("memory_text", std::string());
    r.gpu = optional_of<int>(j, "gpu");
    return r;
}

json to_json(const LaunchRecord& record) {
    const auto& r = record.request;
    json env = json::array();
    for (const auto& var : r.environment) env.push_back({{"name", var.name}, {"value", var.value}, {"secret", var.secret}});
    return {
        {"version", 1},
        {"job", r.job}, {"agent", r.agent}, {"instance", r.instance},
        {"target", spec::target_name(r.target)}, {"host", r.host},
        {"argv", r.argv}, {"environment", env}, {"workdir", r.workdir},
        {"run_dir", r.run_dir}, {"log_path", r.log_path},
        {"stop", {{"signal", r.stop.signal}, {"timeout_ms", r.stop.timeout.count()}}},
        {"restart", {{"policy", spec::restart_policy_name(r.restart.policy)},
                     {"max_restarts", r.restart.max_restarts},
                     {"backoff_ms", r.restart.backoff.count()},
                     {"max_backoff_ms", r.restart.max_backoff.count()}}},
        {"health", health_json(record.health)},
        {"url", record.url}, {"spec_hash", r.spec_hash}, {"revision", record.revision}, {"stage", record.stage},
        {"port", r.port ? json(*r.port) : json(nullptr)}, {"resources", resources_json(r.resources)},
        {"deployment", deployment_json(r.deployment)},
    };
}

spec::Target target_of(const std::string& name) {
    if (name == "remote") return spec::Target::remote;
    if (name == "container") return spec::Target::container;
    if (name == "kubernetes") return spec::Target::kubernetes;
    return spec::Target::localhost;
}

LaunchRecord from_json(const json& j) {
    LaunchRecord record;
    auto& r = record.request;
    r.job = j.at("job").get<std::string>();
    r.agent = j.at("agent").get<std::string>();
    r.instance = j.at("instance").get<std::string>();
    r.target = target_of(j.at("target").get<std::string>());
    r.host = j.at("host").get<std::string>();
    r.argv = j.at("argv").get<std::vector<std::string>>();
    for (const auto& var : j.at("environment")) {
        r.environment.push_back({var.at("name").get<std::string>(), var.at("value").get<std::string>(),
                                 var.at("secret").get<bool>(), {}});
    }
    r.workdir = j.at("workdir").get<std::string>();
    r.run_dir = j.at("run_dir").get<std::string>();
    r.log_path = j.at("log_path").get<std::string>();
    r.stop.signal = j.at("stop").at("signal").get<std::string>();
    r.stop.timeout = util::Millis(j.at("stop").at("timeout_ms").get<long long>());
    const auto& restart = j.at("restart");
    r.restart.policy = restart_policy_of(restart.at("policy").get<std::string>());
    r.restart.max_restarts = restart.at("max_restarts").get<int>();
    r.restart.backoff = util::Millis(restart.at("backoff_ms").get<long long>());
    r.restart.max_backoff = util::Millis(restart.at("max_backoff_ms").get<long long>());
    record.health = health_of(j.at("health"));
    record.url = j.at("url").get<std::string>();
    r.spec_hash = j.at("spec_hash").get<std::string>();
    r.port = optional_of<int>(j, "port");
    r.resources = resources_of(j.value("resources", json()));
    r.deployment = deployment_of(j.value("deployment", json()), r.target);
    record.revision = j.at("revision").get<int>();
    record.stage = j.at("stage").get<int>();
    return record;
}

}  // namespace

namespace {

// mkdir -p with mode 0700: the run dir holds the launch record, secrets included.
void make_private_dirs(const std::string& dir) {
    for (std::size_t at = 1; at <= dir.size(); ++at) {
        if (at != dir.size() && dir[at] != '/') continue;
        const std::string prefix = dir.substr(0, at);
        if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
            throw util::OperationError("cannot create " + prefix + ": " + std::strerror(errno));
        }
    }
}

}  // namespace

void write_launch_record(const LaunchRecord& record) {
    const std::string& dir = record.request.run_dir;
    make_private_dirs(dir);
    const std::string path = dir + "/instance.json";
    const std::string temp = path + ".tmp";
    std::string text = to_json(record).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    // O_EXCL is not used: a leftover temporary file from a crashed run is simply replaced.
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw util::OperationError("cannot write " + temp + ": " + std::strerror(errno));
    ::fchmod(fd, 0600);
    std::size_t written = 0;
    while (written < text.size()) {
        ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int error = errno;
            ::close(fd);
            throw util::OperationError("cannot write " + temp + ": " + std::strerror(error));
        }
        written += static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        throw util::OperationError("cannot rename " + temp + " to " + path + ": " + std::strerror(errno));
    }
}

std::string health_check_text(const spec::HealthSpec& health) { return health_json(health).dump(); }

std::optional<spec::HealthSpec> parse_health_check(const std::string& text) {
    if (text.empty()) return std::nullopt;
    try {
        return health_of(json::parse(text));
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::optional<LaunchRecord> read_launch_record(const std::string& run_dir) {
    std::ifstream in(run_dir + "/instance.json");
    if (!in) return std::nullopt;
    try {
        json j = json::parse(in);
        return from_json(j);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

}  // namespace agentctl::runners
