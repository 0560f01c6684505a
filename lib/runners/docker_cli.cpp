#include "runners/docker_cli.hpp"

#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "runners/log_file.hpp"
#include "util/errors.hpp"

namespace agentctl::runners::docker {
namespace {

bool contains(const std::string& text, const char* needle) { return text.find(needle) != std::string::npos; }

std::string trim(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
    return text;
}

// The container side of the port mapping: what the agent listens on.
std::optional<int> container_port(const LaunchRequest& request, const std::string& published_port) {
    if (request.port) return request.port;
    if (published_port.empty()) return std::nullopt;
    return std::stoi(published_port);
}

std::string format_cpus(double cpus) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", cpus);
    std::string out = text;
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
    return out;
}

}  // namespace

std::string container_name(const LaunchRequest& request) {
    if (!request.deployment.container_name.empty()) return request.deployment.container_name;
    return request.job + "-" + request.agent;
}

std::string network_name(const LaunchRequest& request) {
    if (!request.deployment.network.empty()) return request.deployment.network;
    return "agentctl-" + request.job;
}

std::string env_file_text(const std::string& instance, const std::vector<spec::EnvVar>& environment) {
    std::string text;
    for (const auto& var : environment) {
        if (var.value.find('\n') != std::string::npos || var.value.find('\r') != std::string::npos) {
            throw util::OperationError("environment variable " + var.name + " of container agent '" + instance +
                                       "' holds a line break, which docker's --env-file cannot carry; "
                                       "remove the line break from its value");
        }
        text += var.name + "=" + var.value + "\n";
    }
    return text;
}

std::string publish_arg(const LaunchRequest& request, const std::string& default_address) {
    const std::string& text = request.deployment.publish;
    std::string address = default_address;
    std::string port = request.port ? std::to_string(*request.port) : std::string();
    if (!text.empty()) {
        auto colon = text.rfind(':');
        address = colon == std::string::npos ? std::string() : text.substr(0, colon);
        port = colon == std::string::npos ? text : text.substr(colon + 1);
    }
    auto inside = container_port(request, port);
    if (port.empty() || !inside) return {};
    return (address.empty() ? std::string() : address + ":") + port + ":" + std::to_string(*inside);
}

std::vector<std::string> create_args(const LaunchRequest& request, const std::string& env_file,
                                     const std::string& default_address) {
    const spec::DeploymentSpec& deployment = request.deployment;
    std::vector<std::string> args = {
        "create",
        "--name", container_name(request),
        "--label", std::string(k_label_job) + "=" + request.job,
        "--label", std::string(k_label_agent) + "=" + request.agent,
        "--label", std::string(k_label_instance) + "=" + request.instance,
        "--label", std::string(k_label_spec_hash) + "=" + request.spec_hash,
        // Restarts are agentctl's (the monitor), never the engine's.
        "--restart=no",
        "--network", network_name(request),
        // Peers are given http://<agent id>:<port> (plan/endpoints.cpp) whatever the container is named.
        "--network-alias", request.agent,
        "--add-host", "host.docker.internal:host-gateway",
        "--env-file", env_file,
        "--stop-signal", request.stop.signal,
        "--stop-timeout", std::to_string((request.stop.timeout.count() + 999) / 1000),
    };
    std::string publish = publish_arg(request, default_address);
    if (!publish.empty()) args.insert(args.end(), {"--publish", publish});
    for (const auto& volume : deployment.volumes) args.insert(args.end(), {"--volume", volume});
    if (!request.workdir.empty()) args.insert(args.end(), {"--workdir", request.workdir});
    const spec::ResourceSpec& resources = request.resources;
    if (resources.cpu) args.insert(args.end(), {"--cpus", format_cpus(*resources.cpu)});
    if (resources.memory_bytes) args.insert(args.end(), {"--memory", std::to_string(*resources.memory_bytes)});
    if (resources.gpu && *resources.gpu > 0) args.insert(args.end(), {"--gpus", std::to_string(*resources.gpu)});
    args.push_back(deployment.image);
    args.insert(args.end(), request.argv.begin(), request.argv.end());
    return args;
}

