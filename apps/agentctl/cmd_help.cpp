// `agentctl help [VERB]`: the same text as `--help`, for people who type the verb first.

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "global_options.hpp"
#include "util/errors.hpp"
#include "util/text.hpp"
#include "verbs.hpp"

namespace agentctl::cli {
namespace {

/// `help`'s one optional argument.
struct HelpOptions {
    std::string verb;
};

std::vector<std::string> verb_names(const CLI::App& app) {
    std::vector<std::string> names;
    for (const auto* command : app.get_subcommands({})) names.push_back(command->get_name());
    return names;
}

int run_help(const HelpOptions& options, const CLI::App& app) {
    if (options.verb.empty()) {
        fmt::print("{}", app.help());
        return 0;
    }
    for (const auto* command : app.get_subcommands({})) {
        if (command->get_name() == options.verb) {
            fmt::print("{}", command->help(app.get_name()));
            return 0;
        }
    }
    std::string message = "unknown command \"" + options.verb + "\"";
    if (const auto guess = util::did_you_mean(options.verb, verb_names(app)); !guess.empty()) {
        message += " (did you mean \"" + guess + "\"?)";
    }
    throw util::UsageError(message);
}

}  // namespace

Verb setup_help(CLI::App& app, const GlobalOptions& /*globals*/) {
    auto options = std::make_shared<HelpOptions>();
    auto* command = app.add_subcommand("help", "Print the help of agentctl or of one verb");
    command->add_option("verb", options->verb, "The verb to explain")->type_name("VERB");
    return {command, [options, &app] { return run_help(*options, app); }};
}

}  // namespace agentctl::cli
