#include "runners/ssh_runner.hpp"

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "runners/launch_record.hpp"
#include "runners/log_file.hpp"
#include "runners/process_control.hpp"
#include "runners/shim_handshake.hpp"
#include "runners/shim_status.hpp"
#include "runners/ssh_host.hpp"
#include "runners/ssh_runner_support.hpp"
#include "runners/ssh_scripts.hpp"
#include "runners/ssh_sh_wrapper.hpp"
#include "util/duration.hpp"

namespace agentctl::runners {

namespace {

constexpr util::Millis k_follow_poll{500};

}  // namespace


SshRunner::SshRunner(RunnerContext context)
    : m_context(std::move(context)), m_pool(std::make_unique<SshHostPool>(m_context)) {}

SshRunner::~SshRunner() = default;

const std::string& SshRunner::shim_name() {
    std::lock_guard<std::mutex> lock(m_shim_mutex);
    if (m_shim_name.empty()) {
        auto content = m_context.shim_path.empty() ? std::nullopt : read_binary(m_context.shim_path);
        if (!content) throw util::OperationError("cannot read agentctl-shim at '" + m_context.shim_path + "'");
        m_shim_content = std::move(*content);
        m_shim_name = "agentctl-shim-" + sha256_hex(m_shim_content).substr(0, 16);
    }
    return m_shim_name;
}

void SshRunner::upload_shim(SshHost& host, const std::string& state_dir) {
    const std::string name = shim_name();
    host.write_file(state_dir + "/bin/" + name, m_shim_content, 0755);
}

std::vector<StartOutcome> SshRunner::start(const std::vector<LaunchRequest>& requests) {
    std::vector<StartOutcome> outcomes(requests.size());
    std::map<std::string, std::vector<std::size_t>> by_host;
    for (std::size_t i = 0; i < requests.size(); ++i) by_host[requests[i].host].push_back(i);
    std::vector<std::vector<std::size_t>> groups;
    for (auto& [host, indexes] : by_host) groups.push_back(indexes);
    run_parallel(groups.size(), m_context.parallel, [&](std::size_t g) {
        std::vector<const LaunchRequest*> batch;
        for (std::size_t i : groups[g]) batch.push_back(&requests[i]);
        auto results = start_on_host(batch);
        for (std::size_t k = 0; k < groups[g].size(); ++k) outcomes[groups[g][k]] = std::move(results[k]);
    });
    // The deployer inspects what it started next: one batch covers them all.
    remember_started(outcomes);
    return outcomes;
}

std::vector<PreflightProblem> SshRunner::preflight(const std::vector<LaunchRequest>& requests) {
    std::map<std::string, std::vector<std::size_t>> by_host;
    for (std::size_t i = 0; i < requests.size(); ++i) by_host[requests[i].host].push_back(i);
    std::vector<std::vector<std::size_t>> groups;
    for (auto& [host, indexes] : by_host) groups.push_back(indexes);
    std::vector<std::vector<PreflightProblem>> found(groups.size());
    run_parallel(groups.size(), m_context.parallel, [&](std::size_t g) {
        const LaunchRequest& first = requests[groups[g].front()];
        try {
            SshTarget target = m_pool->target_for(first.host, first.deployment);
            auto host = m_pool->host(target);
            std::vector<PreflightCheck> checks;
            for (std::size_t i : groups[g]) checks.push_back({requests[i].workdir, requests[i].argv});
            HostResult result = run_script(*host, preflight_script(checks), target.timeout);
            if (result.timed_out) throw HostError("timed out checking " + describe_target(target), true);
            auto answer = parse_answer(result.out);
            // A host of another architecture runs agents under the sh wrapper: no restarts there.
            const std::string arch = answer["arch"];
            if (sh_wrapper_forced() || (!arch.empty() && arch != local_arch())) {
                for (std::size_t i : groups[g]) {
                    std::string refusal = sh_wrapper_refusal(requests[i].restart, first.host, arch);
                    if (!refusal.empty()) found[g].push_back({requests[i].instance, refusal});
                }
            }
            for (std::size_t k = 0; k < groups[g].size(); ++k) {
                auto failed = answer.find("check" + std::to_string(k));
                if (failed == answer.end()) continue;
                found[g].push_back({requests[groups[g][k]].instance, "on " + first.host + ": " + failed->second});
            }
        } catch (const std::exception& error) {
            for (std::size_t i : groups[g]) found[g].push_back({requests[i].instance, error.what()});
        }
    });
    std::vector<PreflightProblem> problems;
    for (auto& group : found) problems.insert(problems.end(), group.begin(), group.end());
    return problems;
}

std::vector<StartOutcome> SshRunner::start_on_host(const std::vector<const LaunchRequest*>& requests) {
    std::vector<StartOutcome> outcomes(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
        outcomes[i].handle.host = requests[i]->host;
        outcomes[i].handle.run_dir = requests[i]->run_dir;
        outcomes[i].handle.log_path = requests[i]->log_path;
    }
    auto fail_all = [&](const std::string& message, bool timed_out) {
        for (auto& outcome : outcomes) {
            outcome.error = message;
            outcome.timed_out = timed_out;
        }
        return outcomes;
    };
    const LaunchRequest& first = *requests.front();
    try {
        SshTarget target = m_pool->target_for(first.host, first.deployment);
        auto host = m_pool->host(target);

        ProbeRequest probe_request;
        probe_request.shim_name = shim_name();
        probe_request.wrapper_name = sh_wrapper_name();
        std::vector<std::pair<const spec::FileSpec*, std::string>> files;  // spec, local content
        for (const auto* request : requests) {
            for (const auto& file : request->deployment.files) {
                auto content = read_binary(file.src);
                if (!content) return fail_all("cannot read deployment.files source '" + file.src + "'", false);
                files.emplace_back(&file, std::move(*content));
                probe_request.file_dests.push_back(file.dest);
            }
        }
        std::vector<RemoteLaunch> launches;
        for (const auto* request : requests) {
            RemoteLaunch launch;
            launch.run_dir = remote_run_dir(*request);
            launch.log_path = remote_log(*request);
            launch.workdir = request->workdir;
            launch.argv = request->argv;
            launch.environment = request->environment;
            launch.restart = request->restart;
            launches.push_back(std::move(launch));
        }
        // The script carries environment values: it travels on the shell's stdin, never argv.
        auto launch = [&](const std::string& program) {
            HostResult result = run_script(*host, launch_script("bin/" + program, launches), target.timeout);
            if (result.timed_out) throw HostError("timed out starting agents on " + describe_target(target), true);
            return result;
        };

        // The common case costs one round trip: the launch script itself refuses to start when
        // the shim is missing. Files (hashes to compare) and a missing shim need the probe first.
        std::optional<HostResult> launched;
        if (files.empty() && !sh_wrapper_forced()) {
            launched = launch(shim_name());
            if (parse_answer(launched->out).count("noshim")) launched.reset();
        }
        if (!launched) {
            HostResult answer = run_script(*host, probe_script(probe_request), target.timeout);
            if (answer.timed_out) return fail_all("timed out probing " + describe_target(target), true);
            auto probe = parse_probe(answer.out, probe_request);
            if (!probe) return fail_all("unexpected answer from " + describe_target(target) + ": " + answer.err, false);
            // The shim is a native binary: a host of another architecture gets the sh wrapper.
            const bool wrapped = sh_wrapper_forced() || probe->arch != local_arch();
            if (wrapped) {
                for (const auto* request : requests) {
                    std::string refusal = sh_wrapper_refusal(request->restart, first.host, probe->arch);
                    if (!refusal.empty()) return fail_all(refusal, false);
                }
                if (!probe->wrapper_present) {
                    host->write_file(probe->state_dir + "/bin/" + sh_wrapper_name(), sh_wrapper_text(), 0755);
                }
            } else if (!probe->shim_present) {
                upload_shim(*host, probe->state_dir);
            }
            // Files go before the start, and only when their content changed.
            for (std::size_t f = 0; f < files.size(); ++f) {
                if (probe->file_hashes[f] == sha256_hex(files[f].second)) continue;
                unsigned mode = files[f].first->mode ? static_cast<unsigned>(*files[f].first->mode) : 0644u;
                host->write_file(sftp_path(files[f].first->dest), files[f].second, mode);
            }
            launched = launch(wrapped ? sh_wrapper_name() : shim_name());
        }
        auto lines = parse_launch(launched->out, requests.size());
        for (std::size_t i = 0; i < requests.size(); ++i) {
            Handshake handshake = parse_handshake(lines[i]);
            auto& outcome = outcomes[i];
            if (handshake.kind == Handshake::Kind::ok) {
                outcome.started = true;
                outcome.handle.shim = handshake.shim;
                outcome.handle.agent = handshake.agent;
            } else if (handshake.kind == Handshake::Kind::error) {
                outcome.error = "on " + first.host + ": " + handshake.message;
                outcome.exit_status = 127;
            } else {
                outcome.error = "on " + first.host + ": no handshake from agentctl-shim (" +
                                (lines[i].empty() ? launched->err : lines[i]) + ")";
            }
        }
    } catch (const HostError& error) {
        return fail_all(error.what(), error.timed_out());
    } catch (const util::OperationError& error) {
        return fail_all(error.what(), false);
    }
    return outcomes;
}

SshRunner::Remote SshRunner::remote_of(const InstanceHandle& handle) {
    auto launch = handle.run_dir.empty() ? std::nullopt : read_launch_record(handle.run_dir);
    if (!launch) throw util::OperationError("no launch record in " + handle.run_dir + " for the instance on " + handle.host);
    Remote remote;
    remote.request = launch->request;
    remote.target = m_pool->target_for(handle.host.empty() ? remote.request.host : handle.host, remote.request.deployment);
    remote.host = m_pool->host(remote.target);
    return remote;
}

void SshRunner::read_logs(const InstanceHandle& handle, const LogOptions& options,
                          const std::function<void(const LogLine&)>& sink) {
    Remote remote = remote_of(handle);
    const std::string log = remote_log(remote.request);
    std::uint64_t offset = 0;
    std::string partial;
    Clock::time_point last_time{};
    // One read of the log from `offset`: complete lines parsed, the rest kept for the next read.
    auto fetch = [&](std::vector<LogLine>& lines) {
        HostResult result = run_script(*remote.host, follow_log_script(log, offset), remote.target.timeout);
        if (result.timed_out) throw HostError("timed out reading the log on " + describe_target(remote.target), true);
        auto marker = result.out.find("AGENTCTL size ");
        if (marker == std::string::npos) return;
        auto end_of_line = result.out.find('\n', marker);
        if (end_of_line == std::string::npos) return;
        std::uint64_t size = std::stoull(result.out.substr(marker + 14, end_of_line - marker - 14));
        if (size < offset) {  // rotated: start over on the fresh file
            offset = 0;
            partial.clear();
            return;
        }
        partial += result.out.substr(end_of_line + 1);
        offset = size;
        std::size_t start = 0;
        for (auto newline = partial.find('\n'); newline != std::string::npos; newline = partial.find('\n', start)) {
            std::string text = partial.substr(start, newline - start);
            start = newline + 1;
            if (auto line = parse_log_line(text)) {
                last_time = line->time;
                lines.push_back(*line);
            } else {
                lines.push_back(LogLine{last_time, text});
            }
        }
        partial.erase(0, start);
    };
    std::vector<LogLine> lines;
    fetch(lines);
    std::vector<LogLine> selected;
    for (auto& line : lines) {
        if (!options.since || line.time >= *options.since) selected.push_back(std::move(line));
    }
    std::size_t first = options.tail && selected.size() > *options.tail ? selected.size() - *options.tail : 0;
    for (std::size_t i = first; i < selected.size(); ++i) sink(selected[i]);
    if (!options.follow) return;
    while (!(options.stop_following && options.stop_following())) {
        for (auto waited = util::Millis(0); waited < k_follow_poll; waited += util::Millis(50)) {
            if (options.stop_following && options.stop_following()) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        std::vector<LogLine> more;
        fetch(more);
        for (const auto& line : more) sink(line);
    }
}

ExecResult SshRunner::exec(const InstanceHandle& handle, const std::vector<std::string>& argv, util::Millis timeout) {
    ExecResult result;
    try {
        Remote remote = remote_of(handle);
        HostResult ran = run_script(
            *remote.host, exec_script(remote.request.workdir, remote_run_dir(remote.request) + "/env", argv), timeout);
        result.exit_status = ran.exit_status;
        result.output = ran.out + ran.err;
        result.timed_out = ran.timed_out;
    } catch (const std::exception& error) {
        result.output = error.what();
    }
    return result;
}

}  // namespace agentctl::runners
