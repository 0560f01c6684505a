#pragma once
// The runner of `deploy --dry-run`: records what it would do and does nothing. It prints
// nothing itself; the deployer's observer reports each step.

#include <mutex>
#include <string>
#include <vector>

#include "runners/runner.hpp"

namespace agentctl::runners {

/// One thing a dry run would have done.
struct DryRunAction {
    std::string verb;      ///< "start", "inspect", "stop", "logs", "exec"
    std::string instance;  ///< the request's instance (start), else the handle's run dir
    std::string detail;    ///< argv, signal ...; environment names only, never values
};

/// A runner that starts nothing: start() reports every request started with an empty handle.
class DryRunRunner : public Runner {
public:
    /// A dry-run runner standing in for the runner of `target`.
    explicit DryRunRunner(spec::Target target = spec::Target::localhost);

    std::vector<StartOutcome> start(const std::vector<LaunchRequest>& requests) override;
    /// Reports running: a dry run proceeds as if everything had started.
    Inspection inspect(const InstanceHandle& handle) override;
    StopOutcome stop(const InstanceHandle& handle, const StopOptions& options) override;
    void read_logs(const InstanceHandle& handle, const LogOptions& options,
                   const std::function<void(const LogLine&)>& sink) override;
    ExecResult exec(const InstanceHandle& handle, const std::vector<std::string>& argv, util::Millis timeout) override;

    /// The target this runner stands in for.
    spec::Target target() const { return m_target; }
    /// Everything recorded so far, in call order.
    std::vector<DryRunAction> actions() const;

private:
    void record(DryRunAction action);

    spec::Target m_target;
    mutable std::mutex m_mutex;
    std::vector<DryRunAction> m_actions;
};

}  // namespace agentctl::runners
