#include "deploy/live_status.hpp"

#include <map>

#include "runners/launch_record.hpp"
#include "runners/health_probe.hpp"

namespace agentctl::deploy {

runners::InstanceHandle handle_of(const state::InstanceRecord& record) {
    runners::InstanceHandle handle;
    handle.host = record.host;
    handle.shim = record.shim;
    handle.agent = record.agent_process;
    handle.container_id = record.container_id;
    handle.run_dir = record.run_dir;
    handle.log_path = record.log_path;
    return handle;
}

spec::Target target_of(const state::InstanceRecord& record) {
    if (record.target == "remote") return spec::Target::remote;
    if (record.target == "container") return spec::Target::container;
    if (record.target == "kubernetes") return spec::Target::kubernetes;
    return spec::Target::localhost;
}

namespace {

// The status of an instance that is not running, from what the state says was intended.
std::string status_when_down(const state::InstanceRecord& record, const runners::Inspection& inspection) {
    if (record.status == "stopped" || record.status == "stopping") return "stopped";
    if (inspection.liveness == runners::Liveness::missing) return "missing";
    if (inspection.restarting) return "restarting";
    if (inspection.gave_up) return "failed";
    if (record.status == "failed") return "failed";
    return "exited";
}

}  // namespace

void prefetch_inspections(const std::vector<const state::InstanceRecord*>& records, const RunnerSource& runners) {
    std::map<spec::Target, std::vector<runners::InstanceHandle>> by_target;
    std::map<spec::Target, bool> prefetches;
    for (const state::InstanceRecord* record : records) {
        const spec::Target target = target_of(*record);
        auto known = prefetches.find(target);
        if (known == prefetches.end()) known = prefetches.emplace(target, runners(target).prefetches_inspections()).first;
        if (known->second) by_target[target].push_back(handle_of(*record));
    }
    for (const auto& [target, handles] : by_target) runners(target).prefetch_inspect(handles);
}

void prefetch_inspections(const std::vector<state::InstanceRecord>& records, const RunnerSource& runners) {
    std::vector<const state::InstanceRecord*> pointers;
    pointers.reserve(records.size());
    for (const auto& record : records) pointers.push_back(&record);
    prefetch_inspections(pointers, runners);
}

std::vector<LiveStatus> observe_instances(const std::vector<state::InstanceRecord>& records, const RunnerSource& runners,
                                          runners::HealthProber& prober, bool probe_health) {
    std::vector<LiveStatus> out(records.size());
    std::vector<runners::ProbeRequest> probes;
    std::vector<std::size_t> probed;

    prefetch_inspections(records, runners);

    for (std::size_t i = 0; i < records.size(); ++i) {
        const auto& record = records[i];
        LiveStatus& live = out[i];
        live.instance = record.instance;
        runners::Runner& runner = runners(target_of(record));
        runners::Inspection inspection = runner.inspect(handle_of(record));
        live.inspection = inspection;
        live.liveness = inspection.liveness;
        live.exit_status = inspection.exit_status ? inspection.exit_status : record.exit_status;
        live.detail = inspection.reason;
        if (inspection.liveness == runners::Liveness::unknown) {
            live.status = "unknown";
            continue;
        }
        if (inspection.liveness != runners::Liveness::running) {
            live.status = status_when_down(record, inspection);
            continue;
        }
        live.status = "running";
        if (!probe_health) continue;
        // The check recorded in the instance's row; rows of older schemas: its launch record.
        std::optional<spec::HealthSpec> check = runners::parse_health_check(record.health_check);
        if (!check) {
            if (auto launch = runners::read_launch_record(record.run_dir)) check = launch->health;
        }
        if (!check) continue;
        const spec::HealthSpec& health = *check;
        if (health.kind == spec::HealthKind::none) continue;
        if (health.kind == spec::HealthKind::exec) {
            runners::InstanceHandle handle = handle_of(record);
            if (!inspection.agent.empty()) handle.agent = inspection.agent;
            runners::ExecResult result = runner.exec(handle, health.exec, health.timeout);
            bool ok = result.exit_status == 0 && !result.timed_out;
            live.status = ok ? "healthy" : (record.status == "starting" ? "starting" : "unhealthy");
            live.detail = result.timed_out ? "exec check timed out" : "exec check exit status " + std::to_string(result.exit_status);
            continue;
        }
        if (record.url.empty()) continue;
        probes.push_back(runners::make_probe_request(health, record.url));
        probed.push_back(i);
    }

    if (!probes.empty()) {
        std::vector<runners::ProbeResult> results = prober.probe(probes);
        for (std::size_t k = 0; k < probed.size(); ++k) {
            LiveStatus& live = out[probed[k]];
            const auto& record = records[probed[k]];
            live.detail = results[k].detail;
            if (results[k].healthy) {
                live.status = "healthy";
            } else {
                live.status = record.status == "starting" ? "starting" : "unhealthy";
            }
        }
    }
    return out;
}

}  // namespace agentctl::deploy
