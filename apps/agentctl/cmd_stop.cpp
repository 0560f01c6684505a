// `agentctl stop JOB [AGENT...]` and `agentctl restart JOB [AGENT...]`: act on a deployed job's
// instances through the deployer — stop in reverse stage order (stop.signal, stop.timeout, then
// SIGKILL), restart from each instance's launch record and wait for readiness.

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "console.hpp"
#include "deploy/agent_deployer.hpp"
#include "deploy/observer.hpp"
#include "deploy_context.hpp"
#include "flag_values.hpp"
#include "global_options.hpp"
#include "interrupt.hpp"
#include "job_lookup.hpp"
#include "util/errors.hpp"
#include "util/text.hpp"
#include "verbs.hpp"

namespace agentctl::cli {
namespace {

/// The arguments and flags `stop` and `restart` share.
struct StopVerbOptions {
    std::string job;
    std::vector<std::string> agents;
    bool force = false;
    std::string timeout;
    std::string lock_wait;
    std::string progress = "auto";
};

enum class Action { stop, restart };

int run_stop(Action action, const StopVerbOptions& options, const GlobalOptions& globals) {
    const auto console = Console::detect(globals.no_color);
    state::JobRecord job;
    auto context = open_for_job(globals, options.job, job);
    // Unknown agents are exit 4 before anything is locked or signalled.
    select_records(options.job, context->store().instances(options.job), options.agents);
    if (action == Action::restart) context->require_shim();

    deploy::StopRequest request;
    request.job = options.job;
    request.only = options.agents;
    request.timeout = optional_duration_flag("--timeout", options.timeout);
    request.force = options.force;
    request.lock_wait = duration_flag("--lock-wait", options.lock_wait, util::Millis(0));

    auto observer = make_progress_observer(options.progress, globals);
    deploy::StopResult result;
    {
        InterruptScope interrupts;
        auto deployer = context->make_deployer(*observer);
        result = action == Action::stop ? deployer->stop(request) : deployer->restart(request);
    }

    const char* verb = action == Action::stop ? "stop" : "restart";
    if (!result.refused.empty()) {
        console.print_error(std::string(verb) + ": not signalled (the recorded process is no longer the agent): " +
                            util::join(result.refused, ", "));
    }
    for (const auto& error : result.errors) console.print_error(std::string(verb) + ": " + error);
    if (result.interrupted) return static_cast<int>(util::ExitCode::interrupted);
    return result.ok ? 0 : static_cast<int>(util::ExitCode::failed);
}

Verb setup(CLI::App& app, const GlobalOptions& globals, Action action) {
    auto options = std::make_shared<StopVerbOptions>();
    const bool stop = action == Action::stop;
    auto* command = app.add_subcommand(
        stop ? "stop" : "restart",
        stop ? "Stop a job's agents (or some of them), latest stage first"
             : "Restart a job's agents (or some of them) from their recorded launch and wait until ready");
    command->add_option("job", options->job, "The job")->type_name("JOB")->required();
    command->add_option("agents", options->agents, "Only these agents (ids or instance names)")->type_name("AGENT");
    command->add_flag("--force", options->force, "SIGKILL at once instead of stop.signal and waiting");
    command->add_option("--timeout", options->timeout,
                        stop ? "How long each agent may take to exit before SIGKILL (replaces stop.timeout)"
                             : "How long to wait for each agent to exit, and then to become ready again")
        ->type_name("DURATION");
    command->add_option("--lock-wait", options->lock_wait, "Wait this long for another agentctl's lock on the job")
        ->type_name("DURATION");
    command->add_option("--progress", options->progress, "Progress on stderr: auto (default), console, plain, json")
        ->type_name("STYLE")
        ->check(CLI::IsMember({"auto", "console", "plain", "json"}));
    command->footer(stop ? "Exit status: 0 stopped, 1 something was refused or failed, 3 locked, 4 no such job or agent."
                         : "Exit status: 0 restarted and ready, 1 failed, 3 locked, 4 no such job or agent, 130 interrupted.");
    return {command, [options, &globals, action] { return run_stop(action, *options, globals); }};
}

}  // namespace

Verb setup_stop(CLI::App& app, const GlobalOptions& globals) { return setup(app, globals, Action::stop); }

Verb setup_restart(CLI::App& app, const GlobalOptions& globals) { return setup(app, globals, Action::restart); }

}  // namespace agentctl::cli
