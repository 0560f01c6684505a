// `agentctl deploy FILE` (alias `start`): loads and resolves the job, then has the deployer start
// it on its runners wave by wave, waiting for readiness and rolling back on failure (DESIGN.md
// §4, §5), and prints the job's live status. `--dry-run` prints what it would do and touches
// nothing.

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "console.hpp"
#include "deploy/agent_deployer.hpp"
#include "deploy/launch_builder.hpp"
#include "deploy/monitor_metrics.hpp"
#include "deploy/observer.hpp"
#include "deploy_context.hpp"
#include "flag_values.hpp"
#include "global_options.hpp"
#include "interrupt.hpp"
#include "job_steps.hpp"
#include "masking.hpp"
#include "monitor_session.hpp"
#include "output_format.hpp"
#include "plan/topology_resolver.hpp"
#include "runners/runner.hpp"
#include "state/state_dir.hpp"
#include "state/state_store.hpp"
#include "status_view.hpp"
#include "table.hpp"
#include "util/errors.hpp"
#include "util/text.hpp"
#include "verbs.hpp"

namespace agentctl::cli {
namespace {

/// `deploy`'s own arguments and flags.
struct DeployVerbOptions {
    std::string file;
    std::string name;
    std::string timeout;
    std::string on_failure = "rollback";
    bool force_recreate = false;
    bool dry_run = false;
    std::string lock_wait;
    std::string progress = "auto";
    bool force = false;
    bool skip_preflight = false;
    bool monitor = false;          ///< --monitor: stay in the foreground watching the job
    std::string metrics_addr;      ///< --metrics-addr (with --monitor)
};

// The job file's bytes as they are on disk: what state records (its ${VAR} references, never
// their values).
std::string read_source_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw util::UsageError("cannot read " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string absolute_path(const std::string& path) {
    std::error_code error;
    auto canonical = std::filesystem::weakly_canonical(std::filesystem::absolute(path), error);
    if (error) return std::filesystem::absolute(path).lexically_normal().string();
    return canonical.string();
}

// Refuses, before anything is recorded, targets agentctl cannot run yet (make_runner throws).
void check_targets(const plan::Plan& plan, const std::string& state_dir) {
    std::set<spec::Target> targets;
    for (const auto& agent : plan.agents) targets.insert(agent.spec.deployment.target);
    runners::RunnerContext context;
    context.state_dir = state_dir;
    for (const auto target : targets) {
        try {
            runners::make_runner(target, context);
        } catch (const util::Error& error) {
            std::vector<std::string> ids;
            for (const auto& agent : plan.agents) {
                if (agent.spec.deployment.target == target) ids.push_back(agent.spec.id);
            }
            throw util::OperationError(std::string(error.what()) + "; " + spec::target_name(target) +
                                       " agents in this job: " + util::join(ids, ", "));
        }
    }
}

deploy::DeployOptions deployer_options(const DeployVerbOptions& options) {
    deploy::DeployOptions out;
    out.timeout = optional_duration_flag("--timeout", options.timeout);
    out.on_failure = options.on_failure == "keep" ? deploy::OnFailure::keep : deploy::OnFailure::rollback;
    out.force_recreate = options.force_recreate;
    out.force = options.force;
    out.lock_wait = duration_flag("--lock-wait", options.lock_wait, util::Millis(0));
    out.skip_preflight = options.skip_preflight;
    return out;
}

void print_status(const JobView& view, OutputFormat format, const Console& console) {
    switch (format) {
        case OutputFormat::json: fmt::print("{}", status_json({view})); break;
        case OutputFormat::yaml: fmt::print("{}", json_to_yaml(status_json({view}))); break;
        default: fmt::print("{}", render_status_table({view}, format == OutputFormat::wide, console)); break;
    }
    std::fflush(stdout);
}

// What a dry run shows: the changes, then per wave the instances it would start and how.
struct DryRunStart {
    std::string instance;
    std::string agent;
    std::string action;
    std::vector<std::string> argv;  // secrets masked
    std::string workdir;
};

int print_dry_run(const plan::Plan& plan, const std::vector<std::vector<DryRunStart>>& waves, OutputFormat format,
                  const Console& console) {
    if (format == OutputFormat::json || format == OutputFormat::yaml) {
        auto changes = nlohmann::ordered_json::array();
        for (const auto& change : plan.changes) {
            changes.push_back({{"agent", change.agent},
                               {"action", plan::change_action_name(change.action)},
                               {"reason", change.reason}});
        }
        auto starts = nlohmann::ordered_json::array();
        for (const auto& wave : waves) {
            auto list = nlohmann::ordered_json::array();
            for (const auto& start : wave) {
                list.push_back({{"instance", start.instance},
                                {"agent", start.agent},
                                {"action", start.action},
                                {"command", start.argv},
                                {"workdir", start.workdir}});
            }
            starts.push_back(std::move(list));
        }
        nlohmann::ordered_json document = {
            {"job", plan.job}, {"dry_run", true}, {"changes", changes}, {"waves", starts}};
        const std::string json = document.dump(2) + "\n";
        fmt::print("{}", format == OutputFormat::json ? json : json_to_yaml(json));
        return 0;
    }
    fmt::print("{} {} (dry run: nothing is started or recorded)\n", console.paint(Stream::out, Style::heading, "Deploy"),
               plan.job);
    Table changes({"ACTION", "AGENT", "REASON"});
    for (const auto& change : plan.changes) {
        changes.add_row({plan::change_action_name(change.action), change.agent, change.reason.empty() ? "-" : change.reason});
    }
    fmt::print("\n{}\n{}\n{}", console.paint(Stream::out, Style::heading, "Changes:"),
               console.paint(Stream::out, Style::heading, changes.render_header({}, "  ")), changes.render_rows({}, "  "));
    std::size_t count = 0;
    for (const auto& wave : waves) count += wave.size();
    if (count == 0) {
        fmt::print("\nNothing to start: every agent is up to date.\n");
        return 0;
    }
    fmt::print("\n{}\n", console.paint(Stream::out, Style::heading, "Would start:"));
    for (std::size_t w = 0; w < waves.size(); ++w) {
        if (waves[w].empty()) continue;
        fmt::print("  Stage {}/{}\n", w + 1, waves.size());
        Table table({"INSTANCE", "ACTION", "COMMAND", "WORKDIR"});
        for (const auto& start : waves[w]) {
            table.add_row({start.instance, start.action, display_command(start.argv), start.workdir});
        }
        fmt::print("{}", table.render_rows({}, "    "));
    }
    return 0;
}

// --dry-run: the same plan and diff a deploy would compute, without creating the state dir,
// its key or its database, and without starting or recording anything.
int run_dry(const DeployVerbOptions& options, const GlobalOptions& globals, const spec::JobSpec& job,
            OutputFormat format, const Console& console) {
    const std::string state_dir = state_dir_path(globals);
    plan::ResolveOptions resolve_options = resolve_options_for(globals, false);
    const bool have_state = state_db_exists(state_dir);
    // The key only matters against recorded hashes; without state every agent is "create".
    if (have_state) resolve_options.hash_key = state::load_or_create_hash_key(state_dir);
    resolve_options.run_id = plan::make_run_id(job.job.name);
    auto plan = resolve_job(job, resolve_options, console, globals.quiet);
    check_targets(plan, state_dir);

    if (have_state) {
        DeployContext context(globals);
        if (const auto recorded = context.store().job(plan.job)) {
            // The deploy itself would refuse this (AgentDeployer's ownership check): say so now.
            const std::string file = absolute_path(options.file);
            if (recorded->file != file && !options.force) {
                throw util::OperationError("job '" + plan.job + "' was deployed from " + recorded->file + ", not " +
                                           file + "; use --name to deploy this file under another name, or --force "
                                           "to replace it");
            }
            auto observer = deploy::make_observer(deploy::ProgressStyle::quiet, std::cerr, false);
            plan.changes = context.make_deployer(*observer)->changes(plan, options.force_recreate);
        }
    }

    std::map<std::string, plan::ChangeAction> action_of;
    for (const auto& change : plan.changes) action_of[change.agent] = change.action;
    const deploy::LaunchPaths paths{state_dir, std::filesystem::path(absolute_path(options.file)).parent_path().string()};
    const auto inherited = [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        return value ? std::optional<std::string>(value) : std::nullopt;
    };
    std::vector<std::vector<DryRunStart>> waves;
    for (const auto& wave : plan.waves) {
        std::vector<DryRunStart> starts;
        for (const auto& id : wave) {
            const auto* agent = plan.find(id);
            const auto action = action_of.count(id) ? action_of[id] : plan::ChangeAction::create;
            if (agent == nullptr || action == plan::ChangeAction::keep) continue;
            for (const auto& instance : agent->instances) {
                const auto launch = deploy::build_launch(plan, *agent, instance, paths, 0, inherited);
                starts.push_back({instance.name, id, plan::change_action_name(action),
                                  masked_argv(launch.request.argv, launch.request.environment), launch.request.workdir});
            }
        }
        waves.push_back(std::move(starts));
    }
    return print_dry_run(plan, waves, format, console);
}

int run_deploy(const DeployVerbOptions& options, const GlobalOptions& globals) {
    const auto format = require_output_format(
        globals.output, "deploy", {OutputFormat::table, OutputFormat::json, OutputFormat::yaml, OutputFormat::wide});
    const auto console = Console::detect(globals.no_color);
    const auto deploy_options = deployer_options(options);

    // Step 1: the job file, as written (for state) and loaded (for the plan).
    const deploy::JobSource source{absolute_path(options.file), read_source_text(options.file)};
    spec::LoadOptions load_options;
    load_options.name_override = options.name;
    const auto job = load_job(options.file, load_options, console, globals.quiet);
    if (options.dry_run) return run_dry(options, globals, job, format, console);

    // Step 2: the plan of this run (its JOB_ID, the state dir's hash key).
    DeployContext context(globals);
    auto resolve_options = resolve_options_for(globals, true);
    resolve_options.run_id = plan::make_run_id(job.job.name);
    const auto plan = resolve_job(job, resolve_options, console, globals.quiet);
    check_targets(plan, context.state_dir());
    context.require_shim();

    // Step 3: deploy, with Ctrl-C turned into a rollback (with --monitor, each stage timed for
    // the metrics).
    if (!options.metrics_addr.empty() && !options.monitor) {
        throw util::UsageError("--metrics-addr needs --monitor (metrics are served while the monitor runs)");
    }
    auto observer = make_progress_observer(options.progress, globals);
    std::shared_ptr<deploy::MonitorMetrics> stage_metrics;
    std::unique_ptr<deploy::Observer> timed;
    if (options.monitor) {
        stage_metrics = std::make_shared<deploy::MonitorMetrics>();
        timed = deploy::make_stage_timing_observer(*observer, *stage_metrics, plan.job);
    }
    deploy::DeployResult result;
    {
        InterruptScope interrupts;
        result = context.make_deployer(timed ? *timed : *observer)->deploy(plan, source, deploy_options);
    }

    // Step 4: the outcome.
    if (!result.preflight_problems.empty()) {
        for (const auto& problem : result.preflight_problems) {
            console.print_error("preflight: " + problem.instance + ": " + problem.message);
        }
        console.print_error("deploy of " + plan.job + " refused: " + result.error +
                            "; nothing was started or recorded (fix them, or skip the checks with --skip-preflight)");
        return static_cast<int>(util::ExitCode::failed);
    }
    if (!result.ok) {
        if (globals.quiet && !result.failed_instance.empty()) {
            console.print_error("agent " + result.failed_instance + " failed: " + result.error +
                                (result.log_tail.empty() ? "" : "\nlast lines of its log:\n" + result.log_tail));
        }
        if (result.interrupted) {
            console.print_error("deploy of " + plan.job + " interrupted" +
                                (result.rolled_back ? "; rolled back to the previous state" : ""));
            return static_cast<int>(util::ExitCode::interrupted);
        }
        console.print_error("deploy of " + plan.job + " failed" +
                            (result.rolled_back ? "; rolled back to the previous state" : "; left as it is (--on-failure keep)"));
        return static_cast<int>(util::ExitCode::failed);
    }
    if (!globals.quiet || format != OutputFormat::table) {
        // Rendered from what the deploy just recorded: it has proven every instance ready.
        print_status(observe_job(context, *context.store().job(plan.job), Observation::recorded), format, console);
    }
    if (options.monitor) {
        MonitorSessionOptions monitor;
        monitor.job = plan.job;
        monitor.metrics_addr = options.metrics_addr;
        monitor.progress = options.progress == "json" ? "json" : "auto";
        return run_monitor_session(context, globals, monitor, stage_metrics);
    }
    return 0;
}

}  // namespace

Verb setup_deploy(CLI::App& app, const GlobalOptions& globals) {
    auto options = std::make_shared<DeployVerbOptions>();
    auto* command = app.add_subcommand("deploy", "Start a job's agents (or bring them up to date) and wait until ready");
    command->alias("start");
    command->add_option("file", options->file, "The job file")->type_name("FILE")->required();
    command->add_option("--name", options->name, "Deploy under this job name instead of job.name")->type_name("NAME");
    command->add_option("--timeout", options->timeout, "How long each agent may take to become ready (replaces the job's)")
        ->type_name("DURATION");
    command->add_option("--on-failure", options->on_failure, "rollback (default): restore the previous state; keep: leave it")
        ->type_name("ACTION")
        ->check(CLI::IsMember({"rollback", "keep"}));
    command->add_flag("--force-recreate", options->force_recreate, "Replace every agent, changed or not");
    command->add_flag("--dry-run", options->dry_run, "Print the changes and what would start; start and record nothing");
    command->add_option("--lock-wait", options->lock_wait, "Wait this long for another agentctl's lock on the job (default: 0)")
        ->type_name("DURATION");
    command->add_option("--progress", options->progress, "Progress on stderr: auto (default), console, plain, json")
        ->type_name("STYLE")
        ->check(CLI::IsMember({"auto", "console", "plain", "json"}));
    command->add_flag("--force", options->force, "Deploy even though the job was deployed from another file");
    command->add_flag("--skip-preflight", options->skip_preflight,
                      "Skip the checks made before anything starts (commands, modules, workdirs, free ports, "
                      "container images)");
    command->add_flag("--monitor", options->monitor,
                      "Stay in the foreground after the deploy, monitoring the job (as `agentctl monitor JOB`)");
    command->add_option("--metrics-addr", options->metrics_addr,
                        "With --monitor: serve Prometheus metrics at http://ADDR/metrics")
        ->type_name("HOST:PORT");
    command->footer(
        "Exit status: 0 deployed, 1 failed (rolled back unless --on-failure keep) or refused by preflight, 2 invalid "
        "job file, 3 locked, 130 interrupted (rolled back); with --monitor: 0 once SIGINT/SIGTERM ends the monitor, "
        "3 already monitored.");
    return {command, [options, &globals] { return run_deploy(*options, globals); }};
}

}  // namespace agentctl::cli
