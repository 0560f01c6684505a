#pragma once
// The runner for agents on this machine: one agentctl-shim per agent (DESIGN.md §4 "Local").

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "runners/runner.hpp"
#include "runners/shim_status.hpp"
#include "util/process_watch.hpp"

namespace agentctl::runners {

/// Knobs of the local runner (the defaults are what agentctl uses; tests shorten them).
struct LocalRunnerOptions {
    util::Millis handshake_timeout{10000};    ///< how long a batch waits for its shims' handshakes
    std::uint64_t log_max_bytes = 10485760;   ///< the shim's --log-max-bytes
    int log_keep = 3;                         ///< the shim's --log-keep
    util::Millis shim_exit_wait{3000};        ///< after the agent is gone, for the shim to record it
};

/// Starts agents through agentctl-shim, identity-checks them by pid + start time, stops them by
/// signalling their process group, reads the shim's logs, and runs commands locally.
class LocalRunner : public Runner {
public:
    /// A runner that starts `context.shim_path`.
    explicit LocalRunner(RunnerContext context, LocalRunnerOptions options = {});

    std::vector<StartOutcome> start(const std::vector<LaunchRequest>& requests) override;
    Inspection inspect(const InstanceHandle& handle) override;
    StopOutcome stop(const InstanceHandle& handle, const StopOptions& options) override;
    void read_logs(const InstanceHandle& handle, const LogOptions& options,
                   const std::function<void(const LogLine&)>& sink) override;
    ExecResult exec(const InstanceHandle& handle, const std::vector<std::string>& argv, util::Millis timeout) override;
    /// Commands resolvable, modules importable, workdirs present, ports free (local_preflight).
    std::vector<PreflightProblem> preflight(const std::vector<LaunchRequest>& requests) override;

private:
    StopOutcome stop_running(const InstanceHandle& handle, const StopOptions& options, int signal);
    // Inspection's reads, through the caches when the context asks to watch.
    bool alive(const util::ProcessRef& process);
    std::optional<ShimStatus> status_at(const std::string& path);

    RunnerContext m_context;
    LocalRunnerOptions m_options;
    std::unique_ptr<util::ProcessWatch> m_watch;      // only when m_context.watch
    std::unique_ptr<ShimStatusCache> m_status_cache;  // only when m_context.watch
};

/// The agentctl-shim to use: next to the running executable (/proc/self/exe), else the first
/// one on PATH; empty when there is none.
std::string find_shim_executable();

}  // namespace agentctl::runners
