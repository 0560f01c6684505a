#include "job_steps.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "console.hpp"
#include "global_options.hpp"
#include "state/state_dir.hpp"
#include "util/errors.hpp"

namespace agentctl::cli {
namespace {

bool has_error(const std::vector<spec::Diagnostic>& diagnostics) {
    for (const auto& diagnostic : diagnostics) {
        if (diagnostic.severity == spec::Severity::error) return true;
    }
    return false;
}

void print_warnings(const std::vector<spec::Diagnostic>& diagnostics, const Console& console, bool quiet) {
    if (quiet) return;
    std::vector<spec::Diagnostic> warnings;
    for (const auto& diagnostic : diagnostics) {
        if (diagnostic.severity == spec::Severity::warning) warnings.push_back(diagnostic);
    }
    console.print_diagnostics(warnings);
}

// nullopt when the file does not exist; its text otherwise. Other read errors throw.
std::optional<std::string> read_optional_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const int error = errno;
        if (error == ENOENT) return std::nullopt;
        throw util::UsageError("cannot read " + path + ": " + std::strerror(error));
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

spec::JobSpec load_job(const std::string& path, const spec::LoadOptions& options, const Console& console,
                       bool quiet) {
    auto loaded = spec::load_job_file(path, options);
    if (!loaded.ok() || has_error(loaded.diagnostics)) throw spec::SpecError(std::move(loaded.diagnostics));
    print_warnings(loaded.diagnostics, console, quiet);
    return std::move(*loaded.spec);
}

plan::Plan resolve_job(const spec::JobSpec& job, const plan::ResolveOptions& options, const Console& console,
                       bool quiet) {
    auto resolved = plan::resolve_plan(job, options);
    if (!resolved.plan || has_error(resolved.diagnostics)) {
        if (!has_error(resolved.diagnostics)) {
            spec::Diagnostic missing;
            missing.file = job.file;
            missing.message = "the topology could not be resolved into a plan";
            resolved.diagnostics.push_back(std::move(missing));
        }
        throw spec::SpecError(std::move(resolved.diagnostics));
    }
    print_warnings(resolved.diagnostics, console, quiet);
    return std::move(*resolved.plan);
}

util::SshConfig load_ssh_config(const GlobalOptions& globals) {
    // A file the user named must exist (as with `ssh -F`); the default one is optional.
    if (!globals.ssh_config.empty()) {
        const auto text = read_optional_file(globals.ssh_config);
        if (!text) throw util::UsageError("cannot read ssh config " + globals.ssh_config + ": " + std::strerror(ENOENT));
        return util::SshConfig::parse(*text);
    }
    const auto home = state::state_dir_inputs_from_process({}).home;
    if (!home) return util::SshConfig::parse("");
    const auto text = read_optional_file(*home + "/.ssh/config");
    return util::SshConfig::parse(text ? *text : std::string());
}

std::string open_state_dir(const GlobalOptions& globals) {
    const auto dir = state::resolve_state_dir(state::state_dir_inputs_from_process(globals.state_dir));
    state::ensure_state_dir(dir);
    return dir;
}

plan::ResolveOptions resolve_options_for(const GlobalOptions& globals, bool with_hash_key) {
    plan::ResolveOptions options;
    options.ssh_config = load_ssh_config(globals);
    if (with_hash_key) options.hash_key = state::load_or_create_hash_key(open_state_dir(globals));
    return options;
}

}  // namespace agentctl::cli
