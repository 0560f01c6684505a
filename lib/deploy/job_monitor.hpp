#pragma once
// JobMonitor: the optional loop that watches one job (DESIGN.md §1 "JobMonitor"): every instance
// checked at its health interval (identity-proven liveness, then its health check, all due
// checks of a round at once through one HealthProber), `retries` consecutive failures make a
// healthy instance unhealthy, an unhealthy instance is restarted as its restart policy says
// (the job lock taken for each restart, and the job's desired state re-read under it, so a
// `stop` is never undone), exits of instances without a shim (containers: Docker's own restart
// stays off) restarted as their policy says, after its backoff; exits and restarts the shims
// made on their own recorded as events,
// one report per state change, Prometheus metrics kept up to date.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "deploy/live_status.hpp"
#include "deploy/monitor_metrics.hpp"
#include "runners/health_probe.hpp"
#include "runners/runner.hpp"
#include "state/state_store.hpp"

namespace agentctl::runners {
class HealthProber;
}

namespace agentctl::deploy {

/// One state change of one instance, as the monitor reports it.
struct MonitorChange {
    std::string job;
    std::string agent;
    std::string instance;
    /// healthy | running | unhealthy | exited | restarting | restarted | failed | stopped | missing | unknown
    std::string state;
    std::string detail;  ///< "HTTP 503", "exited with status 137", "by its shim as pid 4242 (restart 1)"
};

/// Receives the monitor's reports; implementations must not throw.
class MonitorReporter {
public:
    virtual ~MonitorReporter() = default;
    /// One instance changed state.
    virtual void change(const MonitorChange& change) = 0;
    /// Free text (a restart that could not be made, the job gone).
    virtual void note(const std::string& text) = 0;
};

/// How the monitor runs.
struct MonitorOptions {
    std::string job;
    std::function<bool()> stop_requested;  ///< polled between rounds (and during checks)
    util::Millis lock_wait{5000};          ///< how long a restart waits for the job lock
    util::Millis tick{100};                ///< the shortest pause between two rounds
};

/// Watches one job until asked to stop.
class JobMonitor {
public:
    /// Binds the parts (all outlive it); `metrics` may be null.
    JobMonitor(state::StateStore& store, std::string state_dir, RunnerSource runners, runners::HealthProber& prober,
               MonitorReporter& reporter, MonitorMetrics* metrics);

    /// Runs rounds until `options.stop_requested()`; returns normally (the agents keep running).
    void run(const MonitorOptions& options);

    /// One round: checks every instance whose check is due now. Returns false once the job is
    /// no longer recorded.
    bool round(const MonitorOptions& options);

private:
    /// What the monitor remembers about one instance between rounds.
    struct Tracked {
        std::string agent;               ///< the agent id (the metrics' label)
        util::ProcessRef shim;           ///< the incarnation this is about (a replaced one starts afresh)
        std::string container_id;
        std::string state;               ///< the last state reported (empty: none yet)
        std::string detail;
        int failures = 0;                ///< consecutive failed checks
        int exits_seen = 0;              ///< the shim's exit numbers already reported
        int restarts_seen = 0;
        std::chrono::steady_clock::time_point next_due{};
        spec::HealthSpec health;
        spec::RestartSpec restart;
        bool have_launch = false;
        /// An exit the monitor restarts itself (instances without a shim: containers), due then.
        std::optional<std::chrono::steady_clock::time_point> exit_restart_at;
        int exit_restarts_in_a_row = 0;  ///< the backoff's exponent for those restarts
        /// Until then failing checks do not count: an incarnation recorded "starting" (a monitor
        /// restart) has its `start_period` to become ready, as a deploy would give it.
        std::chrono::steady_clock::time_point grace_until{};
        runners::ProbeRequest probe;     ///< the health check, built once per incarnation and URL
        std::string probe_base_url;
        MonitorMetrics::Slot metrics = nullptr;  ///< its metrics, found once per incarnation
    };
    /// One recorded instance as last read, with what checking it needs each round.
    struct Watched {
        state::InstanceRecord record;
        runners::InstanceHandle handle;  ///< handle_of(record), built when the row is read
        Tracked* tracked = nullptr;      ///< in m_tracked (std::map nodes never move)
    };

    void report(const state::InstanceRecord& record, Tracked& tracked, const std::string& state,
                const std::string& detail);
    bool restart_instance(const MonitorOptions& options, const state::InstanceRecord& record, Tracked& tracked,
                          const std::string& why);
    void update_metrics(const state::InstanceRecord& record, const Tracked& tracked, bool up);
    /// Reads the job's rows again when the state changed since the last read.
    void refresh(const MonitorOptions& options);

    state::StateStore& m_store;
    std::string m_state_dir;
    RunnerSource m_runners;
    runners::HealthProber& m_prober;
    MonitorReporter& m_reporter;
    MonitorMetrics* m_metrics;
    std::map<std::string, Tracked> m_tracked;  ///< by instance name
    // The job's rows as last read, and the state's version then (data_version, this process's
    // commits): read again only when the state changed, not every round.
    std::optional<std::pair<std::int64_t, std::uint64_t>> m_read_at;
    bool m_job_recorded = false;
    std::vector<Watched> m_watched;
};

}  // namespace agentctl::deploy
