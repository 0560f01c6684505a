#include "runners/docker_runner.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "runners/docker_cli.hpp"
#include "runners/launch_record.hpp"
#include "runners/log_file.hpp"
#include "util/errors.hpp"
#include "util/text.hpp"

namespace agentctl::runners {

using SteadyClock = std::chrono::steady_clock;

// One engine: a host and what this runner knows of it.
struct DockerRunner::Engine {
    std::string name;
    std::shared_ptr<Host> host;
    std::string docker;
    util::Millis timeout{60000};
    std::mutex mutex;
    std::set<std::string> images_present;  // found by preflight: start does not ask again
    std::set<std::string> networks_ready;  // known to exist: later waves do not ask again
    std::set<std::string> tracked;         // container ids whose state one batched inspect reads
    struct Cached {
        Inspection inspection;
        SteadyClock::time_point at;
    };
    std::map<std::string, Cached> states;
    std::map<std::string, std::optional<int>> removed;  // exit status of containers agentctl removed

    HostResult run(std::vector<std::string> args, util::Millis limit = util::Millis(0), std::string input = {}) {
        HostCommand command;
        command.argv.reserve(args.size() + 1);
        command.argv.push_back(docker);
        for (auto& arg : args) command.argv.push_back(std::move(arg));
        command.timeout = limit.count() > 0 ? limit : timeout;
        command.input = std::move(input);
        return host->run(command);
    }
};

namespace {

bool is_local_name(const std::string& host) { return host.empty() || host == "127.0.0.1" || host == "localhost"; }

std::string short_id(const std::string& id) { return id.substr(0, 12); }

// The engine failure message for `result`, else `fallback` with docker's own error line.
std::string failure_text(const HostResult& result, const std::string& host, const std::string& fallback) {
    std::string engine = docker::engine_problem(result, host);
    if (!engine.empty()) return engine;
    return fallback + ": " + docker::error_line(result);
}

Inspection inspection_of(const docker::ContainerState& state) {
    Inspection inspection;
    if (state.status == "running" || state.status == "paused" || state.status == "restarting") {
        inspection.liveness = Liveness::running;
        return inspection;
    }
    inspection.liveness = Liveness::exited;
    if (state.status == "created") {
        inspection.reason = "created but never started";
        return inspection;
    }
    inspection.exit_status = state.exit_code;
    inspection.exited_at = state.finished_at;
    if (state.oom_killed) inspection.reason = "killed for exceeding its memory limit";
    return inspection;
}

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

std::string unix_time_text(Clock::time_point time) {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
    char text[48];
    std::snprintf(text, sizeof text, "%lld.%09lld", static_cast<long long>(ns / 1000000000),
                  static_cast<long long>(ns % 1000000000));
    return text;
}

// Both streams of `docker logs --timestamps`, merged in time order.
std::vector<LogLine> merged_lines(const HostResult& result) {
    std::vector<LogLine> lines = docker::parse_log_lines(result.out);
    std::vector<LogLine> errors = docker::parse_log_lines(result.err);
    lines.insert(lines.end(), errors.begin(), errors.end());
    std::stable_sort(lines.begin(), lines.end(), [](const LogLine& a, const LogLine& b) { return a.time < b.time; });
    return lines;
}

}  // namespace

DockerRunner::DockerRunner(RunnerContext context, RemoteHostFactory remote_hosts, DockerRunnerOptions options)
    : m_context(std::move(context)), m_remote_hosts(std::move(remote_hosts)), m_options(std::move(options)) {
    const char* docker = std::getenv("AGENTCTL_DOCKER");
    if (docker != nullptr && *docker != '\0') m_options.docker = docker;
}

DockerRunner::~DockerRunner() = default;

DockerRunner::Engine& DockerRunner::engine(const std::string& host) {
    const std::string key = is_local_name(host) ? std::string() : host;
    std::lock_guard<std::mutex> lock(m_mutex);
    auto found = m_engines.find(key);
    if (found != m_engines.end()) return *found->second;
    auto made = std::make_unique<Engine>();
    made->name = key.empty() ? "127.0.0.1" : key;
    made->docker = m_options.docker;
    made->timeout = m_options.command_timeout;
    if (key.empty()) {
        made->host = make_local_host();
    } else if (m_remote_hosts) {
        made->host = m_remote_hosts(key, m_context);
    } else {
        throw util::OperationError("container agents on another machine's engine (deployment.host '" + host +
                                   "') need agentctl's SSH runner, which this build does not have; "
                                   "remove deployment.host to run the container on this machine's engine");
    }
    return *m_engines.emplace(key, std::move(made)).first->second;
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
    const std::string env_file = request.run_dir + "/container.env";
    engine.host->write_file(env_file, docker::env_file_text(request.instance, request.environment), 0600);
    HostResult created = engine.run(docker::create_args(request, env_file));
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
            engine_ptr = &engine(host);
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

std::optional<Inspection> DockerRunner::cached_inspection(Engine& eng, const std::string& id) {
    std::vector<std::string> ids;
    {
        std::lock_guard<std::mutex> lock(eng.mutex);
        auto hit = eng.states.find(id);
        if (hit != eng.states.end() && SteadyClock::now() - hit->second.at < m_options.inspect_cache) {
            return hit->second.inspection;
        }
        eng.tracked.insert(id);
        ids.assign(eng.tracked.begin(), eng.tracked.end());
    }
    // One call answers for every container this runner watches: readiness and status poll many.
    std::vector<std::string> args = {"container", "inspect", "--format", "{{.Id}} {{json .State}}"};
    args.insert(args.end(), ids.begin(), ids.end());
    HostResult result = eng.run(args);
    std::string problem = docker::engine_problem(result, eng.name);
    if (!problem.empty()) {
        Inspection unknown;
        unknown.liveness = Liveness::unknown;
        unknown.reason = problem;
        return unknown;
    }
    auto now = SteadyClock::now();
    std::lock_guard<std::mutex> lock(eng.mutex);
    std::set<std::string> seen;
    std::size_t start = 0;
    while (start < result.out.size()) {
        std::size_t end = result.out.find('\n', start);
        if (end == std::string::npos) end = result.out.size();
        std::string line = result.out.substr(start, end - start);
        start = end + 1;
        auto space = line.find(' ');
        if (space == std::string::npos) continue;
        auto state = docker::parse_state(line.substr(space + 1));
        if (!state) continue;
        std::string full = line.substr(0, space);
        for (const auto& asked : ids) {
            if (full.rfind(asked, 0) == 0) {
                eng.states[asked] = {inspection_of(*state), now};
                seen.insert(asked);
            }
        }
    }
    for (const auto& asked : ids) {
        if (seen.count(asked)) continue;
        // Gone: removed by agentctl's stop (its exit status kept) or behind agentctl's back.
        Inspection gone;
        auto removed = eng.removed.find(asked);
        if (removed != eng.removed.end()) {
            gone.liveness = Liveness::exited;
            gone.exit_status = removed->second;
        } else {
            gone.liveness = Liveness::missing;
            gone.reason = "container " + short_id(asked) + " no longer exists on the engine of " + eng.name;
        }
        eng.states[asked] = {gone, now};
        eng.tracked.erase(asked);
    }
    return eng.states[id].inspection;
}

std::string DockerRunner::resolve_id(Engine& eng, const InstanceHandle& handle) {
    if (!handle.container_id.empty()) return handle.container_id;
    // No id recorded (agentctl died between docker create and recording it): the container, if
    // any, is found by the labels its launch record says it was given.
    auto launch = read_launch_record(handle.run_dir);
    if (!launch) return {};
    const LaunchRequest& request = launch->request;
    HostResult found = eng.run({"ps", "--all", "--quiet", "--no-trunc",
                                "--filter", std::string("label=") + docker::k_label_job + "=" + request.job,
                                "--filter", std::string("label=") + docker::k_label_instance + "=" + request.instance,
                                "--filter", std::string("label=") + docker::k_label_spec_hash + "=" + request.spec_hash});
    if (found.exit_status != 0) return {};
    return found.out.substr(0, found.out.find('\n'));
}

Inspection DockerRunner::inspect(const InstanceHandle& handle) {
    try {
        Engine& eng = engine(handle.host);
        std::string id = resolve_id(eng, handle);
        if (id.empty()) {
            Inspection none;
            none.liveness = Liveness::missing;
            none.reason = "no container was recorded or found by its labels";
            return none;
        }
        return *cached_inspection(eng, id);
    } catch (const std::exception& error) {
        Inspection unknown;
        unknown.liveness = Liveness::unknown;
        unknown.reason = error.what();
        return unknown;
    }
}

void DockerRunner::archive_logs(Engine& eng, const InstanceHandle& handle) {
    // `docker rm` deletes the container's log: keep it where `agentctl logs` finds it later.
    if (handle.log_path.empty() || !eng.host->is_local()) return;
    HostResult result = eng.run({"logs", "--timestamps", handle.container_id});
    if (result.exit_status != 0) return;
    std::string text;
    for (const auto& line : merged_lines(result)) text += format_log_time(line.time) + " " + line.text + "\n";
    for (std::size_t slash = handle.log_path.find('/', 1); slash != std::string::npos;
         slash = handle.log_path.find('/', slash + 1)) {
        ::mkdir(handle.log_path.substr(0, slash).c_str(), 0700);
    }
    int fd = ::open(handle.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return;
    for (std::size_t done = 0; done < text.size();) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
}

StopOutcome DockerRunner::stop(const InstanceHandle& recorded, const StopOptions& options) {
    StopOutcome outcome;
    Engine& eng = engine(recorded.host);
    InstanceHandle handle = recorded;
    handle.container_id = resolve_id(eng, recorded);
    if (handle.container_id.empty()) {
        outcome.stopped = true;
        outcome.message = "no container was recorded or found by its labels";
        return outcome;
    }
    const std::string& id = handle.container_id;
    auto began = SteadyClock::now();
    long long seconds = (options.timeout.count() + 999) / 1000;
    // The stop signal was set at create (--stop-signal): docker stop sends it, waits, then kills.
    HostResult stopped = options.force ? eng.run({"kill", id})
                                       : eng.run({"stop", "--time", std::to_string(seconds), id},
                                                 options.timeout + m_options.command_timeout);
    if (stopped.exit_status != 0) {
        if (docker::is_no_such(stopped.err)) {
            outcome.stopped = true;
            outcome.message = "container " + short_id(id) + " was already removed";
            return outcome;
        }
        if (stopped.err.find("is not running") == std::string::npos) {
            outcome.message = failure_text(stopped, eng.name, "docker stop of " + short_id(id) + " failed");
            return outcome;
        }
    }
    auto took = SteadyClock::now() - began;
    HostResult state = eng.run({"container", "inspect", "--format", "{{json .State}}", id});
    std::optional<int> exit_status;
    if (auto parsed = docker::parse_state(state.out)) exit_status = parsed->exit_code;
    outcome.killed = options.force || (exit_status == 137 && took >= options.timeout);
    archive_logs(eng, handle);
    HostResult removed = eng.run({"rm", "--force", id});
    if (removed.exit_status != 0 && !docker::is_no_such(removed.err)) {
        outcome.message = failure_text(removed, eng.name, "docker rm of " + short_id(id) + " failed");
        return outcome;
    }
    std::lock_guard<std::mutex> lock(eng.mutex);
    eng.removed[id] = exit_status;
    eng.states.erase(id);
    eng.tracked.erase(id);
    outcome.stopped = true;
    return outcome;
}

void DockerRunner::read_logs(const InstanceHandle& handle, const LogOptions& options,
                             const std::function<void(const LogLine&)>& sink) {
    if (handle.container_id.empty()) return read_log(handle.log_path, options, sink);
    Engine& eng = engine(handle.host);
    std::vector<std::string> args = {"logs", "--timestamps"};
    if (options.tail) args.insert(args.end(), {"--tail", std::to_string(*options.tail)});
    if (options.since) args.insert(args.end(), {"--since", unix_time_text(*options.since)});
    args.push_back(handle.container_id);
    HostResult result = eng.run(args);
    if (result.exit_status != 0) {
        // Removed by stop: its log was archived to the state dir.
        if (docker::is_no_such(result.err)) return read_log(handle.log_path, options, sink);
        throw util::OperationError(failure_text(result, eng.name, "docker logs of " + short_id(handle.container_id) + " failed"));
    }
    std::optional<Clock::time_point> last;
    std::vector<LogLine> lines = merged_lines(result);
    if (options.tail && lines.size() > *options.tail) lines.erase(lines.begin(), lines.end() - static_cast<long>(*options.tail));
    for (const auto& line : lines) {
        sink(line);
        last = line.time;
    }
    if (!options.follow) return;
    // Following polls with --since just past the last line seen, so it works on any engine host.
    Clock::time_point since = last ? *last + std::chrono::nanoseconds(1) : Clock::now();
    while (!(options.stop_following && options.stop_following())) {
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        HostResult more = eng.run({"logs", "--timestamps", "--since", unix_time_text(since), handle.container_id});
        if (more.exit_status != 0) return;
        for (const auto& line : merged_lines(more)) {
            if (line.time < since) continue;
            sink(line);
            since = line.time + std::chrono::nanoseconds(1);
        }
    }
}

ExecResult DockerRunner::exec(const InstanceHandle& handle, const std::vector<std::string>& argv, util::Millis timeout) {
    ExecResult out;
    Engine& eng = engine(handle.host);
    std::vector<std::string> args = {"exec", handle.container_id};
    args.insert(args.end(), argv.begin(), argv.end());
    HostResult result = eng.run(args, timeout);
    out.exit_status = result.exit_status;
    out.timed_out = result.timed_out;
    out.output = (result.out + result.err).substr(0, 4096);
    return out;
}

std::vector<PreflightProblem> DockerRunner::preflight(const std::vector<LaunchRequest>& requests) {
    std::vector<PreflightProblem> found;
    std::map<std::string, std::vector<const LaunchRequest*>> by_host;
    for (const auto& request : requests) by_host[request.deployment.host].push_back(&request);
    for (const auto& [host, group] : by_host) {
        Engine* eng = nullptr;
        try {
            eng = &engine(host);
        } catch (const std::exception& error) {
            for (const auto* request : group) found.push_back({request->instance, error.what()});
            continue;
        }
        std::map<const LaunchRequest*, std::string> problems;
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
    engines.push_back(&engine(""));
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
