#include "runners/launch_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <sstream>
#include <unistd.h>

#include "util/errors.hpp"

namespace agentctl::runners {

namespace {

using nlohmann::json;

spec::RestartPolicy restart_policy_from(const std::string& name) {
    if (name == "always") return spec::RestartPolicy::always;
    if (name == "on-failure") return spec::RestartPolicy::on_failure;
    return spec::RestartPolicy::no;
}

json to_json(const LaunchRecord& record) {
    json environment = json::array();
    for (const auto& var : record.environment) {
        environment.push_back({{"name", var.name}, {"value", var.value}, {"secret", var.secret}});
    }
    return json{
        {"version", record.version},
        {"job", record.job},
        {"agent", record.agent},
        {"instance", record.instance},
        {"argv", record.argv},
        {"environment", environment},
        {"workdir", record.workdir},
        {"run_dir", record.run_dir},
        {"log_path", record.log_path},
        {"status_path", record.status_path},
        {"log_max_bytes", record.log_max_bytes},
        {"log_keep", record.log_keep},
        {"stop", {{"signal", record.stop.signal}, {"timeout_ms", record.stop.timeout.count()}}},
        {"restart",
         {{"policy", spec::restart_policy_name(record.restart.policy)},
          {"max_restarts", record.restart.max_restarts},
          {"backoff_ms", record.restart.backoff.count()},
          {"max_backoff_ms", record.restart.max_backoff.count()}}},
    };
}

LaunchRecord from_json(const json& object) {
    LaunchRecord record;
    record.version = object.at("version").get<int>();
    record.job = object.value("job", "");
    record.agent = object.value("agent", "");
    record.instance = object.value("instance", "");
    record.argv = object.at("argv").get<std::vector<std::string>>();
    for (const auto& var : object.at("environment")) {
        spec::EnvVar env;
        env.name = var.at("name").get<std::string>();
        env.value = var.at("value").get<std::string>();
        env.secret = var.value("secret", false);
        record.environment.push_back(env);
    }
    record.workdir = object.value("workdir", "");
    record.run_dir = object.value("run_dir", "");
    record.log_path = object.value("log_path", "");
    record.status_path = object.value("status_path", "");
    record.log_max_bytes = object.value("log_max_bytes", std::uint64_t{0});
    record.log_keep = object.value("log_keep", 0);
    if (object.contains("stop")) {
        const auto& stop = object.at("stop");
        record.stop.signal = stop.value("signal", std::string("SIGTERM"));
        record.stop.timeout = util::Millis(stop.value("timeout_ms", 10000LL));
    }
    if (object.contains("restart")) {
        const auto& restart = object.at("restart");
        record.restart.policy = restart_policy_from(restart.value("policy", std::string("no")));
        record.restart.max_restarts = restart.value("max_restarts", 5);
        record.restart.backoff = util::Millis(restart.value("backoff_ms", 1000LL));
        record.restart.max_backoff = util::Millis(restart.value("max_backoff_ms", 60000LL));
    }
    return record;
}

}  // namespace

std::string launch_file_path(const std::string& run_dir) { return run_dir + "/launch.json"; }

void write_launch_file(const std::string& path, const LaunchRecord& record) {
    std::string text = to_json(record).dump() + "\n";
    std::string temporary = path + ".tmp";
    // Created 0600 from the start: the secrets in it are never readable by anyone else.
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw util::OperationError("cannot write " + temporary + ": " + std::strerror(errno));
    ::fchmod(fd, 0600);
    const char* data = text.data();
    std::size_t left = text.size();
    while (left > 0) {
        ssize_t n = ::write(fd, data, left);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int error = errno;
            ::close(fd);
            ::unlink(temporary.c_str());
            throw util::OperationError("cannot write " + temporary + ": " + std::strerror(error));
        }
        data += n;
        left -= static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        int error = errno;
        ::unlink(temporary.c_str());
        throw util::OperationError("cannot write " + path + ": " + std::strerror(error));
    }
}

std::optional<LaunchRecord> read_launch_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    std::stringstream text;
    text << in.rdbuf();
    json object = json::parse(text.str(), nullptr, false);
    if (object.is_discarded() || !object.is_object()) return std::nullopt;
    try {
        LaunchRecord record = from_json(object);
        if (record.version != 1) return std::nullopt;
        return record;
    } catch (const json::exception&) {
        return std::nullopt;
    }
}

}  // namespace agentctl::runners
