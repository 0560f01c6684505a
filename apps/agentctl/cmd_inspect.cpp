// `agentctl inspect JOB [AGENT]`: everything about a deployed job's instances — the resolved
// command, workdir, environment (secrets shown as "***"), peers, files and pids — from the state
// and each instance's launch record.

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "console.hpp"
#include "runners/launch_record.hpp"
#include "deploy/live_status.hpp"
#include "deploy_context.hpp"
#include "global_options.hpp"
#include "job_lookup.hpp"
#include "masking.hpp"
#include "output_format.hpp"
#include "table.hpp"
#include "util/duration.hpp"
#include "verbs.hpp"

namespace agentctl::cli {
namespace {

using Json = nlohmann::ordered_json;

/// `inspect`'s own arguments.
struct InspectOptions {
    std::string job;
    std::string agent;
};

Json nullable_pid(const util::ProcessRef& process) { return process.empty() ? Json(nullptr) : Json(process.pid); }

template <typename T>
Json nullable(const std::optional<T>& value) {
    return value ? Json(*value) : Json(nullptr);
}

// The peers an instance was given, from its AGENT_PEERS_JSON (the plan's own list).
Json peers_of(const std::vector<spec::EnvVar>& environment) {
    for (const auto& var : environment) {
        if (var.name != "AGENT_PEERS_JSON" || var.secret) continue;
        auto parsed = Json::parse(var.value, nullptr, false);
        if (parsed.is_array()) return parsed;
    }
    return Json::array();
}

std::string health_text(const spec::HealthSpec& health, const std::string& url) {
    switch (health.kind) {
        case spec::HealthKind::http: return "http " + url + health.http_path + " every " + util::format_duration(health.interval);
        case spec::HealthKind::tcp: return "tcp " + url + " every " + util::format_duration(health.interval);
        case spec::HealthKind::exec: return "exec " + display_command(health.exec);
        case spec::HealthKind::none: break;
    }
    return "none (ready = alive)";
}

Json instance_json(const state::InstanceRecord& record, const deploy::LiveStatus& live,
                   const std::optional<runners::LaunchRecord>& launch) {
    Json out = {{"id", record.agent},
                {"instance", record.instance},
                {"status", live.status},
                {"target", record.target},
                {"host", record.host},
                {"url", record.url.empty() ? Json(nullptr) : Json(record.url)},
                {"revision", record.revision},
                {"stage", record.stage + 1}};
    if (launch) {
        const auto& request = launch->request;
        out["command"] = masked_argv(request.argv, request.environment);
        out["workdir"] = request.workdir;
        Json environment = Json::object();
        for (const auto& var : request.environment) environment[var.name] = shown_value(var);
        out["environment"] = environment;
        out["peers"] = peers_of(request.environment);
        out["health"] = health_text(launch->health, launch->url);
        out["stop"] = {{"signal", request.stop.signal}, {"timeout", util::format_duration(request.stop.timeout)}};
    } else {
        out["command"] = nullptr;
        out["workdir"] = nullptr;
        out["environment"] = nullptr;
        out["peers"] = Json::array();
    }
    out["files"] = {{"log", record.log_path},
                    {"run_dir", record.run_dir},
                    {"launch_record", record.run_dir.empty() ? Json(nullptr) : Json(record.run_dir + "/instance.json")}};
    out["pids"] = {{"shim", nullable_pid(record.shim)}, {"agent", nullable_pid(record.agent_process)}};
    out["container"] = record.container_id.empty() ? Json(nullptr) : Json(record.container_id);
    out["image"] = launch && !launch->request.deployment.image.empty() ? Json(launch->request.deployment.image) : Json(nullptr);
    out["restarts"] = record.restarts;
    out["exit_status"] = nullable(live.exit_status);
    out["last_health"] = live.detail.empty() ? record.last_health : live.detail;
    out["last_error"] = record.last_error;
    return out;
}

std::string text_of(const Json& value) {
    if (value.is_null()) return "-";
    if (value.is_string()) return value.get<std::string>();
    return value.dump();
}

// One block per instance, the way `docker inspect` would if it were meant for people.
std::string render_text(const state::JobRecord& job, const Json& instances, const Console& console) {
    const auto heading = [&console](const std::string& text) { return console.paint(Stream::out, Style::heading, text); };
    std::string out = fmt::format("{} {} (revision {}, {})\n", heading("Job"), heading(job.name), job.revision, job.file);
    for (const auto& instance : instances) {
        out += fmt::format("\n{} {}\n", heading("Instance"), heading(instance["instance"].get<std::string>()));
        Table fields({"", ""});
        fields.add_row({"Agent:", instance["id"].get<std::string>()});
        fields.add_row({"Status:", instance["status"].get<std::string>()});
        fields.add_row({"Target:", instance["target"].get<std::string>() + " on " + text_of(instance["host"])});
        fields.add_row({"URL:", text_of(instance["url"])});
        fields.add_row({"Revision:", std::to_string(instance["revision"].get<int>()) + " (stage " +
                                         std::to_string(instance["stage"].get<int>()) + ")"});
        if (instance["command"].is_array()) {
            fields.add_row({"Command:", display_command(instance["command"].get<std::vector<std::string>>())});
            fields.add_row({"Workdir:", text_of(instance["workdir"])});
            fields.add_row({"Health:", text_of(instance["health"])});
            fields.add_row({"Stop:", instance["stop"]["signal"].get<std::string>() + ", then SIGKILL after " +
                                         instance["stop"]["timeout"].get<std::string>()});
        } else {
            fields.add_row({"Command:", "- (the launch record is gone)"});
        }
        if (instance["container"].is_string() || instance["image"].is_string()) {
            fields.add_row({"Container:", text_of(instance["container"]) + " (image " + text_of(instance["image"]) + ")"});
        } else {
            fields.add_row({"PIDs:", "shim " + text_of(instance["pids"]["shim"]) + ", agent " + text_of(instance["pids"]["agent"])});
        }
        fields.add_row({"Restarts:", std::to_string(instance["restarts"].get<int>())});
        fields.add_row({"Exit status:", text_of(instance["exit_status"])});
        fields.add_row({"Last health:", text_of(instance["last_health"])});
        if (!instance["last_error"].get<std::string>().empty()) {
            fields.add_row({"Last error:", instance["last_error"].get<std::string>()});
        }
        fields.add_row({"Log:", text_of(instance["files"]["log"])});
        fields.add_row({"Run dir:", text_of(instance["files"]["run_dir"])});
        out += fields.render_rows({}, "  ");

        out += "  Peers:";
        if (instance["peers"].empty()) out += " none\n";
        else out += "\n";
        for (const auto& peer : instance["peers"]) {
            out += fmt::format("    {}  {}\n", text_of(peer.value("instance", Json(nullptr))), text_of(peer.value("url", Json(nullptr))));
        }
        if (instance["environment"].is_object()) {
            out += "  Environment:\n";
            for (const auto& [name, value] : instance["environment"].items()) {
                out += fmt::format("    {}={}\n", name, value.get<std::string>());
            }
        }
    }
    return out;
}

int run_inspect(const InspectOptions& options, const GlobalOptions& globals) {
    const auto format =
        require_output_format(globals.output, "inspect", {OutputFormat::table, OutputFormat::json, OutputFormat::yaml});
    const auto console = Console::detect(globals.no_color);
    state::JobRecord job;
    auto context = open_for_job(globals, options.job, job);
    std::vector<std::string> only;
    if (!options.agent.empty()) only.push_back(options.agent);
    const auto records = select_records(options.job, context->store().instances(options.job), only);
    const auto live = deploy::observe_instances(
        records, [&context](spec::Target target) -> runners::Runner& { return context->runner(target); },
        context->prober());

    Json instances = Json::array();
    for (std::size_t i = 0; i < records.size(); ++i) {
        instances.push_back(instance_json(records[i], live[i], runners::read_launch_record(records[i].run_dir)));
    }
    if (format == OutputFormat::table) {
        fmt::print("{}", render_text(job, instances, console));
        return 0;
    }
    Json document = {{"job", job.name}, {"revision", job.revision}, {"file", job.file}, {"instances", instances}};
    const std::string json = document.dump(2) + "\n";
    fmt::print("{}", format == OutputFormat::json ? json : json_to_yaml(json));
    return 0;
}

}  // namespace

Verb setup_inspect(CLI::App& app, const GlobalOptions& globals) {
    auto options = std::make_shared<InspectOptions>();
    auto* command = app.add_subcommand(
        "inspect", "Show a deployed job's instances: command, workdir, environment (secrets masked), peers, files, pids");
    command->add_option("job", options->job, "The job")->type_name("JOB")->required();
    command->add_option("agent", options->agent, "Only this agent (id or instance name)")->type_name("AGENT");
    command->footer("Formats: -o table (default), json, yaml. Exit status: 0, or 4 when the job or agent does not exist.");
    return {command, [options, &globals] { return run_inspect(*options, globals); }};
}

}  // namespace agentctl::cli
