// `agentctl events [JOB] [-f] [--since D] [-o json]`: the recorded history of jobs — deploy
// steps, instance state changes, exits and restarts (also those a shim made on its own with no
// agentctl running: they are collected first), stops. `-f` keeps printing new events until
// Ctrl-C or SIGTERM (exit 0).

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "deploy/supervisor_sync.hpp"
#include "deploy_context.hpp"
#include "global_options.hpp"
#include "interrupt.hpp"
#include "job_lookup.hpp"
#include "output_format.hpp"
#include "table.hpp"
#include "time_text.hpp"
#include "verbs.hpp"

namespace agentctl::cli {
namespace {

/// `events`'s own arguments and flags.
struct EventsOptions {
    std::string job;
    bool follow = false;
    std::string since;
};

constexpr std::size_t k_page = 1000;
constexpr auto k_follow_poll = std::chrono::milliseconds(200);
// How often a follow looks at the shims for exits and restarts nobody has recorded yet.
constexpr auto k_follow_sync = std::chrono::seconds(1);

nlohmann::ordered_json event_json(const state::EventRecord& event) {
    auto nullable = [](const std::string& text) {
        return text.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(text);
    };
    return {{"id", event.id},           {"time", rfc3339(event.time)},
            {"job", event.job},         {"agent", nullable(event.agent)},
            {"instance", nullable(event.instance)}, {"kind", event.kind},
            {"message", event.message}};
}

// Records what the shims of `jobs` did on their own, so that their exits and restarts are events.
void collect_supervisor_events(DeployContext& context, const std::vector<std::string>& jobs) {
    for (const auto& job : jobs) {
        deploy::sync_supervisors(context.store(), context.store().instances(job),
                                 [&context](spec::Target target) -> runners::Runner& { return context.runner(target); });
    }
}

// Every event after `after_id` at or after `since`, oldest first; `after_id` becomes the last
// id read (also of events `since` left out, so that a follow never prints them later).
std::vector<state::EventRecord> events_after(state::StateStore& store, const std::string& job, std::int64_t& after_id,
                                             const std::optional<TimePoint>& since) {
    std::vector<state::EventRecord> out;
    for (;;) {
        auto page = store.events(job, after_id, k_page);
        for (auto& event : page) {
            after_id = event.id;
            if (!since || event.time >= *since) out.push_back(std::move(event));
        }
        if (page.size() < k_page) return out;
    }
}

std::string render_table(const std::vector<state::EventRecord>& events, bool header) {
    Table table({"TIME", "JOB", "INSTANCE", "KIND", "MESSAGE"});
    for (const auto& event : events) {
        table.add_row({rfc3339(event.time), event.job, event.instance.empty() ? "-" : event.instance, event.kind,
                       event.message.empty() ? "-" : event.message});
    }
    std::string out;
    if (header) out += table.render_header({}, "") + "\n";
    return out + table.render_rows({}, "");
}

int run_events(const EventsOptions& options, const GlobalOptions& globals) {
    const auto format = require_output_format(globals.output, "events",
                                              {OutputFormat::table, OutputFormat::json, OutputFormat::yaml});
    if (options.follow && format == OutputFormat::yaml) {
        throw util::UsageError("events -f prints a table or JSON lines (-o json), not YAML");
    }
    std::optional<TimePoint> since;
    if (!options.since.empty()) since = parse_since(options.since, std::chrono::system_clock::now());

    std::unique_ptr<DeployContext> context;
    std::vector<std::string> jobs;
    if (!options.job.empty()) {
        state::JobRecord job;
        context = open_for_job(globals, options.job, job);
        jobs.push_back(job.name);
    } else {
        context = DeployContext::open_existing(globals);
        if (context) {
            for (const auto& job : context->store().jobs()) jobs.push_back(job.name);
        }
    }
    if (!context) {
        if (format == OutputFormat::json && !options.follow) fmt::print("{{\"events\": []}}\n");
        else if (format == OutputFormat::yaml) fmt::print("events: []\n");
        else if (!globals.quiet) fmt::print("No events: no job was ever deployed.\n");
        return 0;
    }

    collect_supervisor_events(*context, jobs);
    std::int64_t last_id = 0;
    auto events = events_after(context->store(), options.job, last_id, since);
    if (!options.follow) {
        if (format == OutputFormat::table) {
            if (events.empty()) {
                if (!globals.quiet) fmt::print("No events.\n");
            } else {
                fmt::print("{}", render_table(events, true));
            }
            return 0;
        }
        auto list = nlohmann::ordered_json::array();
        for (const auto& event : events) list.push_back(event_json(event));
        std::string document = nlohmann::ordered_json{{"events", list}}.dump(2) + "\n";
        fmt::print("{}", format == OutputFormat::yaml ? json_to_yaml(document) : document);
        return 0;
    }

    // Following: JSON lines with -o json, else table rows (the header once).
    InterruptScope interrupts;
    bool header = true;
    auto print = [&](const std::vector<state::EventRecord>& batch) {
        if (batch.empty()) return;
        if (format == OutputFormat::json) {
            for (const auto& event : batch) fmt::print("{}\n", event_json(event).dump());
        } else {
            fmt::print("{}", render_table(batch, header));
            header = false;
        }
        std::fflush(stdout);
    };
    print(events);
    auto next_sync = std::chrono::steady_clock::now() + k_follow_sync;
    while (!interrupt_requested()) {
        std::this_thread::sleep_for(k_follow_poll);
        if (std::chrono::steady_clock::now() >= next_sync) {
            collect_supervisor_events(*context, jobs);
            next_sync = std::chrono::steady_clock::now() + k_follow_sync;
        }
        print(events_after(context->store(), options.job, last_id, std::nullopt));
    }
    return 0;
}

}  // namespace

Verb setup_events(CLI::App& app, const GlobalOptions& globals) {
    auto options = std::make_shared<EventsOptions>();
    auto* command = app.add_subcommand("events", "Show the recorded events of jobs: deploy steps, state changes, exits, restarts, stops");
    command->add_option("job", options->job, "Only this job")->type_name("JOB");
    command->add_flag("-f,--follow", options->follow, "Keep printing new events until Ctrl-C (exit 0)");
    command->add_option("--since", options->since, "Only events since a duration ago (10m) or an RFC 3339 time")
        ->type_name("D");
    command->footer("Formats: -o table (default), json ({\"events\": [...]}; with -f one JSON object per line), yaml.\n"
                    "Exit status: 0, 2 bad usage, 4 no such job.");
    return {command, [options, &globals] { return run_events(*options, globals); }};
}

}  // namespace agentctl::cli
