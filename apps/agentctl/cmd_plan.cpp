// `agentctl plan FILE`: what a deploy of FILE would do: stages, URLs, connections, start
// order and changes (DESIGN.md §3, §6), as a table, JSON, YAML or a Graphviz graph.

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <iostream>

#include "console.hpp"
#include "deploy/agent_deployer.hpp"
#include "deploy/observer.hpp"
#include "deploy_context.hpp"
#include "global_options.hpp"
#include "job_steps.hpp"
#include "output_format.hpp"
#include "plan/plan_json.hpp"
#include "plan_table.hpp"
#include "state/state_store.hpp"
#include "verbs.hpp"

namespace agentctl::cli {
namespace {

/// `plan`'s own arguments.
struct PlanOptions {
    std::string file;
};

// When the job is recorded, the diff against what runs now (keep/create/replace/remove); else
// every agent stays "create". Reads the state, never creates or changes it.
void diff_against_state(plan::Plan& plan, const GlobalOptions& globals) {
    const auto context = DeployContext::open_existing(globals);
    if (!context || !context->store().job(plan.job)) return;
    const auto observer = deploy::make_observer(deploy::ProgressStyle::quiet, std::cerr, false);
    plan.changes = context->make_deployer(*observer)->changes(plan, false);
}

std::string with_newline(std::string text) {
    if (text.empty() || text.back() != '\n') text += '\n';
    return text;
}

int run_plan(const PlanOptions& options, const GlobalOptions& globals) {
    const auto format = require_output_format(
        globals.output, "plan", {OutputFormat::table, OutputFormat::json, OutputFormat::yaml, OutputFormat::dot});
    const auto console = Console::detect(globals.no_color);
    const auto job = load_job(options.file, spec::LoadOptions{}, console, globals.quiet);
    auto plan = resolve_job(job, resolve_options_for(globals, true), console, globals.quiet);
    diff_against_state(plan, globals);
    switch (format) {
        case OutputFormat::json: fmt::print("{}", with_newline(plan::plan_to_json(plan))); break;
        case OutputFormat::yaml: fmt::print("{}", json_to_yaml(plan::plan_to_json(plan))); break;
        case OutputFormat::dot: fmt::print("{}", with_newline(plan::plan_to_dot(plan))); break;
        case OutputFormat::table:
        case OutputFormat::wide: fmt::print("{}", render_plan_table(plan, console)); break;
    }
    return 0;
}

}  // namespace

Verb setup_plan(CLI::App& app, const GlobalOptions& globals) {
    auto options = std::make_shared<PlanOptions>();
    auto* command = app.add_subcommand("plan", "Show the stages, URLs, connections and changes of a deploy");
    command->add_option("file", options->file, "The job file")->type_name("FILE")->required();
    command->footer("Formats: -o table (default), json, yaml, dot (Graphviz).");
    return {command, [options, &globals] { return run_plan(*options, globals); }};
}

}  // namespace agentctl::cli
