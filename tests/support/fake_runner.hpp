#pragma once
// FakeRunner: a scriptable Runner for the deployer's unit tests. Each instance can be told to
// fail its start, time out, exit after N inspections, never become healthy, refuse to stop or
// need a SIGKILL; every call is recorded. Nothing is started: processes are bookkeeping only.
// Uses nothing but runner.hpp's plain types, so it links into every layer's test binary.

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "runners/runner.hpp"

namespace agentctl::test {

/// How one instance behaves (by instance name; instances without a script behave well).
struct FakeScript {
    bool start_fails = false;                     ///< start() reports started=false with `start_error`
    std::string start_error = "scripted start failure";
    std::optional<int> start_exit_status;         ///< the exit status reported with a failed start
    bool start_times_out = false;                 ///< start() reports timed_out=true
    std::optional<int> exits_after_inspections;   ///< running for N inspections, then exited
    int exit_status = 1;                          ///< what an exit (scripted or kill()) reports
    bool never_healthy = false;                   ///< healthy() stays false; exec() fails
    bool stop_refused = false;                    ///< stop() refuses (identity mismatch)
    bool stop_needs_kill = false;                 ///< stop() reports killed=true (ignored the signal)
    std::vector<std::string> log_lines;           ///< what read_logs() returns
    runners::ExecResult exec_result{0, "", false};  ///< what exec() returns when healthy
};

/// One call the runner received.
struct FakeCall {
    std::string verb;                 ///< "start", "inspect", "stop", "logs", "exec"
    std::string instance;             ///< the instance the call was about ("" if unknown)
    runners::LaunchRequest request;   ///< start: the request
    runners::StopOptions stop;        ///< stop: the options
    std::vector<std::string> argv;    ///< exec: the command
};

/// The scriptable fake. Thread-safe.
class FakeRunner : public runners::Runner {
public:
    /// Sets how `instance` behaves from now on (its next start, inspections, stops ...).
    void script(const std::string& instance, FakeScript script);

    std::vector<runners::StartOutcome> start(const std::vector<runners::LaunchRequest>& requests) override;
    runners::Inspection inspect(const runners::InstanceHandle& handle) override;
    runners::StopOutcome stop(const runners::InstanceHandle& handle, const runners::StopOptions& options) override;
    void read_logs(const runners::InstanceHandle& handle, const runners::LogOptions& options,
                   const std::function<void(const runners::LogLine&)>& sink) override;
    runners::ExecResult exec(const runners::InstanceHandle& handle, const std::vector<std::string>& argv,
                             util::Millis timeout) override;

    /// Every call so far, in order.
    std::vector<FakeCall> calls() const;
    /// The instances named by the calls of `verb`, in order (e.g. the start order).
    std::vector<std::string> instances_of(const std::string& verb) const;
    /// True while the latest start of `instance` is running and not scripted never_healthy.
    bool healthy(const std::string& instance) const;
    /// True while the latest start of `instance` is running.
    bool running(const std::string& instance) const;
    /// The instance a handle belongs to ("" when the handle is not one of this runner's).
    std::string instance_of(const runners::InstanceHandle& handle) const;
    /// Makes the running `instance` exit now with `exit_status` (a crash).
    void crash(const std::string& instance, int exit_status);
    /// How many times `instance` was started successfully.
    int starts_of(const std::string& instance) const;

private:
    struct FakeProcess {
        std::string instance;
        bool alive = true;
        int inspections = 0;
        std::optional<int> exit_status;
    };

    FakeScript script_of(const std::string& instance) const;
    FakeProcess* process_of(const runners::InstanceHandle& handle);
    const FakeProcess* latest_of(const std::string& instance) const;

    mutable std::mutex m_mutex;
    std::map<std::string, FakeScript> m_scripts;
    std::map<int, FakeProcess> m_processes;   ///< by fake pid
    std::map<std::string, int> m_latest;      ///< instance -> pid of its latest start
    std::vector<FakeCall> m_calls;
    int m_next_pid = 100000;
};

}  // namespace agentctl::test
