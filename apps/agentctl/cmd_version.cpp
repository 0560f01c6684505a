// `agentctl version`: the version of this binary, as text or as a small document.

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "global_options.hpp"
#include "output_format.hpp"
#include "verbs.hpp"

#ifndef AGENTCTL_VERSION
#error "AGENTCTL_VERSION must be defined by apps/agentctl/CMakeLists.txt"
#endif

namespace agentctl::cli {
namespace {

/// `version` takes no options of its own.
struct VersionOptions {};

int run_version(const VersionOptions& /*options*/, const GlobalOptions& globals) {
    const auto format =
        require_output_format(globals.output, "version", {OutputFormat::table, OutputFormat::json, OutputFormat::yaml});
    nlohmann::ordered_json document = {{"version", version_text()}};
    switch (format) {
        case OutputFormat::json: fmt::print("{}\n", document.dump(2)); break;
        case OutputFormat::yaml: fmt::print("{}", json_to_yaml(document.dump())); break;
        default: fmt::print("agentctl {}\n", version_text()); break;
    }
    return 0;
}

}  // namespace

const char* version_text() { return AGENTCTL_VERSION; }

Verb setup_version(CLI::App& app, const GlobalOptions& globals) {
    auto options = std::make_shared<VersionOptions>();
    auto* command = app.add_subcommand("version", "Print agentctl's version");
    return {command, [options, &globals] { return run_version(*options, globals); }};
}

}  // namespace agentctl::cli
