#pragma once
// The runner for agents on SSH hosts (DESIGN.md §4 "SSH"): one shared session per host, the
// agentctl-shim uploaded once per host (content-addressed), all instances of one start call on
// one host launched by one remote script, hosts handled in parallel up to --parallel.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "runners/runner.hpp"

namespace agentctl::runners {

class SshHostPool;
class SshHost;
struct SshTarget;

/// Starts, inspects, stops and reads the logs of remote agents through agentctl-shim on their
/// hosts; remote files live under <remote-state>/<job>/<instance>/ (remote state dir:
/// $XDG_STATE_HOME/agentctl, else ~/.local/state/agentctl, on the host).
class SshRunner : public Runner {
public:
    /// A runner reaching hosts as `context` says (ssh_config, known_hosts, accept-new, parallel).
    explicit SshRunner(RunnerContext context);
    ~SshRunner() override;

    std::vector<StartOutcome> start(const std::vector<LaunchRequest>& requests) override;
    Inspection inspect(const InstanceHandle& handle) override;
    void prefetch_inspect(const std::vector<InstanceHandle>& handles) override;
    bool prefetches_inspections() const override { return true; }
    StopOutcome stop(const InstanceHandle& handle, const StopOptions& options) override;
    void read_logs(const InstanceHandle& handle, const LogOptions& options,
                   const std::function<void(const LogLine&)>& sink) override;
    ExecResult exec(const InstanceHandle& handle, const std::vector<std::string>& argv, util::Millis timeout) override;
    /// Per host, one script: each instance's working directory exists and its command (or
    /// interpreter and module) resolves there; an unreachable host is a problem for each of its
    /// instances.
    std::vector<PreflightProblem> preflight(const std::vector<LaunchRequest>& requests) override;

    struct Remote;

private:
    struct Watched;
    struct Cached;
    /// Inspects every instance inspected lately, one script per host, hosts in parallel
    /// (ssh_inspect.cpp).
    void inspect_batch();
    /// Started instances count as inspected (alive) now: the deployer's first look is free.
    void remember_started(const std::vector<StartOutcome>& outcomes);
    /// Drops what is known of `handle` (before stopping it).
    void forget(const InstanceHandle& handle);
    std::vector<StartOutcome> start_on_host(const std::vector<const LaunchRequest*>& requests);
    /// The host and paths of a recorded instance; throws HostError / util::OperationError.
    Remote remote_of(const InstanceHandle& handle);
    void upload_shim(SshHost& host, const std::string& state_dir);
    const std::string& shim_name();

    RunnerContext m_context;
    std::unique_ptr<SshHostPool> m_pool;
    std::mutex m_shim_mutex;
    std::string m_shim_name;     ///< agentctl-shim-<sha256 prefix>
    std::string m_shim_content;
    // Inspections are batched: a deployer that inspects N instances one after another costs one
    // round trip per host, not N. A cached result is handed out only when it was fetched after
    // the previous inspect of the same instance returned, so no caller sees an older state than
    // it already knew.
    std::mutex m_inspect_mutex;
    std::map<std::string, std::shared_ptr<Watched>> m_watched;
    std::map<std::string, std::shared_ptr<Cached>> m_cached;
};

}  // namespace agentctl::runners
