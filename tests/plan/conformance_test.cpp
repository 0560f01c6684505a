// Conformance with the original system: every origin job validates and plans with exactly the
// stages and connections of compat/expected (DESIGN.md §2). Reads ../shared/compat at run time.

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "plan/plan_json.hpp"
#include "plan/topology_resolver.hpp"
#include "spec/job_loader.hpp"

namespace fs = std::filesystem;
using namespace agentctl;

namespace {

bool in_ci() {
    const char* ci = std::getenv("CI");
    return ci && std::string(ci) == "true";
}

std::vector<fs::path> origin_jobs(const fs::path& dir) {
    std::vector<fs::path> out;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() == ".yaml") out.push_back(entry.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

// The origin jobs name ${VAR}s nowhere, but the test must not depend on the caller's environment.
spec::LoadOptions isolated() {
    spec::LoadOptions options;
    options.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
    return options;
}

}  // namespace

TEST_CASE("every origin job plans with the stages and connections of compat/expected") {
    const fs::path compat = fs::path(AGENTCTL_SHARED_DIR) / "compat";
    if (!fs::is_directory(compat / "origin-jobs")) {
        if (in_ci()) FAIL("the conformance corpus is missing: " << compat.string());
        WARN("skipped: the conformance corpus is not at " << compat.string());
        return;
    }
    const auto jobs = origin_jobs(compat / "origin-jobs");
    CHECK(jobs.size() == 22);
    for (const auto& path : jobs) {
        SECTION(path.filename().string()) {
            spec::LoadResult loaded = spec::load_job_file(path.string(), isolated());
            for (const auto& diagnostic : loaded.diagnostics) {
                if (diagnostic.severity == spec::Severity::error) FAIL_CHECK(spec::format_diagnostic(diagnostic));
            }
            REQUIRE(loaded.spec.has_value());

            plan::ResolveOptions options;
            options.hash_key = "conformance";
            plan::ResolveResult resolved = plan::resolve_plan(*loaded.spec, options);
            for (const auto& diagnostic : resolved.diagnostics) {
                if (diagnostic.severity == spec::Severity::error) FAIL_CHECK(spec::format_diagnostic(diagnostic));
            }
            REQUIRE(resolved.plan.has_value());

            std::ifstream in(compat / "expected" / (path.stem().string() + ".json"));
            REQUIRE(in.good());
            const nlohmann::json expected = nlohmann::json::parse(in);
            const auto expected_stages = expected.at("stages").get<std::vector<std::vector<std::string>>>();
            const auto expected_connections =
                expected.at("connections").get<std::map<std::string, std::vector<std::string>>>();

            const plan::Plan& plan = *resolved.plan;
            CHECK(plan.stages == expected_stages);
            std::map<std::string, std::vector<std::string>> connections;
            for (const auto& agent : plan.agents) connections[agent.spec.id] = agent.connections;
            CHECK(connections == expected_connections);

            // The JSON form reports the same, as `agentctl plan -o json` would.
            const nlohmann::json json = nlohmann::json::parse(plan::plan_to_json(plan));
            CHECK(json.at("stages") == expected.at("stages"));
            for (const auto& [id, ids] : expected_connections) CHECK(json.at("agents").at(id).at("connections") == ids);
        }
    }
}
