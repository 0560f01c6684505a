// The invalid-job corpus: every tests/data/invalid/NAME.yaml is loaded (and resolved when it
// loads) and must produce exactly what NAME.expected lists. Files named strict-*.yaml are
// loaded with --strict. Hostile inputs too large to commit are generated here at test time.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "plan/topology_resolver.hpp"
#include "spec/job_loader.hpp"

namespace {

namespace fs = std::filesystem;
using agentctl::spec::Diagnostic;
using agentctl::spec::severity_name;

/// One `line:col: severity: fragment` line of a .expected file.
struct ExpectedLine {
    int line = 0;
    int column = 0;
    std::string severity;
    std::string fragment;
};

struct Expected {
    int exit = -1;
    std::vector<ExpectedLine> lines;
};

struct Outcome {
    int exit = 0;
    std::vector<Diagnostic> diagnostics;
    double seconds = 0;
};

Expected read_expected(const fs::path& path) {
    Expected expected;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty()) {
            continue;
        }
        if (line.rfind("exit: ", 0) == 0) {
            expected.exit = std::stoi(line.substr(6));
            continue;
        }
        ExpectedLine entry;
        std::istringstream fields(line);
        char colon = 0;
        fields >> entry.line >> colon >> entry.column >> colon;
        fields >> std::ws;
        std::getline(fields, entry.severity, ':');
        std::getline(fields >> std::ws, entry.fragment);
        expected.lines.push_back(entry);
    }
    return expected;
}

// The runner's environment: fixed, so that the corpus never depends on the machine.
agentctl::spec::LoadOptions corpus_options(bool strict) {
    agentctl::spec::LoadOptions options;
    options.strict = strict;
    options.env = [](const std::string& name) -> std::optional<std::string> {
        if (name == "AGENTCTL_TEST_TOKEN") {
            return std::string("t0ken");
        }
        return std::nullopt;
    };
    return options;
}

Outcome run_job(const fs::path& path, bool strict) {
    Outcome outcome;
    const auto start = std::chrono::steady_clock::now();
    agentctl::spec::LoadResult loaded = agentctl::spec::load_job_file(path.string(), corpus_options(strict));
    outcome.diagnostics = loaded.diagnostics;
    if (loaded.ok()) {
        agentctl::plan::ResolveOptions options;
        options.hash_key = "test";
        agentctl::plan::ResolveResult resolved = agentctl::plan::resolve_plan(*loaded.spec, options);
        outcome.diagnostics.insert(outcome.diagnostics.end(), resolved.diagnostics.begin(),
                                   resolved.diagnostics.end());
    }
    outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const bool any_error = std::any_of(outcome.diagnostics.begin(), outcome.diagnostics.end(), [](const Diagnostic& d) {
        return d.severity == agentctl::spec::Severity::error;
    });
    outcome.exit = any_error ? 2 : 0;
    return outcome;
}

std::string show(const Diagnostic& d) {
    return std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column) + ": " + severity_name(d.severity) + ": " +
           d.message;
}

/// Empty when the outcome is what was expected, else what differs.
std::string compare(const Expected& expected, const Outcome& outcome) {
    std::string problems;
    if (expected.exit != outcome.exit) {
        problems += "exit " + std::to_string(outcome.exit) + ", expected " + std::to_string(expected.exit) + "\n";
    }
    std::vector<bool> used(outcome.diagnostics.size(), false);
    for (const ExpectedLine& want : expected.lines) {
        bool found = false;
        for (std::size_t i = 0; i < outcome.diagnostics.size() && !found; ++i) {
            const Diagnostic& d = outcome.diagnostics[i];
            if (!used[i] && d.pos.line == want.line && d.pos.column == want.column &&
                want.severity == severity_name(d.severity) && d.message.find(want.fragment) != std::string::npos) {
                used[i] = true;
                found = true;
            }
        }
        if (!found) {
            problems += "missing: " + std::to_string(want.line) + ":" + std::to_string(want.column) + ": " +
                        want.severity + ": " + want.fragment + "\n";
        }
    }
    for (std::size_t i = 0; i < outcome.diagnostics.size(); ++i) {
        if (!used[i] && outcome.diagnostics[i].severity == agentctl::spec::Severity::error) {
            problems += "unexpected: " + show(outcome.diagnostics[i]) + "\n";
        }
    }
    return problems;
}

std::vector<fs::path> corpus_files() {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(fs::path(AGENTCTL_TEST_DATA_DIR) / "invalid")) {
        if (entry.path().extension() == ".yaml") {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

/// A temporary directory removed when the test ends, also on failure.
class TempDir {
public:
    TempDir() {
        const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
        m_path = fs::temp_directory_path() / ("agentctl-corpus-" + std::to_string(stamp));
        fs::create_directories(m_path);
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(m_path, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return m_path; }

private:
    fs::path m_path;
};

void write_file(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

}  // namespace

TEST_CASE("the invalid corpus covers the rules with an expectation per file") {
    const std::vector<fs::path> files = corpus_files();
    CHECK(files.size() >= 60);
    for (const fs::path& file : files) {
        fs::path expected = file;
        expected.replace_extension(".expected");
        INFO(file.filename().string());
        CHECK(fs::exists(expected));
    }
}

TEST_CASE("every invalid job file is refused as its .expected file says") {
    for (const fs::path& file : corpus_files()) {
        const std::string name = file.filename().string();
        DYNAMIC_SECTION(name) {
            fs::path expected_path = file;
            expected_path.replace_extension(".expected");
            const Expected expected = read_expected(expected_path);
            REQUIRE(expected.exit >= 0);
            const Outcome outcome = run_job(file, name.rfind("strict-", 0) == 0);
            std::string produced;
            for (const Diagnostic& d : outcome.diagnostics) {
                produced += show(d) + "\n";
            }
            INFO("produced:\n" << produced);
            CHECK(compare(expected, outcome) == "");
            CHECK(outcome.seconds < 2.0);
        }
    }
}

TEST_CASE("100,000-deep nesting is refused quickly, without a crash") {
    TempDir dir;
    const fs::path file = dir.path() / "deep.yaml";
    const std::size_t depth = 100'000;
    write_file(file, "job:\n  name: deep\nagents: " + std::string(depth, '[') + std::string(depth, ']') + "\n");

    const Outcome outcome = run_job(file, false);
    CHECK(outcome.exit == 2);
    CHECK(outcome.seconds < 2.0);
    const bool mentions_nesting = std::any_of(outcome.diagnostics.begin(), outcome.diagnostics.end(),
                                              [](const Diagnostic& d) {
                                                  return d.message.find("nesting deeper than") != std::string::npos;
                                              });
    CHECK(mentions_nesting);
}

TEST_CASE("an oversize file is refused quickly, before it is parsed") {
    TempDir dir;
    const fs::path file = dir.path() / "huge.yaml";
    std::string text = "job:\n  name: huge\nagents:\n";
    while (text.size() < 6u * 1024u * 1024u) {
        text += "  # padding padding padding padding padding padding padding padding padding\n";
    }
    write_file(file, text);

    const Outcome outcome = run_job(file, false);
    REQUIRE(outcome.diagnostics.size() == 1);
    CHECK(outcome.exit == 2);
    CHECK(outcome.diagnostics[0].pos.line == 0);
    CHECK(outcome.diagnostics[0].message.find("the limit is 4194304 bytes") != std::string::npos);
    CHECK(outcome.seconds < 2.0);
}