std::optional<ContainerState> parse_state(const std::string& json) {
    auto value = nlohmann::json::parse(json, nullptr, false);
    if (value.is_discarded() || !value.is_object()) return std::nullopt;
    ContainerState state;
    state.status = value.value("Status", "");
    state.exit_code = value.value("ExitCode", 0);
    state.oom_killed = value.value("OOMKilled", false);
    std::string finished = value.value("FinishedAt", "");
    // An unset time is the zero time "0001-01-01T00:00:00Z".
    if (!finished.empty() && finished.rfind("0001-", 0) != 0) state.finished_at = parse_utc_time(finished);
    return state;
}

std::vector<LogLine> parse_log_lines(const std::string& text) {
    std::vector<LogLine> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(start, end - start);
        start = end + 1;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        auto space = line.find(' ');
        std::optional<Clock::time_point> time;
        if (space != std::string::npos) time = parse_utc_time(line.substr(0, space));
        if (time) {
            lines.push_back({*time, line.substr(space + 1)});
        } else if (!lines.empty()) {
            lines.push_back({lines.back().time, line});
        } else if (!line.empty()) {
            lines.push_back({Clock::time_point{}, line});
        }
    }
    return lines;
}

std::vector<std::string> missing_images(const std::string& stderr_text) {
    std::vector<std::string> names;
    // Debian's CLI (20.10): "Error: No such image: NAME"; newer ones (an engine host may have
    // any): "Error response from daemon: no such image: NAME: No such image: NAME:latest".
    const std::string marker = "No such image: ";
    const std::string daemon_marker = "no such image: ";
    std::size_t start = 0;
    while (start < stderr_text.size()) {
        std::size_t end = stderr_text.find('\n', start);
        if (end == std::string::npos) end = stderr_text.size();
        const std::string line = stderr_text.substr(start, end - start);
        start = end + 1;
        std::size_t at = line.find(daemon_marker);
        if (at != std::string::npos) {
            std::size_t begin = at + daemon_marker.size();
            std::size_t stop = line.find(": " + marker, begin);
            names.push_back(trim(line.substr(begin, stop == std::string::npos ? std::string::npos : stop - begin)));
        } else if ((at = line.find(marker)) != std::string::npos) {
            names.push_back(trim(line.substr(at + marker.size())));
        }
    }
    return names;
}

bool is_no_such(const std::string& stderr_text) {
    return contains(stderr_text, "No such container") || contains(stderr_text, "No such object") ||
           contains(stderr_text, "No such network") ||
           // newer CLIs: "Error response from daemon: network NAME not found"
           (contains(stderr_text, "daemon: network ") && contains(stderr_text, " not found"));
}

std::string engine_problem(const HostResult& result, const std::string& host) {
    const std::string& err = result.err;
    const std::string where = host.empty() || host == "127.0.0.1" || host == "localhost" ? "this machine" : host;
    if (result.exit_status == 127 && contains(err, "exec docker")) {
        return "the docker CLI is not installed on " + where + " (" + trim(err) +
               "); install Docker (Debian: apt-get install docker.io)";
    }
    if (contains(err, "Cannot connect to the Docker daemon") || contains(err, "Is the docker daemon running")) {
        return "the Docker daemon is not running on " + where + " (" + error_line(result) +
               "); start it (systemctl start docker, or dockerd) and try again";
    }
    if (contains(err, "permission denied") && (contains(err, "docker.sock") || contains(err, "docker API"))) {
        return "permission denied on the Docker socket on " + where + " (" + error_line(result) +
               "); add this user to the 'docker' group (then log in again) or run agentctl as root";
    }
    if (result.timed_out) return "the Docker engine on " + where + " did not answer in time";
    return {};
}

std::string failure_text(const HostResult& result, const std::string& host, const std::string& fallback) {
    std::string engine = engine_problem(result, host);
    if (!engine.empty()) return engine;
    return fallback + ": " + error_line(result);
}

std::string short_id(const std::string& id) { return id.substr(0, 12); }

std::string error_line(const HostResult& result) {
    std::string text = trim(result.err.empty() ? result.out : result.err);
    auto newline = text.rfind('\n');
    std::string line = newline == std::string::npos ? text : text.substr(newline + 1);
    if (line.empty()) return "exit status " + std::to_string(result.exit_status);
    return line;
}

}  // namespace agentctl::runners::docker
