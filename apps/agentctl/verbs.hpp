#pragma once
// The verbs of agentctl: each cmd_<verb>.cpp holds its options struct, a setup_<verb>() that
// registers the CLI11 subcommand, and a run_<verb>() that does the work.

#include <functional>

namespace CLI {
class App;
}

namespace agentctl::cli {

struct GlobalOptions;

/// A registered verb: its subcommand and the work to do when the command line chose it.
/// `run` returns the exit code; failures are thrown and mapped to exit codes by main.
struct Verb {
    CLI::App* command = nullptr;
    std::function<int()> run;
};

/// `validate FILE... [--strict]`: checks job files and reports every problem.
Verb setup_validate(CLI::App& app, const GlobalOptions& globals);
/// `plan FILE`: prints the stages, URLs, connections and changes a deploy would make.
Verb setup_plan(CLI::App& app, const GlobalOptions& globals);
/// `deploy FILE` (alias `start`): starts a job's agents or brings them up to date.
Verb setup_deploy(CLI::App& app, const GlobalOptions& globals);
/// `status [JOB] [--check]`: the live status of deployed jobs.
Verb setup_status(CLI::App& app, const GlobalOptions& globals);
/// `inspect JOB [AGENT]`: command, environment (secrets masked), peers, files and pids.
Verb setup_inspect(CLI::App& app, const GlobalOptions& globals);
/// `list [--all] [--limit N]`: the recorded jobs.
Verb setup_list(CLI::App& app, const GlobalOptions& globals);
/// `logs JOB [AGENT...]`: the agents' output, merged by time.
Verb setup_logs(CLI::App& app, const GlobalOptions& globals);
/// `restart JOB [AGENT...]`: restarts instances from their launch records.
Verb setup_restart(CLI::App& app, const GlobalOptions& globals);
/// `stop JOB [AGENT...]`: stops instances, latest stage first.
Verb setup_stop(CLI::App& app, const GlobalOptions& globals);
/// `query JOB MESSAGE`: asks the job's entry point and prints the response.
Verb setup_query(CLI::App& app, const GlobalOptions& globals);
/// `cleanup [JOB]`: forgets finished jobs, their launch records and logs.
Verb setup_cleanup(CLI::App& app, const GlobalOptions& globals);
/// `monitor JOB`: watches a deployed job in the foreground (health, restarts, metrics).
Verb setup_monitor(CLI::App& app, const GlobalOptions& globals);
/// `events [JOB] [-f] [--since D]`: the recorded events of jobs.
Verb setup_events(CLI::App& app, const GlobalOptions& globals);
/// `version`: prints agentctl's version.
Verb setup_version(CLI::App& app, const GlobalOptions& globals);
/// `help [VERB]`: prints the help of agentctl or of one verb.
Verb setup_help(CLI::App& app, const GlobalOptions& globals);

/// agentctl's version ("0.1.0"), from the project version.
const char* version_text();

}  // namespace agentctl::cli
