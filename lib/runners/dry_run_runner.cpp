#include "runners/dry_run_runner.hpp"

namespace agentctl::runners {

namespace {

std::string join(const std::vector<std::string>& words) {
    std::string text;
    for (const auto& word : words) {
        if (!text.empty()) text += ' ';
        text += word;
    }
    return text;
}

}  // namespace

DryRunRunner::DryRunRunner(spec::Target target) : m_target(target) {}

std::vector<StartOutcome> DryRunRunner::start(const std::vector<LaunchRequest>& requests) {
    std::vector<StartOutcome> outcomes;
    for (const auto& request : requests) {
        std::vector<std::string> names;
        for (const auto& var : request.environment) names.push_back(var.name);
        std::string detail = join(request.argv);
        if (!names.empty()) detail += " (environment: " + join(names) + ")";
        record({"start", request.instance, detail});
        StartOutcome outcome;
        outcome.started = true;
        outcomes.push_back(outcome);
    }
    return outcomes;
}

Inspection DryRunRunner::inspect(const InstanceHandle& handle) {
    record({"inspect", handle.run_dir, ""});
    Inspection inspection;
    inspection.liveness = Liveness::running;
    inspection.reason = "dry run";
    return inspection;
}

StopOutcome DryRunRunner::stop(const InstanceHandle& handle, const StopOptions& options) {
    record({"stop", handle.run_dir, options.force ? "SIGKILL" : options.signal});
    StopOutcome outcome;
    outcome.stopped = true;
    outcome.message = "dry run";
    return outcome;
}

void DryRunRunner::read_logs(const InstanceHandle& handle, const LogOptions&,
                             const std::function<void(const LogLine&)>&) {
    record({"logs", handle.run_dir, ""});
}

ExecResult DryRunRunner::exec(const InstanceHandle& handle, const std::vector<std::string>& argv, util::Millis) {
    record({"exec", handle.run_dir, join(argv)});
    ExecResult result;
    result.exit_status = 0;
    return result;
}

std::vector<DryRunAction> DryRunRunner::actions() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_actions;
}

void DryRunRunner::record(DryRunAction action) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_actions.push_back(std::move(action));
}

}  // namespace agentctl::runners
