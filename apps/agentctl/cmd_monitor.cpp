// `agentctl monitor JOB`: attach a foreground monitor to a deployed job — health checks at each
// agent's interval, restarts of unhealthy agents as their restart policy says, a line per state
// change, events, and Prometheus metrics with --metrics-addr. SIGINT/SIGTERM end it with exit 0;
// the agents keep running.

#include <CLI/CLI.hpp>

#include "deploy_context.hpp"
#include "global_options.hpp"
#include "job_lookup.hpp"
#include "monitor_session.hpp"
#include "verbs.hpp"

namespace agentctl::cli {
namespace {

int run_monitor(const MonitorSessionOptions& options, const GlobalOptions& globals) {
    check_monitor_options(options);
    state::JobRecord job;
    auto context = open_for_job(globals, options.job, job);
    return run_monitor_session(*context, globals, options, nullptr);
}

}  // namespace

Verb setup_monitor(CLI::App& app, const GlobalOptions& globals) {
    auto options = std::make_shared<MonitorSessionOptions>();
    auto* command = app.add_subcommand("monitor", "Watch a deployed job in the foreground: health, restarts, events, metrics");
    command->add_option("job", options->job, "The job to watch")->type_name("JOB")->required();
    command->add_option("--metrics-addr", options->metrics_addr, "Serve Prometheus metrics at http://ADDR/metrics")
        ->type_name("HOST:PORT");
    command->add_option("--progress", options->progress, "Report lines on stdout: auto (default), console, plain, json")
        ->type_name("STYLE")
        ->check(CLI::IsMember({"auto", "console", "plain", "json"}));
    command->add_option("--lock-wait", options->lock_wait, "How long a restart waits for the job's lock (default: 5s)")
        ->type_name("DURATION");
    command->footer("Ends with exit 0 on SIGINT or SIGTERM; the agents keep running.\n"
                    "Exit status: 0, 2 bad usage, 3 the job already has a monitor, 4 no such job.");
    return {command, [options, &globals] { return run_monitor(*options, globals); }};
}

}  // namespace agentctl::cli
