#pragma once
// A foreground monitor of one job, shared by `agentctl monitor JOB` and `deploy --monitor`:
// the one-monitor-per-job lease, the /metrics server, the report lines, SIGINT/SIGTERM.

#include <memory>
#include <string>

namespace agentctl::deploy {
class MonitorMetrics;
}

namespace agentctl::cli {

class DeployContext;
struct GlobalOptions;

/// How the foreground monitor reports and serves.
struct MonitorSessionOptions {
    std::string job;
    std::string progress = "auto";  ///< auto | console | plain | json (report lines on stdout)
    std::string metrics_addr;       ///< empty: no /metrics server
    std::string lock_wait;          ///< how long a restart waits for the job lock (default 5s)
};

/// Throws util::UsageError for a bad --progress or --metrics-addr before anything starts.
void check_monitor_options(const MonitorSessionOptions& options);

/// Takes the job's monitor lease (state::LockedError, exit 3, when a live monitor holds it),
/// serves /metrics, and watches the job until SIGINT or SIGTERM; returns 0 then (the agents keep
/// running). `metrics` may already hold figures (deploy stage durations); null: a fresh one.
int run_monitor_session(DeployContext& context, const GlobalOptions& globals, const MonitorSessionOptions& options,
                        std::shared_ptr<deploy::MonitorMetrics> metrics);

}  // namespace agentctl::cli
