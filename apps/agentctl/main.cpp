// agentctl's entry point. It reads as the list of steps every invocation goes through; the
// verbs themselves live in cmd_<verb>.cpp. This is the one place where exceptions are caught
// and turned into exit codes (DESIGN.md §6): library code throws, it never exits.

#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "console.hpp"
#include "global_options.hpp"
#include "spec/diagnostic.hpp"
#include "util/errors.hpp"
#include "util/text.hpp"
#include "verbs.hpp"

namespace {

using agentctl::cli::Console;
using agentctl::cli::GlobalOptions;
using agentctl::cli::Verb;

std::vector<std::string> verb_names(const std::vector<Verb>& verbs) {
    std::vector<std::string> names;
    for (const auto& verb : verbs) names.push_back(verb.command->get_name());
    return names;
}

// CLI11 reports an unknown verb as a missing subcommand plus unexpected arguments; the first
// unexpected word is what the user meant as the verb.
std::string unknown_verb(const CLI::App& app) {
    if (!app.get_subcommands().empty()) return {};
    for (const auto& word : app.remaining()) {
        if (!word.empty() && word.front() != '-') return word;
    }
    return {};
}

int run_chosen_verb(const std::vector<Verb>& verbs) {
    for (const auto& verb : verbs) {
        if (verb.command->parsed()) return verb.run();
    }
    throw agentctl::util::UsageError("no command given (run 'agentctl help')");
}

// Called from a catch block: rethrows the exception in flight and maps it to an exit code.
int exit_code_for_current_exception(CLI::App& app, const GlobalOptions& globals, const std::vector<Verb>& verbs) {
    const auto console = Console::detect(globals.no_color);
    try {
        throw;
    } catch (const CLI::CallForHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForAllHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForVersion& version) {
        return app.exit(version);
    } catch (const CLI::ParseError& error) {
        if (const auto verb = unknown_verb(app); !verb.empty()) {
            std::string message = "unknown command \"" + verb + "\"";
            if (const auto guess = agentctl::util::did_you_mean(verb, verb_names(verbs)); !guess.empty()) {
                message += " (did you mean \"" + guess + "\"?)";
            }
            console.print_error(message + "\nRun 'agentctl help' for the list of commands.");
            return static_cast<int>(agentctl::util::ExitCode::usage);
        }
        console.print_error(std::string(error.what()) + "\nRun 'agentctl help' for usage.");
        return static_cast<int>(agentctl::util::ExitCode::usage);
    } catch (const agentctl::spec::SpecError& error) {
        console.print_diagnostics(error.diagnostics(), globals.quiet);
        return static_cast<int>(error.exit_code());
    } catch (const agentctl::util::Error& error) {
        console.print_error(error.what());
        return static_cast<int>(error.exit_code());
    } catch (const std::exception& error) {
        console.print_error(std::string("internal error: ") + error.what());
        return static_cast<int>(agentctl::util::ExitCode::failed);
    } catch (...) {
        console.print_error("internal error: unknown exception");
        return static_cast<int>(agentctl::util::ExitCode::failed);
    }
}

}  // namespace

int main(int argc, char** argv) {
    // Step 1: the application. Global flags fall through so they work after the verb too,
    // and exactly one verb is required.
    CLI::App app{"agentctl deploys jobs of agent services described in one YAML file.", "agentctl"};
    GlobalOptions globals;
    std::vector<Verb> verbs;
    try {
        app.fallthrough();
        app.require_subcommand(1);
        app.set_version_flag("--version", std::string("agentctl ") + agentctl::cli::version_text());
        app.footer("Run 'agentctl help VERB' for a verb's flags; see agentctl(1) and agentctl-job(5).\n");

        // Step 2: the global flags (--state-dir, -o, --no-color, -q, -v, --known-hosts, --ssh-config).
        agentctl::cli::add_global_options(app, globals);

        // Step 3: register each verb; each brings its own options struct.
        verbs.push_back(agentctl::cli::setup_validate(app, globals));
        verbs.push_back(agentctl::cli::setup_plan(app, globals));
        verbs.push_back(agentctl::cli::setup_deploy(app, globals));
        verbs.push_back(agentctl::cli::setup_status(app, globals));
        verbs.push_back(agentctl::cli::setup_inspect(app, globals));
        verbs.push_back(agentctl::cli::setup_list(app, globals));
        verbs.push_back(agentctl::cli::setup_logs(app, globals));
        verbs.push_back(agentctl::cli::setup_restart(app, globals));
        verbs.push_back(agentctl::cli::setup_stop(app, globals));
        verbs.push_back(agentctl::cli::setup_query(app, globals));
        verbs.push_back(agentctl::cli::setup_cleanup(app, globals));
        verbs.push_back(agentctl::cli::setup_events(app, globals));
        verbs.push_back(agentctl::cli::setup_monitor(app, globals));
        verbs.push_back(agentctl::cli::setup_version(app, globals));
        verbs.push_back(agentctl::cli::setup_help(app, globals));

        // Step 4: parse the command line into `globals` and the chosen verb's options.
        app.parse(argc, argv);

        // Step 5: run the chosen verb; its return value is the exit code.
        const int code = run_chosen_verb(verbs);
        std::fflush(stdout);
        return code;
    } catch (...) {
        // Step 6: every failure ends here and becomes an exit code (util::ExitCode).
        std::fflush(stdout);
        return exit_code_for_current_exception(app, globals, verbs);
    }
}
