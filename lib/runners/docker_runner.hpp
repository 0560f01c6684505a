#pragma once
// The runner for container agents (DESIGN.md §4 "Docker"): it drives the `docker` CLI, as argv
// and never as a shell string, through a Host, so that an engine on another machine is reached
// the same way over an SSH session.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "runners/host.hpp"
#include "runners/runner.hpp"

namespace agentctl::runners {

/// The engine of another machine: the Host its docker commands run on, and the address a
/// container publishes on by default there (the one agentctl's machine reaches the host at).
struct RemoteEngine {
    std::shared_ptr<Host> host;
    std::string address;
    std::string env_dir;  ///< where env files are written there (absolute; removed after create)
    bool loopback = false;  ///< agentctl reaches the host at a loopback address (it is this machine)
};

/// Gives the engine of an SSH host named by a container agent's deployment.host (connection
/// settings from `deployment`); throws HostError when the host cannot be reached. Empty: such
/// agents are refused with a message saying why.
using RemoteHostFactory = std::function<RemoteEngine(const std::string& host, const spec::DeploymentSpec& deployment)>;

/// Knobs of the Docker runner (the defaults are agentctl's; tests may shorten them).
struct DockerRunnerOptions {
    std::string docker = "docker";         ///< the CLI; $AGENTCTL_DOCKER overrides it
    util::Millis command_timeout{60000};   ///< one docker command (create, inspect, rm ...)
    util::Millis inspect_cache{100};       ///< how long one batched inspect answers for every container
    int parallel = 16;                     ///< containers created and started at once
};

/// Creates one container per instance on the job's network, labelled with the job, agent and
/// spec hash; inspects, logs, stops (docker stop, then rm) and execs through the docker CLI.
class DockerRunner : public Runner {
public:
    /// A runner over this machine's engine, and remote engines through `remote_hosts`.
    explicit DockerRunner(RunnerContext context, RemoteHostFactory remote_hosts = {}, DockerRunnerOptions options = {});
    ~DockerRunner() override;

    std::vector<StartOutcome> start(const std::vector<LaunchRequest>& requests) override;
    Inspection inspect(const InstanceHandle& handle) override;
    StopOutcome stop(const InstanceHandle& handle, const StopOptions& options) override;
    void read_logs(const InstanceHandle& handle, const LogOptions& options,
                   const std::function<void(const LogLine&)>& sink) override;
    ExecResult exec(const InstanceHandle& handle, const std::vector<std::string>& argv, util::Millis timeout) override;
    /// The engine answers, every image of `requests` is present (one `docker image inspect` per
    /// host), and no container name is taken by a container agentctl does not own.
    std::vector<PreflightProblem> preflight(const std::vector<LaunchRequest>& requests) override;
    /// Removes the job networks agentctl created for `job` once no container of the job is left.
    void release_job(const std::string& job) override;

private:
    struct Engine;
    Engine& engine(const std::string& host, const std::function<spec::DeploymentSpec()>& deployment);
    Engine& engine(const LaunchRequest& request);
    Engine& engine(const InstanceHandle& handle);
    std::string resolve_id(Engine& engine, const InstanceHandle& handle);
    std::string check_images(Engine& engine, const std::vector<const LaunchRequest*>& requests,
                             std::map<const LaunchRequest*, std::string>& problems);
    void check_names(Engine& engine, const std::vector<const LaunchRequest*>& requests,
                     std::map<const LaunchRequest*, std::string>& problems, std::set<std::string>* ours);
    std::string ensure_network(Engine& engine, const LaunchRequest& request);
    static std::string publish_problem(const Engine& engine, const LaunchRequest& request);
    HostResult create_container(Engine& engine, const LaunchRequest& request);
    void remove_ours(Engine& engine, const LaunchRequest& request);
    StartOutcome start_one(Engine& engine, const LaunchRequest& request);
    std::optional<Inspection> cached_inspection(Engine& engine, const std::string& id);
    void archive_logs(Engine& engine, const InstanceHandle& handle);

    RunnerContext m_context;
    RemoteHostFactory m_remote_hosts;
    DockerRunnerOptions m_options;
    std::mutex m_mutex;
    std::map<std::string, std::unique_ptr<Engine>> m_engines;
};

}  // namespace agentctl::runners
