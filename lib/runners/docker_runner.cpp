// DockerRunner, the start side: engines, preflight (images, names), the job network, docker
// create + start, and releasing the job's network. Inspect, stop, logs and exec are in
// docker_instance_ops.cpp.

#include "runners/docker_runner.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <thread>

#include "runners/docker_cli.hpp"
#include "runners/docker_engine.hpp"
#include "runners/docker_ssh.hpp"
#include "runners/launch_record.hpp"
#include "util/errors.hpp"

namespace agentctl::runners {

using docker::failure_text;
using docker::short_id;

namespace {

bool is_local_name(const std::string& host) { return host.empty() || host == "127.0.0.1" || host == "localhost"; }

// Runs `work(i)` for i in [0, count) on up to `parallel` threads.
void for_each_parallel(std::size_t count, int parallel, const std::function<void(std::size_t)>& work) {
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
        for (std::size_t i = next++; i < count; i = next++) work(i);
    };
    std::vector<std::thread> threads;
    std::size_t n = std::min<std::size_t>(count, static_cast<std::size_t>(std::max(parallel, 1)));
    for (std::size_t t = 1; t < n; ++t) threads.emplace_back(worker);
    worker();
    for (auto& thread : threads) thread.join();
}

}  // namespace

DockerRunner::DockerRunner(RunnerContext context, RemoteHostFactory remote_hosts, DockerRunnerOptions options)
    : m_context(std::move(context)), m_remote_hosts(std::move(remote_hosts)), m_options(std::move(options)) {
    const char* docker = std::getenv("AGENTCTL_DOCKER");
    if (docker != nullptr && *docker != '\0') m_options.docker = docker;
}

DockerRunner::~DockerRunner() = default;

DockerRunner::Engine& DockerRunner::engine(const std::string& host,
                                           const std::function<spec::DeploymentSpec()>& deployment) {
    const std::string key = is_local_name(host) ? std::string() : host;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        auto found = m_engines.find(key);
        if (found != m_engines.end()) return *found->second;
    }
    auto made = std::make_unique<Engine>();
    made->name = key.empty() ? "127.0.0.1" : key;
    made->docker = m_options.docker;
    made->timeout = m_options.command_timeout;
    if (key.empty()) {
        made->host = make_local_host();
    } else if (m_remote_hosts) {
        // Connected outside m_mutex: a slow host never holds up the other engines (the pool
        // shares one session per host, so two threads racing here still open one connection).
        RemoteEngine remote = m_remote_hosts(key, deployment ? deployment() : spec::DeploymentSpec());
        made->host = std::move(remote.host);
        made->publish_address = std::move(remote.address);
        made->env_dir = std::move(remote.env_dir);
        made->reached_over_loopback = remote.loopback;
    } else {
        throw util::OperationError("container agents on another machine's engine (deployment.host '" + host +
                                   "') need agentctl's SSH runner, which this build does not have; "
                                   "remove deployment.host to run the container on this machine's engine");
    }
    std::lock_guard<std::mutex> lock(m_mutex);
    return *m_engines.emplace(key, std::move(made)).first->second;
}

DockerRunner::Engine& DockerRunner::engine(const LaunchRequest& request) {
    return engine(request.deployment.host, [&request] { return request.deployment; });
}

DockerRunner::Engine& DockerRunner::engine(const InstanceHandle& handle) {
    // A later run knows the host's connection settings (user, port, key) from the launch record.
    return engine(handle.host, [&handle] {
        auto launch = handle.run_dir.empty() ? std::nullopt : read_launch_record(handle.run_dir);
        return launch ? launch->request.deployment : spec::DeploymentSpec();
    });
}

