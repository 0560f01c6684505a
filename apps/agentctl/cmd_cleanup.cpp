// `agentctl cleanup [JOB]`: forgets finished jobs — their state rows, their run dirs (launch
// records) and, unless --no-logs, their logs. A job with a live instance is never forgotten.

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "console.hpp"
#include "deploy_context.hpp"
#include "flag_values.hpp"
#include "global_options.hpp"
#include "job_lookup.hpp"
#include "output_format.hpp"
#include "state/state_store.hpp"
#include "status_view.hpp"
#include "util/errors.hpp"
#include "util/text.hpp"
#include "verbs.hpp"

namespace agentctl::cli {
namespace {

/// `cleanup`'s own arguments and flags.
struct CleanupOptions {
    std::string job;
    std::string older_than;
    std::string status = "all";
    bool dry_run = false;
    bool no_logs = false;
};

/// What happened to one job.
struct Verdict {
    std::string job;
    bool forgotten = false;
    bool refused = false;  ///< selected, but an instance may still run
    std::string reason;    ///< why it was left alone
};

// An instance that may still be running: agentctl cannot prove it is down.
bool may_be_alive(const AgentView& agent) {
    return agent.status == "healthy" || agent.status == "running" || agent.status == "starting" ||
           agent.status == "unhealthy" || agent.status == "unknown";
}

bool status_selected(const std::string& job_status, const std::string& filter) {
    if (job_status != "stopped" && job_status != "failed") return false;
    return filter == "all" || filter == job_status;
}

// Job names are validated when deployed ([a-z0-9][a-z0-9-]*); never remove a path built from
// anything else.
bool safe_name(const std::string& name) { return std::regex_match(name, std::regex("[a-z0-9][a-z0-9-]{0,62}")); }

void remove_files(const std::string& state_dir, const std::string& job, bool keep_logs) {
    if (!safe_name(job)) return;
    std::error_code ignored;
    std::filesystem::remove_all(state_dir + "/run/" + job, ignored);
    if (!keep_logs) std::filesystem::remove_all(state_dir + "/logs/" + job, ignored);
}

Verdict clean_one(DeployContext& context, const state::JobRecord& job, const CleanupOptions& options,
                  std::optional<util::Millis> older_than) {
    Verdict verdict{job.name, false, false, {}};
    if (older_than && state::Clock::now() - job.updated_at < *older_than) {
        verdict.reason = "updated less than " + options.older_than + " ago";
        return verdict;
    }
    const auto view = observe_job(context, job);
    std::vector<std::string> alive;
    for (const auto& agent : view.agents) {
        if (may_be_alive(agent)) alive.push_back(agent.instance + " (" + agent.status + ")");
    }
    const std::string live_text = alive.empty() ? "" : "; live instances: " + util::join(alive, ", ") + " (stop it first)";
    if (!status_selected(view.status, options.status)) {
        verdict.reason = "it is " + view.status + (options.status == "all" ? ", not finished" : ", not " + options.status) +
                         live_text;
        return verdict;
    }
    if (!alive.empty()) {
        // Finished on record, yet something still runs: forgetting it would orphan a process.
        verdict.refused = true;
        verdict.reason = "it is " + view.status + live_text;
        return verdict;
    }
    if (options.dry_run) {
        verdict.forgotten = true;
        return verdict;
    }
    // The lock keeps a deploy of the same job from starting while it is being forgotten.
    auto lock = context.store().lock_job(job.name, "cleanup", util::Millis(0));
    auto tx = context.store().begin();
    tx->delete_job(job.name);
    tx->commit();
    remove_files(context.state_dir(), job.name, options.no_logs);
    verdict.forgotten = true;
    return verdict;
}

int run_cleanup(const CleanupOptions& options, const GlobalOptions& globals) {
    const auto format =
        require_output_format(globals.output, "cleanup", {OutputFormat::table, OutputFormat::json, OutputFormat::yaml});
    const auto console = Console::detect(globals.no_color);
    const auto older_than = optional_duration_flag("--older-than", options.older_than);

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

    std::vector<Verdict> verdicts;
    for (const auto& job : jobs) {
        try {
            verdicts.push_back(clean_one(*context, job, options, older_than));
        } catch (const state::LockedError& error) {
            if (!options.job.empty()) throw;
            verdicts.push_back({job.name, false, true, error.what()});
        }
    }

    // A named job left alone is a failure; in a sweep, so is a finished job that still runs
    // (jobs that are simply not finished are skipped quietly).
    bool failed = false;
    for (const auto& verdict : verdicts) {
        if (verdict.refused || (!options.job.empty() && !verdict.forgotten)) failed = true;
    }
    if (format != OutputFormat::table) {
        auto forgotten = nlohmann::ordered_json::array();
        auto kept = nlohmann::ordered_json::array();
        for (const auto& verdict : verdicts) {
            if (verdict.forgotten) forgotten.push_back(verdict.job);
            else kept.push_back({{"job", verdict.job}, {"reason", verdict.reason}});
        }
        nlohmann::ordered_json document = {{"dry_run", options.dry_run}, {"forgotten", forgotten}, {"kept", kept}};
        const std::string json = document.dump(2) + "\n";
        fmt::print("{}", format == OutputFormat::json ? json : json_to_yaml(json));
        return failed ? static_cast<int>(util::ExitCode::failed) : 0;
    }
    std::size_t count = 0;
    for (const auto& verdict : verdicts) {
        if (verdict.forgotten) {
            ++count;
            if (!globals.quiet) {
                fmt::print("{} {}\n", options.dry_run ? "Would forget" : "Forgot", verdict.job);
            }
        } else if (!options.job.empty() || verdict.refused) {
            console.print_error("cleanup: left " + verdict.job + " alone: " + verdict.reason);
        } else if (globals.verbose) {
            fmt::print("Kept {}: {}\n", verdict.job, verdict.reason);
        }
    }
    if (count == 0 && options.job.empty() && !globals.quiet) fmt::print("Nothing to clean up.\n");
    return failed ? static_cast<int>(util::ExitCode::failed) : 0;
}

}  // namespace

Verb setup_cleanup(CLI::App& app, const GlobalOptions& globals) {
    auto options = std::make_shared<CleanupOptions>();
    auto* command =
        app.add_subcommand("cleanup", "Forget finished (stopped or failed) jobs: their state, launch records and logs");
    command->add_option("job", options->job, "Only this job")->type_name("JOB");
    command->add_option("--older-than", options->older_than, "Only jobs last updated longer ago than this")
        ->type_name("DURATION");
    command->add_option("--status", options->status, "Which finished jobs: stopped, failed or all (default)")
        ->type_name("STATUS")
        ->check(CLI::IsMember({"stopped", "failed", "all"}));
    command->add_flag("--dry-run", options->dry_run, "Print what would be forgotten; change nothing");
    command->add_flag("--no-logs", options->no_logs, "Keep the jobs' log files");
    command->footer(
        "A job with a live instance is never forgotten. Exit status: 0; 1 when the named JOB, or a finished job that "
        "still has a live instance, was left alone; 3 locked; 4 no such job.");
    return {command, [options, &globals] { return run_cleanup(*options, globals); }};
}

}  // namespace agentctl::cli
