#include "status_view.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <map>

#include <nlohmann/json.hpp>

#include "console.hpp"
#include "deploy/live_status.hpp"
#include "deploy/supervisor_sync.hpp"
#include "deploy_context.hpp"
#include "table.hpp"
#include "time_text.hpp"
#include "util/process.hpp"

namespace agentctl::cli {
namespace {

std::string this_host() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) return {};
    return name;
}

// A deploy is in progress when the job's lock has an owner that provably still runs; an owner
// on another host or boot cannot be checked from here and is believed.
bool deploy_lock_live(state::StateStore& store, const std::string& job) {
    const auto owner = store.lock_owner(job);
    if (!owner) return false;
    if (owner->host != this_host() || owner->boot_id != util::boot_id()) return true;
    return util::process_matches(owner->process);
}

nlohmann::ordered_json nullable(const std::string& text) {
    return text.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(text);
}

template <typename T>
nlohmann::ordered_json nullable(const std::optional<T>& value) {
    return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

Style style_of_job(const std::string& status) {
    if (status == "running") return Style::success;
    if (status == "failed") return Style::error;
    if (status == "stopped") return Style::note;
    return Style::warning;
}

std::string or_dash(const std::string& text) { return text.empty() ? "-" : text; }

}  // namespace

std::size_t JobView::up() const {
    std::size_t count = 0;
    for (const auto& agent : agents) count += instance_is_up(agent.status) ? 1 : 0;
    return count;
}

bool instance_is_up(const std::string& status) { return status == "healthy" || status == "running"; }

std::string derive_job_status(const state::JobRecord& job, const std::vector<std::string>& instance_statuses,
                              bool deploy_in_progress) {
    std::size_t up = 0;
    for (const auto& status : instance_statuses) up += instance_is_up(status) ? 1 : 0;
    if (job.desired == "stopped") return up == 0 ? "stopped" : "failed";
    if (job.status == "deploying" && deploy_in_progress) return "deploying";
    if (job.status == "failed" || up == 0) return "failed";
    // A deploy that died half-way (its lock owner is gone): never deployed at all is a failure;
    // otherwise the job runs, but not as last asked.
    if (job.status == "deploying") return job.revision == 0 ? "failed" : "degraded";
    return up == instance_statuses.size() ? "running" : "degraded";
}

JobView observe_job(DeployContext& context, const state::JobRecord& job, Observation observation) {
    JobView view;
    view.name = job.name;
    view.revision = job.revision;
    view.file = job.file;
    view.updated_at = job.updated_at;
    auto records = context.store().instances(job.name);
    std::vector<deploy::LiveStatus> live;
    if (observation == Observation::live) {
        live = deploy::observe_instances(
            records, [&context](spec::Target target) -> runners::Runner& { return context.runner(target); },
            context.prober());
        // What the shims did on their own since anyone looked (restarts, exits): into the rows
        // and the events, so that the pid shown is the one running now.
        std::vector<runners::Inspection> inspections;
        for (const auto& one : live) inspections.push_back(one.inspection);
        records = deploy::record_supervisor_changes(context.store(), records, inspections);
    } else {
        // What was just recorded: a deploy that returned has proven every instance's state.
        for (const auto& record : records) {
            deploy::LiveStatus recorded;
            recorded.instance = record.instance;
            recorded.status = record.status;
            recorded.liveness = record.status == "healthy" || record.status == "running" ? runners::Liveness::running
                                                                                         : runners::Liveness::unknown;
            recorded.exit_status = record.exit_status;
            live.push_back(std::move(recorded));
        }
    }

    std::map<std::string, state::EventRecord> last_events;
    for (auto& event : context.store().latest_events(job.name)) last_events[event.instance] = std::move(event);
    std::vector<std::string> statuses;
    for (std::size_t i = 0; i < records.size(); ++i) {
        const auto& record = records[i];
        AgentView agent;
        agent.id = record.agent;
        agent.instance = record.instance;
        agent.host = record.host;
        agent.target = record.target;
        agent.status = live[i].status;
        if (live[i].liveness == runners::Liveness::running && !record.agent_process.empty()) {
            agent.pid = record.agent_process.pid;
        }
        agent.container = record.container_id;
        agent.url = record.url;
        agent.restarts = record.restarts;
        agent.exit_status = live[i].exit_status;
        agent.last_health = live[i].detail.empty() ? record.last_health : live[i].detail;
        if (auto found = last_events.find(record.instance); found != last_events.end()) agent.last_event = found->second;
        statuses.push_back(agent.status);
        view.agents.push_back(std::move(agent));
    }
    const bool in_progress = job.status == "deploying" && deploy_lock_live(context.store(), job.name);
    view.status = derive_job_status(job, statuses, in_progress);
    return view;
}

