#pragma once
// The pure parts of driving the `docker` CLI (DESIGN.md §4 "Docker"): the names, labels and
// `docker create` argv of a container agent, the env-file text, and the parsing of what the
// CLI answers. Nothing here runs a command: DockerRunner does, through a Host.

#include <optional>
#include <string>
#include <vector>

#include "runners/host.hpp"
#include "runners/runner.hpp"

namespace agentctl::runners::docker {

/// Label keys every agentctl container (and job network it creates) carries.
inline constexpr const char* k_label_job = "agentctl.job";
inline constexpr const char* k_label_agent = "agentctl.agent";
inline constexpr const char* k_label_instance = "agentctl.instance";
inline constexpr const char* k_label_spec_hash = "agentctl.spec-hash";

/// The container name: deployment.container_name, else "<job>-<agent>".
std::string container_name(const LaunchRequest& request);

/// The job network: deployment.network, else "agentctl-<job>".
std::string network_name(const LaunchRequest& request);

/// The text of a docker --env-file holding `environment` ("NAME=value" lines). Throws
/// util::OperationError naming the variable when a value holds a newline (docker's env-file
/// format cannot carry one, and a command line must never carry a value).
std::string env_file_text(const std::string& instance, const std::vector<spec::EnvVar>& environment);

/// The `docker create` arguments (without the leading "docker") for `request`, reading its
/// environment from `env_file`: name, labels, --restart=no, the job network with the agent id
/// as alias, host.docker.internal, publish, volumes, workdir, resources, stop signal/timeout,
/// the image and the command override. `default_address` is publish_arg's.
std::vector<std::string> create_args(const LaunchRequest& request, const std::string& env_file,
                                     const std::string& default_address = "127.0.0.1");

/// `publish` as docker's -p value mapped to the container's config.port: "127.0.0.1:19000:9000";
/// default <default_address>:<port>:<port> (every address when it is empty); empty when the
/// agent has no port at all.
std::string publish_arg(const LaunchRequest& request, const std::string& default_address = "127.0.0.1");

/// What `docker container inspect --format '{{json .State}}'` says about a container.
struct ContainerState {
    std::string status;   ///< "created", "running", "exited", "dead", ...
    int exit_code = 0;
    bool oom_killed = false;
    std::optional<Clock::time_point> finished_at;
};

/// Parses the JSON of a container's .State; nullopt when it is not such an object.
std::optional<ContainerState> parse_state(const std::string& json);

/// Parses the lines of `docker logs --timestamps` ("<RFC3339Nano> text") from one stream.
std::vector<LogLine> parse_log_lines(const std::string& text);

/// The names `docker image inspect` reported missing ("No such image: NAME" in its stderr).
std::vector<std::string> missing_images(const std::string& stderr_text);

/// True when a docker error says the object does not exist ("No such container/object/network").
bool is_no_such(const std::string& stderr_text);

/// An error message for a docker command that failed because of the engine itself (daemon not
/// running, permission denied on the socket, no docker CLI), naming `host` and how to fix it;
/// empty when the failure is something else.
std::string engine_problem(const HostResult& result, const std::string& host);

/// The engine failure message for `result` (engine_problem), else `fallback` + ": " + its error line.
std::string failure_text(const HostResult& result, const std::string& host, const std::string& fallback);

/// The 12-character short form of a container id, as docker shows it.
std::string short_id(const std::string& id);

/// The last non-empty line of a docker error ("Error response from daemon: ..."), for messages.
std::string error_line(const HostResult& result);

}  // namespace agentctl::runners::docker
