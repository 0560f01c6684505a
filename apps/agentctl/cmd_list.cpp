// `agentctl list [--all] [--limit N]`: the recorded jobs, most recently updated first, with their
// live status; stopped jobs only with --all.

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "console.hpp"
#include "deploy_context.hpp"
#include "global_options.hpp"
#include "output_format.hpp"
#include "state/state_store.hpp"
#include "status_view.hpp"
#include "table.hpp"
#include "time_text.hpp"
#include "verbs.hpp"

namespace agentctl::cli {
namespace {

/// `list`'s own flags.
struct ListOptions {
    bool all = false;
    std::size_t limit = 0;
};

std::string list_json(const std::vector<JobView>& views) {
    auto jobs = nlohmann::ordered_json::array();
    for (const auto& view : views) {
        jobs.push_back({{"name", view.name},
                        {"status", view.status},
                        {"revision", view.revision},
                        {"agents", view.agents.size()},
                        {"up", view.up()},
                        {"file", view.file},
                        {"updated", rfc3339(view.updated_at)}});
    }
    return nlohmann::ordered_json({{"jobs", jobs}}).dump(2) + "\n";
}

int run_list(const ListOptions& options, const GlobalOptions& globals) {
    const auto format =
        require_output_format(globals.output, "list", {OutputFormat::table, OutputFormat::json, OutputFormat::yaml});
    const auto console = Console::detect(globals.no_color);
    const auto context = DeployContext::open_existing(globals);

    std::vector<state::JobRecord> jobs = context ? context->store().jobs() : std::vector<state::JobRecord>{};
    std::stable_sort(jobs.begin(), jobs.end(),
                     [](const state::JobRecord& a, const state::JobRecord& b) { return a.updated_at > b.updated_at; });
    std::vector<JobView> views;
    for (const auto& job : jobs) {
        if (options.limit > 0 && views.size() >= options.limit) break;
        // Stopped on record and meant to be: nothing to observe, and hidden without --all.
        if (!options.all && job.desired == "stopped" && job.status == "stopped") continue;
        auto view = observe_job(*context, job);
        if (!options.all && view.status == "stopped") continue;
        views.push_back(std::move(view));
    }

    if (format != OutputFormat::table) {
        const auto json = list_json(views);
        fmt::print("{}", format == OutputFormat::json ? json : json_to_yaml(json));
        return 0;
    }
    if (views.empty()) {
        if (!globals.quiet) fmt::print("{}\n", options.all ? "No jobs." : "No running jobs (agentctl list --all shows stopped ones).");
        return 0;
    }
    Table table({"NAME", "STATUS", "REVISION", "AGENTS", "FILE", "UPDATED"});
    const auto now = state::Clock::now();
    for (const auto& view : views) {
        table.add_row({view.name, view.status, std::to_string(view.revision),
                       std::to_string(view.up()) + "/" + std::to_string(view.agents.size()), view.file,
                       time_ago(view.updated_at, now)});
    }
    fmt::print("{}\n{}", console.paint(Stream::out, Style::heading, table.render_header()), table.render_rows());
    return 0;
}

}  // namespace

Verb setup_list(CLI::App& app, const GlobalOptions& globals) {
    auto options = std::make_shared<ListOptions>();
    auto* command = app.add_subcommand("list", "List deployed jobs, most recently updated first");
    command->add_flag("-a,--all", options->all, "Include stopped jobs");
    command->add_option("--limit", options->limit, "Show at most N jobs")->type_name("N")->check(CLI::Range(1, 1000000));
    command->footer("AGENTS is up/total: instances healthy or running, out of all recorded. Formats: table, json, yaml.");
    return {command, [options, &globals] { return run_list(*options, globals); }};
}

}  // namespace agentctl::cli