std::string status_json(const std::vector<JobView>& jobs) {
    auto list = nlohmann::ordered_json::array();
    for (const auto& job : jobs) {
        auto agents = nlohmann::ordered_json::array();
        for (const auto& agent : job.agents) {
            agents.push_back({{"id", agent.id},
                              {"instance", agent.instance},
                              {"host", agent.host},
                              {"target", agent.target},
                              {"status", agent.status},
                              {"pid", nullable(agent.pid)},
                              {"container", nullable(agent.container)},
                              {"url", nullable(agent.url)},
                              {"restarts", agent.restarts},
                              {"exit_status", nullable(agent.exit_status)},
                              {"last_event", agent.last_event ? nlohmann::ordered_json{{"time", rfc3339(agent.last_event->time)},
                                                                                       {"kind", agent.last_event->kind},
                                                                                       {"message", agent.last_event->message}}
                                                              : nlohmann::ordered_json(nullptr)}});
        }
        list.push_back({{"name", job.name}, {"status", job.status}, {"revision", job.revision}, {"agents", agents}});
    }
    nlohmann::ordered_json document = {{"jobs", list}};
    return document.dump(2) + "\n";
}

std::string render_status_table(const std::vector<JobView>& jobs, bool wide, const Console& console) {
    std::string out;
    for (std::size_t j = 0; j < jobs.size(); ++j) {
        const auto& job = jobs[j];
        if (j > 0) out += "\n";
        out += fmt::format("{} {}: {} (revision {}, {}/{} up)\n", console.paint(Stream::out, Style::heading, "Job"),
                           console.paint(Stream::out, Style::heading, job.name),
                           console.paint(Stream::out, style_of_job(job.status), job.status), job.revision, job.up(),
                           job.agents.size());
        if (job.agents.empty()) {
            out += "  no instances\n";
            continue;
        }
        std::vector<std::string> headers = {"AGENT", "STATUS", "TARGET", "HOST", "URL"};
        if (wide) headers.insert(headers.end(), {"PID", "RESTARTS", "EXIT", "LAST HEALTH", "LAST EVENT"});
        else headers.insert(headers.end(), {"RESTARTS", "EXIT", "LAST EVENT"});
        Table table(headers);
        const auto now = std::chrono::system_clock::now();
        for (const auto& agent : job.agents) {
            std::vector<std::string> row = {agent.instance, agent.status, agent.target, or_dash(agent.host),
                                            or_dash(agent.url)};
            if (wide) row.push_back(agent.pid ? std::to_string(*agent.pid) : "-");
            row.push_back(std::to_string(agent.restarts));
            row.push_back(agent.exit_status ? std::to_string(*agent.exit_status) : "-");
            if (wide) {
                row.push_back(or_dash(agent.last_health));
                row.push_back(agent.last_event ? agent.last_event->kind + ": " + or_dash(agent.last_event->message) : "-");
            } else {
                // The kind and when: the message is in -o wide and `agentctl events`.
                row.push_back(agent.last_event ? agent.last_event->kind + ", " + time_ago(agent.last_event->time, now) : "-");
            }
            table.add_row(std::move(row));
        }
        out += console.paint(Stream::out, Style::heading, table.render_header({}, "  ")) + "\n";
        out += table.render_rows({}, "  ");
    }
    return out;
}

}  // namespace agentctl::cli
