// DockerRunner, the instance side: inspect (one batched `docker container inspect` for every
// container the runner watches), stop (docker stop, then rm, keeping the log), logs (docker
// logs, followed by polling) and exec (docker exec).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "runners/docker_cli.hpp"
#include "runners/docker_engine.hpp"
#include "runners/docker_runner.hpp"
#include "runners/launch_record.hpp"
#include "runners/log_file.hpp"
#include "util/errors.hpp"

namespace agentctl::runners {

using docker::failure_text;
using docker::short_id;

namespace {

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
        Engine& eng = engine(handle);
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
    // (A remote engine's log comes over the session and is kept on agentctl's machine too.)
    if (handle.log_path.empty()) return;
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
    Engine& eng = engine(recorded);
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
    Engine& eng = engine(handle);
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
    Engine& eng = engine(handle);
    std::vector<std::string> args = {"exec", handle.container_id};
    args.insert(args.end(), argv.begin(), argv.end());
    HostResult result = eng.run(args, timeout);
    out.exit_status = result.exit_status;
    out.timed_out = result.timed_out;
    out.output = (result.out + result.err).substr(0, 4096);
    return out;
}

}  // namespace agentctl::runners
