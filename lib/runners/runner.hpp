#pragma once
// The one interface every runner implements (local processes, SSH hosts, Docker engines):
// start the instances of a wave (batched per host), inspect, read logs, stop, exec.
// No runner library (libssh, the docker CLI) appears in this header.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "spec/job_spec.hpp"
#include "util/process.hpp"

namespace agentctl::runners {

using util::Millis;
using Clock = std::chrono::system_clock;

/// Everything needed to start one instance, fully resolved by the deployer.
struct LaunchRequest {
    std::string job;
    std::string agent;
    std::string instance;                   ///< "id" or "id@host"
    spec::Target target = spec::Target::localhost;
    std::string host;                       ///< plan::PlannedInstance::host
    std::vector<std::string> argv;          ///< final argv ($(VAR) already expanded)
    std::vector<spec::EnvVar> environment;  ///< job-defined environment incl. JOB_ID (secrets flagged)
    std::string workdir;                    ///< absolute (localhost) or as written (remote)
    std::string run_dir;                    ///< per-instance dir for the shim's status and launch files
    std::string log_path;                   ///< where the shim appends the agent's output
    spec::StopSpec stop;
    spec::RestartSpec restart;
    std::string spec_hash;                  ///< the agent's spec hash (Docker labels the container with it)
    std::optional<int> port;                ///< config.port: what the agent listens on
    spec::ResourceSpec resources;           ///< applied to containers; recorded for processes
    /// The agent's `deployment` section (remote: host/user/port/ssh_key/password/files/ssh_timeout;
    /// container: image/network/container_name/volumes/publish/host). Its `environment` is left
    /// empty: the final environment is `environment` above.
    spec::DeploymentSpec deployment;
};

/// Where a started instance lives; what the state records so later commands can find it.
struct InstanceHandle {
    std::string host;
    util::ProcessRef shim;
    util::ProcessRef agent;
    std::string container_id;
    std::string run_dir;
    std::string log_path;
};

/// The result of starting one instance. A start that fails is a value, not an exception.
struct StartOutcome {
    bool started = false;
    InstanceHandle handle;
    std::string error;               ///< why it did not start (exec failed, port taken, ...)
    std::optional<int> exit_status;  ///< when it already exited
    bool timed_out = false;          ///< the runner gave up waiting (told apart from a failure)
};

enum class Liveness { running, exited, missing, unknown };
/// The spelling used in status output ("running", "exited", "missing", "unknown").
const char* liveness_name(Liveness liveness);

/// One exit of an agent and what its supervisor (the shim's restart policy) did about it.
struct ExitEvent {
    int number = 0;                               ///< 1-based, counted over the supervisor's life
    int pid = 0;                                  ///< the agent that exited (0: a restart that could not exec)
    int exit_status = 0;                          ///< the exit code, or 128 + signal
    std::optional<Clock::time_point> exited_at;
    std::string action;                           ///< "restart" | "stop" | "none" | "give-up"
    std::optional<Clock::time_point> restarted_at;
    int new_pid = 0;                              ///< the agent that restart started (0: none yet)
};

/// What inspect found.
struct Inspection {
    Liveness liveness = Liveness::unknown;
    std::optional<int> exit_status;  ///< exited: the exit code, or 128+signal
    std::optional<Clock::time_point> exited_at;
    std::string reason;              ///< unknown/missing: why (host unreachable, no such process)
    /// running: the agent proven running now. After a supervisor restart it differs from the
    /// handle's agent, and callers should record it (identity checks follow the new pid).
    util::ProcessRef agent;
    int restarts = 0;                ///< restarts the supervisor made under the restart policy
    bool restarting = false;         ///< exited, and the supervisor restarts it after its backoff
    bool gave_up = false;            ///< exited, and max_restarts is exhausted: the instance failed
    std::optional<int> last_exit_status;  ///< the latest exit, also after a restart
    std::vector<ExitEvent> exits;    ///< the latest exits the supervisor remembers, oldest first
};

/// How to stop.
struct StopOptions {
    std::string signal = "SIGTERM";
    Millis timeout{10000};
    bool force = false;  ///< SIGKILL at once
};

/// What stop did.
struct StopOutcome {
    bool stopped = false;   ///< the instance is no longer running
    bool killed = false;    ///< it had to be SIGKILLed after the timeout
    bool refused = false;   ///< identity no longer matched: nothing was signalled
    std::string message;
};

/// One log line with the time the shim stamped on it.
struct LogLine {
    Clock::time_point time{};
    std::string text;
};

/// How much of a log to read.
struct LogOptions {
    std::optional<std::size_t> tail;             ///< only the last N lines
    std::optional<Clock::time_point> since;      ///< only lines stamped at or after this
    bool follow = false;                         ///< keep reading until `stop_following()` is true
    std::function<bool()> stop_following;        ///< polled while following
};

/// The result of a command run where the agent runs (exec health checks, preflight).
struct ExecResult {
    int exit_status = -1;
    std::string output;   ///< stdout and stderr, truncated
    bool timed_out = false;
};

/// A reason an instance cannot start, found by preflight.
struct PreflightProblem {
    std::string instance;
    std::string message;  ///< what is wrong and how to fix it
};

/// The interface. Implementations are thread-compatible: the deployer calls one runner from one
/// thread at a time, but separate runners (hosts) may run in parallel.
class Runner {
public:
    virtual ~Runner() = default;