std::string DockerRunner::check_images(Engine& engine, const std::vector<const LaunchRequest*>& requests,
                                       std::map<const LaunchRequest*, std::string>& problems) {
    std::vector<std::string> images;
    {
        std::lock_guard<std::mutex> lock(engine.mutex);
        for (const auto* request : requests) {
            const std::string& image = request->deployment.image;
            if (!engine.images_present.count(image) && std::find(images.begin(), images.end(), image) == images.end())
                images.push_back(image);
        }
    }
    if (images.empty()) return {};
    // Every image of the wave in one call: docker answers for the ones it has and names the others.
    std::vector<std::string> args = {"image", "inspect", "--format", "{{.Id}}"};
    args.insert(args.end(), images.begin(), images.end());
    HostResult result = engine.run(args);
    std::string engine_error = docker::engine_problem(result, engine.name);
    if (!engine_error.empty()) return engine_error;
    std::vector<std::string> missing = docker::missing_images(result.err);
    if (result.exit_status != 0 && missing.empty()) return failure_text(result, engine.name, "docker image inspect failed");
    {
        std::lock_guard<std::mutex> lock(engine.mutex);
        for (const auto& image : images) {
            if (std::find(missing.begin(), missing.end(), image) == missing.end()) engine.images_present.insert(image);
        }
    }
    for (const auto* request : requests) {
        const std::string& image = request->deployment.image;
        if (std::find(missing.begin(), missing.end(), image) == missing.end()) continue;
        problems[request] = "image '" + image + "' is not present on the Docker engine of " + engine.name +
                            " (agentctl pulls nothing); build, load or pull it there first (docker pull / docker load / "
                            "docker import)";
    }
    return {};
}

void DockerRunner::check_names(Engine& engine, const std::vector<const LaunchRequest*>& requests,
                               std::map<const LaunchRequest*, std::string>& problems, std::set<std::string>* ours) {
    std::vector<std::string> args = {"container", "inspect", "--format",
                                     "{{.Name}}\t{{.Id}}\t{{index .Config.Labels \"agentctl.job\"}}\t"
                                     "{{index .Config.Labels \"agentctl.agent\"}}"};
    for (const auto* request : requests) args.push_back(docker::container_name(*request));
    HostResult result = engine.run(args);
    std::string engine_error = docker::engine_problem(result, engine.name);
    if (!engine_error.empty()) {
        for (const auto* request : requests) problems.emplace(request, engine_error);
        return;
    }
    // Names that exist come back on stdout; the others are "No such container" on stderr.
    std::map<std::string, std::vector<std::string>> found;
    std::size_t start = 0;
    while (start < result.out.size()) {
        std::size_t end = result.out.find('\n', start);
        if (end == std::string::npos) end = result.out.size();
        std::vector<std::string> fields;
        std::string line = result.out.substr(start, end - start);
        start = end + 1;
        for (std::size_t from = 0;;) {
            std::size_t tab = line.find('\t', from);
            fields.push_back(line.substr(from, tab == std::string::npos ? std::string::npos : tab - from));
            if (tab == std::string::npos) break;
            from = tab + 1;
        }
        // A label the container lacks prints as "<no value>".
        for (auto& field : fields) {
            if (field == "<no value>") field.clear();
        }
        if (fields.size() == 4 && !fields[0].empty()) found[fields[0].substr(1)] = fields;
    }
    for (const auto* request : requests) {
        const std::string name = docker::container_name(*request);
        auto hit = found.find(name);
        if (hit == found.end()) continue;
        const auto& fields = hit->second;
        if (fields[2] == request->job && fields[3] == request->agent) {
            if (ours) ours->insert(name);
            continue;
        }
        std::string owner = fields[2].empty() ? "a container agentctl did not create"
                                              : "agent '" + fields[3] + "' of agentctl job '" + fields[2] + "'";
        problems.emplace(request, "container name '" + name + "' on the engine of " + engine.name + " is taken by " +
                                      owner + " (id " + short_id(fields[1]) + "); remove or rename that container (docker rm " +
                                      name + "), or set deployment.container_name to another name");
    }
}

std::string DockerRunner::publish_problem(const Engine& engine, const LaunchRequest& request) {
    // Health checks and local peers call http://<HostName>:<port> (plan/endpoints.cpp): a port
    // bound to another machine's loopback would never answer them.
    if (engine.reached_over_loopback) return {};
    const std::string& text = request.deployment.publish;
    auto colon = text.rfind(':');
    if (colon == std::string::npos || !is_loopback_address(text.substr(0, colon))) return {};
    return "publish '" + text + "' binds the loopback of " + engine.name +
           ", which agentctl's machine cannot reach (health checks and peers call that host's address); "
           "publish on an address of " + engine.name + " (ADDR:PORT), or leave publish out to use the address "
           "agentctl reaches it at";
}

