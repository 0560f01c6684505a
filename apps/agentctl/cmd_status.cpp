// `agentctl status [JOB] [--check]`: the live status of deployed jobs — each instance's process
// identity-checked and probed once, the job's status derived from them (DESIGN.md §6).

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "console.hpp"
#include "deploy_context.hpp"
#include "global_options.hpp"
#include "job_lookup.hpp"
#include "output_format.hpp"
#include "state/state_store.hpp"
#include "status_view.hpp"
#include "util/errors.hpp"
#include "verbs.hpp"

namespace agentctl::cli {
namespace {

/// `status`'s own arguments and flags.
struct StatusOptions {
    std::string job;
    bool check = false;
};

int run_status(const StatusOptions& options, const GlobalOptions& globals) {
    const auto format = require_output_format(
        globals.output, "status", {OutputFormat::table, OutputFormat::json, OutputFormat::yaml, OutputFormat::wide});
    const auto console = Console::detect(globals.no_color);
    std::unique_ptr<DeployContext> context;
    std::vector<state::JobRecord> jobs;
    if (!options.job.empty()) {
        state::JobRecord job;
        context = open_for_job(globals, options.job, job);
        jobs.push_back(job);
    } else {
        context = DeployContext::open_existing(globals);
        if (context) jobs = context->store().jobs();
    }

    std::vector<JobView> views;
    for (const auto& job : jobs) views.push_back(observe_job(*context, job));

    switch (format) {
        case OutputFormat::json: fmt::print("{}", status_json(views)); break;
        case OutputFormat::yaml: fmt::print("{}", json_to_yaml(status_json(views))); break;
        default:
            if (views.empty()) {
                if (!globals.quiet) fmt::print("No jobs. Deploy one with: agentctl deploy FILE\n");
            } else if (!(globals.quiet && options.check)) {
                fmt::print("{}", render_status_table(views, format == OutputFormat::wide, console));
            }
            break;
    }
    if (!options.check) return 0;
    for (const auto& view : views) {
        // A job with no instance, or one whose deploy did not finish, is not up either.
        if (view.agents.empty() || view.status != "running") return static_cast<int>(util::ExitCode::failed);
        for (const auto& agent : view.agents) {
            if (!instance_is_up(agent.status)) return static_cast<int>(util::ExitCode::failed);
        }
    }
    return 0;
}

}  // namespace

Verb setup_status(CLI::App& app, const GlobalOptions& globals) {
    auto options = std::make_shared<StatusOptions>();
    auto* command = app.add_subcommand("status", "Show the live status of deployed jobs and their agents");
    command->add_option("job", options->job, "Only this job")->type_name("JOB");
    command->add_flag("--check", options->check,
                      "Exit 1 unless every job is running: every instance healthy or running");
    command->footer("Formats: -o table (default), wide, json, yaml. Exit status: 0, 1 (--check: not all up), 4 no such job.");
    return {command, [options, &globals] { return run_status(*options, globals); }};
}

}  // namespace agentctl::cli
