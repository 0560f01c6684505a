// JobLoader: text -> JobSpec in passes (read, interpolate, check and build each section with
// defaults merged under every agent, cross-reference validation), collecting every problem.

#include "spec/job_loader.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <tuple>
#include <unordered_set>
#include <utility>

#include "spec/schema_walker.hpp"
#include "spec/section_builders.hpp"
#include "spec/tree_passes.hpp"
#include "spec/validator.hpp"

namespace agentctl::spec {

namespace {

std::string directory_of(const std::string& path) {
    std::string dir = std::filesystem::path(path).parent_path().string();
    return dir.empty() ? "." : dir;
}

// The same problem can be found more than once (an alias used twice, defaults merged into
// several agents): report each once.
void remove_duplicates(std::vector<Diagnostic>& diagnostics) {
    std::set<std::tuple<std::string, int, int, int, std::string>> seen;
    std::vector<Diagnostic> unique;
    unique.reserve(diagnostics.size());
    for (Diagnostic& d : diagnostics) {
        if (seen.emplace(d.file, d.pos.line, d.pos.column, static_cast<int>(d.severity), d.message).second) {
            unique.push_back(std::move(d));
        }
    }
    diagnostics = std::move(unique);
}

void build_agents(const MapReader& top, LoadContext& context, JobSpec& spec) {
    SchemaWalker& walker = context.walker;
    const YamlNode* defaults = top.get("defaults");
    if (defaults != nullptr && !walker.failed(*defaults) && !defaults->is_map()) {
        walker.type_error(*defaults, "defaults", "a map of agent fields");
        defaults = nullptr;
    }
    std::unordered_set<const YamlNode*> from_defaults;
    if (defaults != nullptr) {
        // Checked once here, then kept quiet inside every agent it is merged into.
        build_agent(*defaults, "defaults", context, true);
        collect_nodes(*defaults, from_defaults);
    }

    const YamlNode* agents = top.get("agents");
    if (agents == nullptr) {
        top.missing("agents", "list the agents: agents: [{id: my-agent, module: my.module}]");
        return;
    }
    if (walker.failed(*agents)) {
        return;
    }
    if (!agents->is_sequence()) {
        walker.type_error(*agents, "agents", "a list of agents");
        return;
    }
    if (agents->items.empty()) {
        walker.error(*agents, "agents must list at least one agent");
        return;
    }
    for (std::size_t i = 0; i < agents->items.size(); ++i) {
        const YamlNodePtr& item = agents->items[i];
        const std::string path = "agents[" + std::to_string(i) + "]";
        if (walker.failed(*item)) {
            continue;
        }
        if (!item->is_map()) {
            walker.type_error(*item, path, "a map of agent fields");
            continue;
        }
        const YamlNodePtr merged = defaults != nullptr ? merge_defaults(*defaults, item) : item;
        walker.set_quiet(&from_defaults);
        spec.agents.push_back(build_agent(*merged, path, context, false));
        walker.set_quiet(nullptr);
    }
}

// Everything after reading the YAML; false when the tree is not a job at all.
bool build_job(const YamlNodePtr& document, const LoadOptions& options, Diagnostics& diagnostics, JobSpec& spec) {
    SchemaWalker walker(diagnostics, options.strict);
    const YamlNodePtr root = interpolate_tree(document, options.env, walker);
    if (is_null_value(root.get())) {
        diagnostics.error(root->pos, "the job file is empty", "a job needs job: {name: ...} and agents: [...]");
        return false;
    }
    if (!root->is_map()) {
        diagnostics.error(root->pos, "a job file must be a map, not " + describe_node(*root),
                          "a job needs job: {name: ...} and agents: [...]");
        return false;
    }
    const MapReader top(walker, *root, "", keys::top);
    spec.job = build_job_meta(top, options);
    LoadContext context{walker, options, spec.dir, {}, {}, {}};
    build_job_deployment(top, context);
    spec.deployment = context.deployment;
    if (const YamlNode* environment = top.get("environment")) {
        spec.environment = build_environment(walker, *environment, "environment", false);
    }
    spec.execution = build_execution(top);
    spec.topology = build_topology(top);
    build_agents(top, context, spec);
    validate_job(spec, diagnostics);
    return true;
}

}  // namespace

LoadResult load_job_text(const std::string& text, const std::string& path, const LoadOptions& options) {
    Diagnostics diagnostics(path);
    YamlDocument document = read_yaml(text, path, options.limits);
    diagnostics.append(document.problems);

    JobSpec spec;
    spec.file = path;
    spec.dir = directory_of(path);
    const bool built = document.root && build_job(document.root, options, diagnostics, spec);

    LoadResult result;
    if (built && !diagnostics.has_errors()) {
        result.spec = std::move(spec);
    }
    result.diagnostics = diagnostics.all();
    remove_duplicates(result.diagnostics);
    sort_by_position(result.diagnostics);
    return result;
}

LoadResult load_job_file(const std::string& path, const LoadOptions& options) {
    auto fail = [&](std::string message, std::string hint = {}) {
        LoadResult result;
        result.diagnostics.push_back(Diagnostic{path, SourcePos{}, Severity::error, std::move(message), std::move(hint)});
        return result;
    };
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
        return fail("cannot read job file: it is a directory");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in.is_open()) {
        return fail(std::string("cannot read job file: ") + std::strerror(errno ? errno : ENOENT));
    }
    const auto size = std::filesystem::file_size(path, error);
    if (!error && size > options.limits.max_bytes) {
        // Refused before reading: a hostile file must not cost its size in memory.
        return fail("job file is " + std::to_string(size) + " bytes; the limit is " +
                        std::to_string(options.limits.max_bytes) + " bytes",
                    "a job file is a few kilobytes; check that this is the right file");
    }
    // Read at most one byte past the limit, in case the size was unknown (a pipe).
    std::string text(options.limits.max_bytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    return load_job_text(text, path, options);
}

JobSpec load_job_or_throw(const std::string& path, const LoadOptions& options) {
    LoadResult result = load_job_file(path, options);
    if (!result.ok()) {
        throw SpecError(std::move(result.diagnostics));
    }
    return std::move(*result.spec);
}

}  // namespace agentctl::spec