std::string DockerRunner::ensure_network(Engine& engine, const LaunchRequest& request) {
    const std::string network = docker::network_name(request);
    {
        std::lock_guard<std::mutex> lock(engine.mutex);
        if (engine.networks_ready.count(network)) return {};
    }
    HostResult found = engine.run({"network", "inspect", "--format", "{{.Name}}", network});
    if (found.exit_status != 0) {
        if (!docker::is_no_such(found.err)) {
            return failure_text(found, engine.name, "cannot inspect network '" + network + "'");
        }
        // Labelled with the job, so stop removes it (and only it: a network the user made is never ours).
        HostResult made = engine.run({"network", "create", "--driver", "bridge", "--label",
                                      std::string(docker::k_label_job) + "=" + request.job, network});
        if (made.exit_status != 0 && made.err.find("already exists") == std::string::npos) {
            return failure_text(made, engine.name, "cannot create network '" + network + "'");
        }
    }
    std::lock_guard<std::mutex> lock(engine.mutex);
    engine.networks_ready.insert(network);
    return {};
}

HostResult DockerRunner::create_container(Engine& engine, const LaunchRequest& request) {
    // On another host the file lives in agentctl's state dir there: the local path means nothing.
    const std::string env_file = engine.host->is_local()
                                     ? request.run_dir + "/container.env"
                                     : engine.env_dir + "/" + request.job + "/" + request.instance + ".env";
    engine.host->write_file(env_file, docker::env_file_text(request.instance, request.environment), 0600);
    HostResult created = engine.run(docker::create_args(request, env_file, engine.publish_address));
    // The values live in the container's config now; the file must not outlive the create.
    if (engine.host->is_local()) ::unlink(env_file.c_str());
    else engine.host->run({{"rm", "-f", env_file}, {}, util::Millis(10000)});
    return created;
}

void DockerRunner::remove_ours(Engine& engine, const LaunchRequest& request) {
    // Only a container carrying this job's and agent's labels is removed, never a foreign one.
    HostResult ids = engine.run({"ps", "--all", "--quiet", "--filter", "name=^/" + docker::container_name(request) + "$",
                                 "--filter", std::string("label=") + docker::k_label_job + "=" + request.job,
                                 "--filter", std::string("label=") + docker::k_label_agent + "=" + request.agent});
    std::vector<std::string> args = {"rm", "--force"};
    for (std::size_t start = 0; start < ids.out.size();) {
        std::size_t end = ids.out.find('\n', start);
        if (end == std::string::npos) end = ids.out.size();
        if (end > start) args.push_back(ids.out.substr(start, end - start));
        start = end + 1;
    }
    if (ids.exit_status == 0 && args.size() > 2) engine.run(args);
}

StartOutcome DockerRunner::start_one(Engine& engine, const LaunchRequest& request) {
    StartOutcome outcome;
    outcome.handle.host = request.host;
    outcome.handle.run_dir = request.run_dir;
    outcome.handle.log_path = request.log_path;
    const std::string name = docker::container_name(request);
    HostResult created;
    try {
        created = create_container(engine, request);
        if (created.exit_status != 0 && created.err.find("is already in use") != std::string::npos) {
            // The name is held: by a container agentctl left for this very agent (it died between
            // create and recording it), which is replaced, or by someone else's, which is refused.
            std::map<const LaunchRequest*, std::string> problems;
            std::set<std::string> ours;
            check_names(engine, {&request}, problems, &ours);
            if (!problems.empty()) {
                outcome.error = problems.begin()->second;
                return outcome;
            }
            remove_ours(engine, request);
            created = create_container(engine, request);
        }
    } catch (const std::exception& error) {
        outcome.error = error.what();
        return outcome;
    }
    if (created.exit_status != 0) {
        outcome.error = failure_text(created, engine.name, "docker create of '" + name + "' failed");
        // A create that failed half-way (e.g. at attaching the network) can leave the container.
        remove_ours(engine, request);
        std::lock_guard<std::mutex> lock(engine.mutex);
        engine.networks_ready.erase(docker::network_name(request));
        return outcome;
    }
    std::string id = created.out.substr(0, created.out.find('\n'));
    HostResult started = engine.run({"start", id});
    if (started.exit_status != 0) {
        outcome.error = failure_text(started, engine.name, "docker start of '" + name + "' failed");
        engine.run({"rm", "--force", id});
        return outcome;
    }
    outcome.started = true;
    outcome.handle.container_id = id;
    std::lock_guard<std::mutex> lock(engine.mutex);
    engine.tracked.insert(id);
    return outcome;
}

