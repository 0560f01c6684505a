#include "support/fake_runner.hpp"

#include <algorithm>

namespace agentctl::test {

void FakeRunner::script(const std::string& instance, FakeScript script) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_scripts[instance] = std::move(script);
}

FakeScript FakeRunner::script_of(const std::string& instance) const {
    auto found = m_scripts.find(instance);
    return found == m_scripts.end() ? FakeScript{} : found->second;
}

FakeRunner::FakeProcess* FakeRunner::process_of(const runners::InstanceHandle& handle) {
    auto found = m_processes.find(handle.agent.pid);
    if (found == m_processes.end()) return nullptr;
    // The fake start time is the pid's serial: a handle with another one is "a recycled pid".
    if (handle.agent.start_time != static_cast<std::uint64_t>(handle.agent.pid)) return nullptr;
    return &found->second;
}

const FakeRunner::FakeProcess* FakeRunner::latest_of(const std::string& instance) const {
    auto latest = m_latest.find(instance);
    if (latest == m_latest.end()) return nullptr;
    return &m_processes.at(latest->second);
}

std::vector<runners::StartOutcome> FakeRunner::start(const std::vector<runners::LaunchRequest>& requests) {
    std::lock_guard<std::mutex> lock(m_mutex);
    std::vector<runners::StartOutcome> outcomes;
    for (const auto& request : requests) {
        FakeCall call;
        call.verb = "start";
        call.instance = request.instance;
        call.request = request;
        m_calls.push_back(call);
        FakeScript script = script_of(request.instance);
        runners::StartOutcome outcome;
        outcome.handle.host = "127.0.0.1";
        outcome.handle.run_dir = request.run_dir;
        outcome.handle.log_path = request.log_path;
        if (script.start_times_out) {
            outcome.timed_out = true;
            outcome.error = "scripted start timeout";
        } else if (script.start_fails) {
            outcome.error = script.start_error;
            outcome.exit_status = script.start_exit_status;
        } else {
            int pid = m_next_pid++;
            int shim = m_next_pid++;
            outcome.started = true;
            outcome.handle.agent = util::ProcessRef{pid, static_cast<std::uint64_t>(pid)};
            outcome.handle.shim = util::ProcessRef{shim, static_cast<std::uint64_t>(shim)};
            m_processes[pid] = FakeProcess{request.instance, true, 0, std::nullopt};
            m_latest[request.instance] = pid;
        }
        outcomes.push_back(outcome);
    }
    return outcomes;
}

runners::Inspection FakeRunner::inspect(const runners::InstanceHandle& handle) {
    std::lock_guard<std::mutex> lock(m_mutex);
    FakeProcess* process = process_of(handle);
    FakeCall call;
    call.verb = "inspect";
    call.instance = process ? process->instance : "";
    m_calls.push_back(call);
    runners::Inspection inspection;
    if (!process) {
        inspection.liveness = runners::Liveness::missing;
        inspection.reason = "no such fake process";
        return inspection;
    }
    FakeScript script = script_of(process->instance);
    if (process->alive) {
        ++process->inspections;
        if (script.exits_after_inspections && process->inspections > *script.exits_after_inspections) {
            process->alive = false;
            process->exit_status = script.exit_status;
        }
    }
    if (process->alive) {
        inspection.liveness = runners::Liveness::running;
    } else {
        inspection.liveness = runners::Liveness::exited;
        inspection.exit_status = process->exit_status;
        inspection.exited_at = runners::Clock::now();
    }
    return inspection;
}

runners::StopOutcome FakeRunner::stop(const runners::InstanceHandle& handle, const runners::StopOptions& options) {
    std::lock_guard<std::mutex> lock(m_mutex);
    FakeProcess* process = process_of(handle);
    FakeCall call;
    call.verb = "stop";
    call.instance = process ? process->instance : "";
    call.stop = options;
    m_calls.push_back(call);
    runners::StopOutcome outcome;
    if (!process) {
        outcome.stopped = true;
        outcome.message = "already exited";
        return outcome;
    }
    FakeScript script = script_of(process->instance);
    if (script.stop_refused) {
        outcome.refused = true;
        outcome.message = "scripted refusal: identity no longer matches";
        return outcome;
    }
    if (!process->alive) {
        outcome.stopped = true;
        outcome.message = "already exited";
        return outcome;
    }
    outcome.killed = options.force || script.stop_needs_kill;
    outcome.stopped = true;
    process->alive = false;
    process->exit_status = outcome.killed ? 137 : 143;
    return outcome;
}

void FakeRunner::read_logs(const runners::InstanceHandle& handle, const runners::LogOptions& options,
                           const std::function<void(const runners::LogLine&)>& sink) {
    std::vector<std::string> lines;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        FakeProcess* process = process_of(handle);
        FakeCall call;
        call.verb = "logs";
        call.instance = process ? process->instance : "";
        m_calls.push_back(call);
        if (process) lines = script_of(process->instance).log_lines;
    }
    std::size_t first = 0;
    if (options.tail && *options.tail < lines.size()) first = lines.size() - *options.tail;
    for (std::size_t i = first; i < lines.size(); ++i) sink(runners::LogLine{runners::Clock::now(), lines[i]});
}

runners::ExecResult FakeRunner::exec(const runners::InstanceHandle& handle, const std::vector<std::string>& argv,
                                     util::Millis) {
    std::lock_guard<std::mutex> lock(m_mutex);
    FakeProcess* process = process_of(handle);
    FakeCall call;
    call.verb = "exec";
    call.instance = process ? process->instance : "";
    call.argv = argv;
    m_calls.push_back(call);
    if (!process || !process->alive) return runners::ExecResult{127, "not running", false};
    FakeScript script = script_of(process->instance);
    if (script.never_healthy) return runners::ExecResult{1, "scripted: never healthy", false};
    return script.exec_result;
}

std::vector<FakeCall> FakeRunner::calls() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_calls;
}

std::vector<std::string> FakeRunner::instances_of(const std::string& verb) const {
    std::lock_guard<std::mutex> lock(m_mutex);
    std::vector<std::string> names;
    for (const auto& call : m_calls) {
        if (call.verb == verb) names.push_back(call.instance);
    }
    return names;
}

bool FakeRunner::healthy(const std::string& instance) const {
    std::lock_guard<std::mutex> lock(m_mutex);
    const FakeProcess* process = latest_of(instance);
    return process && process->alive && !script_of(instance).never_healthy;
}

bool FakeRunner::running(const std::string& instance) const {
    std::lock_guard<std::mutex> lock(m_mutex);
    const FakeProcess* process = latest_of(instance);
    return process && process->alive;
}

std::string FakeRunner::instance_of(const runners::InstanceHandle& handle) const {
    std::lock_guard<std::mutex> lock(m_mutex);
    auto found = m_processes.find(handle.agent.pid);
    return found == m_processes.end() ? std::string() : found->second.instance;
}

void FakeRunner::crash(const std::string& instance, int exit_status) {
    std::lock_guard<std::mutex> lock(m_mutex);
    auto latest = m_latest.find(instance);
    if (latest == m_latest.end()) return;
    FakeProcess& process = m_processes.at(latest->second);
    process.alive = false;
    process.exit_status = exit_status;
}

int FakeRunner::starts_of(const std::string& instance) const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return static_cast<int>(std::count_if(m_processes.begin(), m_processes.end(),
                                          [&](const auto& entry) { return entry.second.instance == instance; }));
}

}  // namespace agentctl::test
