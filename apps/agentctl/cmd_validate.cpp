// `agentctl validate FILE... [--strict]`: loads and resolves each job file, reports every
// problem with its file:line:col, and says per file whether it is valid (DESIGN.md §2, §6).

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "console.hpp"
#include "global_options.hpp"
#include "job_steps.hpp"
#include "masking.hpp"
#include "output_format.hpp"
#include "plan_table.hpp"
#include "table.hpp"
#include "util/text.hpp"
#include "verbs.hpp"

namespace agentctl::cli {
namespace {

/// `validate`'s own arguments and flags.
struct ValidateOptions {
    std::vector<std::string> files;
    bool strict = false;
};

/// What validating one file found.
struct FileReport {
    std::string file;
    std::vector<spec::Diagnostic> diagnostics;  ///< loader's and resolver's, by position
    std::optional<spec::JobSpec> job;
    std::optional<plan::Plan> plan;

    bool valid() const {
        for (const auto& diagnostic : diagnostics) {
            if (diagnostic.severity == spec::Severity::error) return false;
        }
        return plan.has_value();
    }
};

FileReport check_file(const std::string& path, const ValidateOptions& options,
                      const plan::ResolveOptions& resolve_options) {
    FileReport report;
    report.file = path;
    spec::LoadOptions load_options;
    load_options.strict = options.strict;
    auto loaded = spec::load_job_file(path, load_options);
    report.diagnostics = std::move(loaded.diagnostics);
    if (!loaded.ok()) return report;
    // Cycles and the advertise rule are graph properties: only the resolver sees them.
    auto resolved = plan::resolve_plan(*loaded.spec, resolve_options);
    report.diagnostics.insert(report.diagnostics.end(), resolved.diagnostics.begin(), resolved.diagnostics.end());
    spec::sort_by_position(report.diagnostics);
    report.job = std::move(loaded.spec);
    report.plan = std::move(resolved.plan);
    if (!report.plan && report.valid()) {
        spec::Diagnostic missing;
        missing.file = path;
        missing.message = "the topology could not be resolved into a plan";
        report.diagnostics.push_back(std::move(missing));
    }
    return report;
}

std::string plural(std::size_t count, const char* noun) {
    return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

// "valid (2 warnings)" / "invalid (3 errors, 1 warning)"; zero counts are left out.
std::string summary_line(const FileReport& report, const Console& console) {
    std::size_t counts[3] = {0, 0, 0};
    for (const auto& diagnostic : report.diagnostics) ++counts[static_cast<int>(diagnostic.severity)];
    std::vector<std::string> parts;
    if (counts[static_cast<int>(spec::Severity::error)] > 0) {
        parts.push_back(plural(counts[static_cast<int>(spec::Severity::error)], "error"));
    }
    if (counts[static_cast<int>(spec::Severity::warning)] > 0) {
        parts.push_back(plural(counts[static_cast<int>(spec::Severity::warning)], "warning"));
    }
    if (counts[static_cast<int>(spec::Severity::note)] > 0) {
        parts.push_back(plural(counts[static_cast<int>(spec::Severity::note)], "note"));
    }
    std::string line = report.file + ": ";
    line += report.valid() ? console.paint(Stream::out, Style::success, "valid")
                           : console.paint(Stream::out, Style::error, "invalid");
    if (!parts.empty()) line += " (" + util::join(parts, ", ") + ")";
    return line;
}

std::string or_dash(const std::string& text) { return text.empty() ? "-" : text; }

// What the agent runs: its module, its command, or (a container without one) its image.
std::string run_text(const spec::AgentSpec& agent) {
    if (!agent.module.empty()) return agent.module;
    if (!agent.command.empty()) return display_command(agent.command);
    return or_dash(agent.deployment.image);
}

std::string hosts_text(const plan::PlannedAgent& agent) {
    std::vector<std::string> hosts;
    for (const auto& instance : agent.instances) hosts.push_back(instance.host);
    if (hosts.empty()) hosts.push_back(agent.host);
    return or_dash(util::join(hosts, ","));
}

// The job and its agents, as the original system's `validate -v` showed them.
void print_details(const spec::JobSpec& job, const plan::Plan& plan, const Console& console) {
    Table fields({"", ""});
    const auto field = [&fields](const char* name, const std::string& value) { fields.add_row({name, or_dash(value)}); };
    field("Job:", job.job.name);
    field("Version:", job.job.version);
    field("Description:", job.job.description);
    if (!job.job.tags.empty()) field("Tags:", util::join(job.job.tags, ", "));
    field("Topology:", spec::topology_type_name(job.topology.type));
    field("Strategy:", strategy_display(plan));
    field("Entry point:", plan.entry_point);
    fmt::print("{}\n", fields.render_rows());

    Table agents({"ID", "TYPE", "TARGET", "HOST", "PORT", "RUN"});
    for (const auto& agent : plan.agents) {
        agents.add_row({agent.spec.id, or_dash(agent.spec.type), spec::target_name(agent.spec.deployment.target),
                        hosts_text(agent), agent.port ? std::to_string(*agent.port) : "-", run_text(agent.spec)});
    }
    fmt::print("{}\n{}", console.paint(Stream::out, Style::heading, agents.render_header()), agents.render_rows());
}

nlohmann::ordered_json problems_document(const std::vector<FileReport>& reports) {
    bool valid = true;
    auto problems = nlohmann::ordered_json::array();
    for (const auto& report : reports) {
        valid = valid && report.valid();
        for (const auto& diagnostic : report.diagnostics) {
            problems.push_back({{"file", diagnostic.file.empty() ? report.file : diagnostic.file},
                                {"line", diagnostic.pos.line},
                                {"column", diagnostic.pos.column},
                                {"severity", spec::severity_name(diagnostic.severity)},
                                {"message", diagnostic.message},
                                {"hint", diagnostic.hint}});
        }
    }
    return {{"valid", valid}, {"problems", std::move(problems)}};
}

int run_validate(const ValidateOptions& options, const GlobalOptions& globals) {
    const auto format =
        require_output_format(globals.output, "validate", {OutputFormat::table, OutputFormat::json, OutputFormat::yaml});
    const auto console = Console::detect(globals.no_color);
    // validate reads nothing from the state dir: spec hashes are not shown, so no key is needed.
    const auto resolve_options = resolve_options_for(globals, false);

    std::vector<FileReport> reports;
    for (const auto& file : options.files) reports.push_back(check_file(file, options, resolve_options));

    bool all_valid = true;
    for (const auto& report : reports) all_valid = all_valid && report.valid();

    if (format != OutputFormat::table) {
        const std::string json = problems_document(reports).dump(2);
        fmt::print("{}", format == OutputFormat::json ? json + "\n" : json_to_yaml(json));
        return all_valid ? 0 : 2;
    }
    for (std::size_t i = 0; i < reports.size(); ++i) {
        const auto& report = reports[i];
        console.print_diagnostics(report.diagnostics, globals.quiet);
        if (globals.quiet) continue;
        fmt::print("{}\n", summary_line(report, console));
        if (globals.verbose && report.valid()) {
            fmt::print("\n");
            print_details(*report.job, *report.plan, console);
            if (i + 1 < reports.size()) fmt::print("\n");
        }
        std::fflush(stdout);
    }
    return all_valid ? 0 : 2;
}

}  // namespace

Verb setup_validate(CLI::App& app, const GlobalOptions& globals) {
    auto options = std::make_shared<ValidateOptions>();
    auto* command = app.add_subcommand("validate", "Check job files: schema, references and topology");
    command->add_option("file", options->files, "Job files to check")->type_name("FILE")->required();
    command->add_flag("--strict", options->strict, "Treat unknown keys as errors, not warnings");
    command->footer("Exit status: 0 when every file is valid (warnings allowed), 2 otherwise.");
    return {command, [options, &globals] { return run_validate(*options, globals); }};
}

}  // namespace agentctl::cli
