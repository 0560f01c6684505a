#include <chrono>
#include <map>
#include <mutex>

#include "runners/shim_status.hpp"
#include "runners/ssh_runner.hpp"
#include "runners/ssh_runner_support.hpp"
#include "runners/ssh_scripts.hpp"

// Batched inspection (the rule is in ssh_runner.hpp): every instance inspected lately, one
// script per host, hosts in parallel.

namespace agentctl::runners {

namespace {

// An instance not inspected for this long is left out of inspection batches.
constexpr util::Millis k_watch_expiry{30000};
// A batched inspection older than this is never handed out.
constexpr util::Millis k_cache_life{10000};
using SteadyClock = std::chrono::steady_clock;

}  // namespace

namespace {

std::string watch_key(const InstanceHandle& handle) { return handle.host + "|" + handle.run_dir; }

bool same_process(const util::ProcessRef& a, const util::ProcessRef& b) {
    return a.pid == b.pid && a.start_time == b.start_time;
}

// What one instance's lines of the inspect script prove, as LocalRunner::inspect judges it
// locally: `state` of the recorded agent, `shim_state` of its shim, the status file's text, and
// `current` ("<pid> <start>": the live start time of the agent pid the status file names).
Inspection inspection_of(const InstanceHandle& handle, const std::string& state, const std::string& shim_state,
                         const std::string& status_text, const std::string& current) {
    auto status = parse_shim_status(status_text);
    // The status file speaks for this instance when it names the recorded shim (the shim may
    // since have restarted the agent) or the recorded agent.
    const bool same_shim = status && !handle.shim.empty() && same_process(status->shim, handle.shim);
    const bool describes = status && (same_shim || handle.agent.empty() || same_process(status->agent, handle.agent));
    auto with_restarts = [&](Inspection inspection) {
        if (describes) apply_restart_info(*status, inspection);
        return inspection;
    };
    Inspection inspection;
    if (state == "alive") {
        inspection.liveness = Liveness::running;
        inspection.agent = handle.agent;
        return with_restarts(inspection);
    }
    if (describes) {
        // Restarted by the shim: followed only once the new agent's own pid + start time match.
        const std::string proven = std::to_string(status->agent.pid) + " " + std::to_string(status->agent.start_time);
        if (same_shim && !status->exited && status->restarts > 0 && status->agent.pid != handle.agent.pid &&
            current == proven) {
            inspection.liveness = Liveness::running;
            inspection.agent = status->agent;
            return with_restarts(inspection);
        }
        if ((status->restarting && shim_state == "alive") || (status->exited && !status->restarting)) {
            return with_restarts(exited_inspection(*status));
        }
        inspection.liveness = Liveness::exited;
        inspection.reason = "the agent (pid " + std::to_string(handle.agent.pid) + " on " + handle.host +
                            ") is gone and its shim recorded no exit";
        return with_restarts(inspection);
    }
    inspection.liveness = Liveness::missing;
    inspection.reason = "no process " + std::to_string(handle.agent.pid) + " with the recorded start time on " +
                        handle.host + ", and no status file";
    return inspection;
}

}  // namespace

struct SshRunner::Watched {
    InstanceHandle handle;
    SteadyClock::time_point last_asked{};
    SteadyClock::time_point last_returned{};
};

struct SshRunner::Cached {
    Inspection inspection;
    SteadyClock::time_point fetched_at{};
};

void SshRunner::inspect_batch() {
    const auto fetched_at = SteadyClock::now();
    std::map<std::string, std::vector<std::shared_ptr<Watched>>> by_host;
    for (auto it = m_watched.begin(); it != m_watched.end();) {
        if (fetched_at - it->second->last_asked > k_watch_expiry) {
            it = m_watched.erase(it);
            continue;
        }
        by_host[it->second->handle.host].push_back(it->second);
        ++it;
    }
    std::vector<std::vector<std::shared_ptr<Watched>>> groups;
    for (auto& [host, watched] : by_host) groups.push_back(std::move(watched));
    std::vector<std::vector<Inspection>> results(groups.size());
    run_parallel(groups.size(), m_context.parallel, [&](std::size_t g) {
        auto& group = groups[g];
        auto& out = results[g];
        out.resize(group.size());
        try {
            std::vector<RemoteInspect> instances;
            std::optional<Remote> remote;
            for (const auto& watched : group) {
                Remote one = remote_of(watched->handle);
                instances.push_back({watched->handle.agent, watched->handle.shim, remote_run_dir(one.request) + "/status.json"});
                if (!remote) remote = std::move(one);
            }
            HostResult result = run_script(*remote->host, inspect_script(instances), remote->target.timeout);
            if (result.timed_out) throw HostError("timed out asking " + describe_target(remote->target), true);
            auto answer = parse_answer(result.out);
            for (std::size_t k = 0; k < group.size(); ++k) {
                std::string index = std::to_string(k);
                out[k] = inspection_of(group[k]->handle, answer["i" + index], answer["h" + index], answer["s" + index],
                                       answer["c" + index]);
            }
        } catch (const std::exception& error) {
            for (auto& inspection : out) {
                inspection.liveness = Liveness::unknown;
                inspection.reason = error.what();
            }
        }
    });
    for (std::size_t g = 0; g < groups.size(); ++g) {
        for (std::size_t k = 0; k < groups[g].size(); ++k) {
            auto cached = std::make_shared<Cached>();
            cached->inspection = results[g][k];
            cached->fetched_at = fetched_at;
            m_cached[watch_key(groups[g][k]->handle)] = cached;
        }
    }
}

void SshRunner::prefetch_inspect(const std::vector<InstanceHandle>& handles) {
    std::lock_guard<std::mutex> lock(m_inspect_mutex);
    for (const auto& handle : handles) {
        auto& watched = m_watched[watch_key(handle)];
        if (!watched) watched = std::make_shared<Watched>();
        watched->handle = handle;
        watched->last_asked = SteadyClock::now();
    }
    inspect_batch();
}

Inspection SshRunner::inspect(const InstanceHandle& handle) {
    std::lock_guard<std::mutex> lock(m_inspect_mutex);
    const std::string key = watch_key(handle);
    auto& watched = m_watched[key];
    if (!watched) watched = std::make_shared<Watched>();
    watched->handle = handle;
    watched->last_asked = SteadyClock::now();
    auto cached = m_cached.find(key);
    const bool fresh = cached != m_cached.end() && cached->second->fetched_at > watched->last_returned &&
                       SteadyClock::now() - cached->second->fetched_at < k_cache_life;
    if (!fresh) inspect_batch();
    Inspection inspection = m_cached.count(key) ? m_cached[key]->inspection : Inspection{};
    auto again = m_watched.find(key);
    if (again != m_watched.end()) again->second->last_returned = SteadyClock::now();
    return inspection;
}

void SshRunner::remember_started(const std::vector<StartOutcome>& outcomes) {
    std::lock_guard<std::mutex> lock(m_inspect_mutex);
    for (const auto& outcome : outcomes) {
        if (!outcome.started) continue;
        auto& watched = m_watched[watch_key(outcome.handle)];
        if (!watched) watched = std::make_shared<Watched>();
        watched->handle = outcome.handle;
        watched->last_asked = SteadyClock::now();
        // Its handshake just proved it alive: the first inspection needs no round trip.
        auto cached = std::make_shared<Cached>();
        cached->inspection.liveness = Liveness::running;
        cached->fetched_at = SteadyClock::now();
        m_cached[watch_key(outcome.handle)] = cached;
    }
}

void SshRunner::forget(const InstanceHandle& handle) {
    std::lock_guard<std::mutex> lock(m_inspect_mutex);
    m_cached.erase(watch_key(handle));
    m_watched.erase(watch_key(handle));
}

}  // namespace agentctl::runners