std::vector<StartOutcome> DockerRunner::start(const std::vector<LaunchRequest>& requests) {
    std::vector<StartOutcome> outcomes(requests.size());
    std::map<std::string, std::vector<std::size_t>> by_host;
    for (std::size_t i = 0; i < requests.size(); ++i) by_host[requests[i].deployment.host].push_back(i);

    for (const auto& [host, indexes] : by_host) {
        Engine* engine_ptr = nullptr;
        try {
            engine_ptr = &engine(requests[indexes.front()]);
        } catch (const std::exception& error) {
            for (std::size_t i : indexes) outcomes[i].error = error.what();
            continue;
        }
        Engine& eng = *engine_ptr;
        std::vector<const LaunchRequest*> group;
        for (std::size_t i : indexes) group.push_back(&requests[i]);
        // Images preflight already found are not asked for again; names are checked by create
        // itself (a conflict is then looked at), which saves a call per wave.
        std::map<const LaunchRequest*, std::string> problems;
        for (const auto* request : group) {
            std::string why = publish_problem(eng, *request);
            if (!why.empty()) problems[request] = why;
        }
        std::string engine_error = check_images(eng, group, problems);
        std::set<std::string> networks_done;
        for (const auto* request : group) {
            if (!engine_error.empty() || problems.count(request)) continue;
            std::string network = docker::network_name(*request);
            if (networks_done.count(network)) continue;
            std::string error = ensure_network(eng, *request);
            if (!error.empty()) problems[request] = error;
            else networks_done.insert(network);
        }
        std::vector<std::size_t> to_start;
        for (std::size_t k = 0; k < indexes.size(); ++k) {
            const LaunchRequest* request = group[k];
            std::string why = !engine_error.empty() ? engine_error : (problems.count(request) ? problems[request] : "");
            if (why.empty() && !networks_done.count(docker::network_name(*request))) why = "its network could not be made";
            if (why.empty()) to_start.push_back(k);
            else outcomes[indexes[k]].error = why;
        }
        for_each_parallel(to_start.size(), m_options.parallel, [&](std::size_t j) {
            std::size_t k = to_start[j];
            outcomes[indexes[k]] = start_one(eng, *group[k]);
        });
    }
    return outcomes;
}

std::vector<PreflightProblem> DockerRunner::preflight(const std::vector<LaunchRequest>& requests) {
    std::vector<PreflightProblem> found;
    std::map<std::string, std::vector<const LaunchRequest*>> by_host;
    for (const auto& request : requests) by_host[request.deployment.host].push_back(&request);
    for (const auto& [host, group] : by_host) {
        Engine* eng = nullptr;
        try {
            eng = &engine(*group.front());
        } catch (const std::exception& error) {
            for (const auto* request : group) found.push_back({request->instance, error.what()});
            continue;
        }
        std::map<const LaunchRequest*, std::string> problems;
        for (const auto* request : group) {
            std::string why = publish_problem(*eng, *request);
            if (!why.empty()) problems[request] = why;
        }
        std::string engine_error = check_images(*eng, group, problems);
        if (!engine_error.empty()) {
            found.push_back({group.front()->instance, engine_error});
            continue;
        }
        check_names(*eng, group, problems, nullptr);
        for (const auto* request : group) {
            auto hit = problems.find(request);
            if (hit != problems.end()) found.push_back({request->instance, hit->second});
        }
    }
    return found;
}

void DockerRunner::release_job(const std::string& job) {
    std::vector<Engine*> engines;
    engines.push_back(&engine(std::string(), {}));
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        for (auto& [key, eng] : m_engines) {
            if (!key.empty()) engines.push_back(eng.get());
        }
    }
    const std::string label = std::string(docker::k_label_job) + "=" + job;
    for (Engine* eng : engines) {
        HostResult left = eng->run({"ps", "--all", "--quiet", "--filter", "label=" + label});
        if (left.exit_status != 0 || !left.out.empty()) continue;
        HostResult networks = eng->run({"network", "ls", "--quiet", "--filter", "label=" + label});
        if (networks.exit_status != 0) continue;
        std::vector<std::string> args = {"network", "rm"};
        std::size_t start = 0;
        while (start < networks.out.size()) {
            std::size_t end = networks.out.find('\n', start);
            if (end == std::string::npos) end = networks.out.size();
            if (end > start) args.push_back(networks.out.substr(start, end - start));
            start = end + 1;
        }
        if (args.size() > 2) eng->run(args);
        std::lock_guard<std::mutex> lock(eng->mutex);
        eng->networks_ready.clear();
    }
}

}  // namespace agentctl::runners