    /// Starts every request (one wave on one host) and returns one outcome per request, in order.
    /// Returns once each instance is started (or failed to), not once it is ready.
    virtual std::vector<StartOutcome> start(const std::vector<LaunchRequest>& requests) = 0;

    /// Checks whether the instance is still running, proving identity (pid + start time).
    virtual Inspection inspect(const InstanceHandle& handle) = 0;

    /// Says that `handles` are about to be inspected one after another, so that a runner paying a
    /// round trip per inspection (SSH) can fetch them all at once. Default: nothing.
    virtual void prefetch_inspect(const std::vector<InstanceHandle>& handles) { (void)handles; }
    /// Whether prefetch_inspect does anything: callers that would build handles only to hand
    /// them over (the monitor, every second) skip it when not.
    virtual bool prefetches_inspections() const { return false; }

    /// Stops the instance: `signal` to its process group, wait `timeout`, then SIGKILL; refuses to
    /// signal anything whose identity no longer matches.
    virtual StopOutcome stop(const InstanceHandle& handle, const StopOptions& options) = 0;

    /// Reads the instance's log lines, oldest first, into `sink`.
    virtual void read_logs(const InstanceHandle& handle, const LogOptions& options,
                           const std::function<void(const LogLine&)>& sink) = 0;

    /// Runs `argv` where the instance runs (same host / container), with a timeout.
    virtual ExecResult exec(const InstanceHandle& handle, const std::vector<std::string>& argv, Millis timeout) = 0;

    /// Checks, before anything of a deploy starts, that `requests` can start where they would
    /// run (DESIGN.md §2 "Preflight": the command or module resolvable, the image present, the
    /// local port free). One problem per finding, each naming the instance and how to fix it.
    /// Skipped with `deploy --skip-preflight`. Default: nothing to check.
    virtual std::vector<PreflightProblem> preflight(const std::vector<LaunchRequest>& requests) {
        (void)requests;
        return {};
    }

    /// Called once every instance of `job` on this runner has been stopped by a whole-job stop:
    /// drop what the runner made for the job (Docker: the job network it created). Default: none.
    virtual void release_job(const std::string& job) { (void)job; }
};

/// What every runner may need from the environment of this agentctl run.
struct RunnerContext {
    std::string state_dir;
    std::string shim_path;       ///< the agentctl-shim executable
    bool dry_run = false;
    // SSH (remote agents, and containers on a remote engine)
    std::string known_hosts;     ///< --known-hosts / $AGENTCTL_KNOWN_HOSTS; empty: ~/.ssh/known_hosts
    std::string ssh_config;      ///< --ssh-config / $AGENTCTL_SSH_CONFIG; empty: ~/.ssh/config
    bool accept_new_host_keys = false;  ///< --accept-new-host-keys (OpenSSH's accept-new)
    int parallel = 16;           ///< --parallel: hosts acted on at once
    /// A long-lived caller (the monitor) that inspects the same instances again and again:
    /// runners may keep what makes that cheap (pidfds of proven processes, parsed status files).
    bool watch = false;
};

/// A runner for `target`, from the kind -> factory table (runners/registry.cpp). Throws
/// util::OperationError naming the target when agentctl cannot run it yet (e.g. kubernetes).
std::unique_ptr<Runner> make_runner(spec::Target target, const RunnerContext& context);

}  // namespace agentctl::runners
