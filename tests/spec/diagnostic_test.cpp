#include "spec/diagnostic.hpp"

#include <catch2/catch.hpp>

using agentctl::spec::Diagnostic;
using agentctl::spec::Diagnostics;
using agentctl::spec::format_diagnostic;
using agentctl::spec::Severity;
using agentctl::spec::severity_name;
using agentctl::spec::sort_by_position;
using agentctl::spec::SourcePos;
using agentctl::spec::SpecError;

TEST_CASE("severity names are lower-case words", "[diagnostic]") {
    CHECK(std::string(severity_name(Severity::error)) == "error");
    CHECK(std::string(severity_name(Severity::warning)) == "warning");
    CHECK(std::string(severity_name(Severity::note)) == "note");
}

TEST_CASE("a diagnostic formats as file:line:col: severity: message", "[diagnostic]") {
    Diagnostic d{"job.yaml", {12, 5}, Severity::error, "unknown agent 'maps'", ""};
    CHECK(format_diagnostic(d) == "job.yaml:12:5: error: unknown agent 'maps'");
}

TEST_CASE("a hint goes on a second, indented line", "[diagnostic]") {
    Diagnostic d{"job.yaml", {3, 1}, Severity::warning, "unknown key 'deplyment'", "did you mean 'deployment'?"};
    CHECK(format_diagnostic(d) == "job.yaml:3:1: warning: unknown key 'deplyment'\n  hint: did you mean 'deployment'?");
}

TEST_CASE("line 0 means no position: only the file is printed", "[diagnostic]") {
    Diagnostic d{"big.yaml", {0, 0}, Severity::error, "file is larger than 4 MiB", ""};
    CHECK(format_diagnostic(d) == "big.yaml: error: file is larger than 4 MiB");

    Diagnostic with_hint{"big.yaml", {}, Severity::note, "read nothing", "try again"};
    CHECK(format_diagnostic(with_hint) == "big.yaml: note: read nothing\n  hint: try again");
}

TEST_CASE("a line without a column prints no column", "[diagnostic]") {
    Diagnostic d{"job.yaml", {7, 0}, Severity::error, "bad", ""};
    CHECK(format_diagnostic(d) == "job.yaml:7: error: bad");
}

TEST_CASE("Diagnostics records entries naming its file, in order", "[diagnostic]") {
    Diagnostics diagnostics("a.yaml");
    CHECK(diagnostics.file() == "a.yaml");
    diagnostics.warning({2, 3}, "w", "h");
    diagnostics.note({1, 1}, "n");
    REQUIRE(diagnostics.all().size() == 2);
    CHECK(diagnostics.all()[0].file == "a.yaml");
    CHECK(diagnostics.all()[0].severity == Severity::warning);
    CHECK(diagnostics.all()[0].pos.line == 2);
    CHECK(diagnostics.all()[0].pos.column == 3);
    CHECK(diagnostics.all()[0].message == "w");
    CHECK(diagnostics.all()[0].hint == "h");
    CHECK(diagnostics.all()[1].severity == Severity::note);
    CHECK(diagnostics.all()[1].hint.empty());
}

TEST_CASE("has_errors is true only once an error is recorded", "[diagnostic]") {
    Diagnostics diagnostics("a.yaml");
    CHECK_FALSE(diagnostics.has_errors());
    diagnostics.warning({1, 1}, "unknown key");
    diagnostics.note({1, 1}, "unused agent");
    CHECK_FALSE(diagnostics.has_errors());
    diagnostics.error({4, 2}, "missing id");
    CHECK(diagnostics.has_errors());
}

TEST_CASE("append keeps earlier entries and adds the new ones after them", "[diagnostic]") {
    Diagnostics diagnostics("a.yaml");
    diagnostics.warning({1, 1}, "first");
    diagnostics.append({Diagnostic{"b.env", {2, 1}, Severity::error, "second", ""}});
    REQUIRE(diagnostics.all().size() == 2);
    CHECK(diagnostics.all()[0].message == "first");
    CHECK(diagnostics.all()[1].message == "second");
    CHECK(diagnostics.all()[1].file == "b.env");
    CHECK(diagnostics.has_errors());
}

TEST_CASE("sort_by_position orders by line, then column, keeping ties in order", "[diagnostic]") {
    std::vector<Diagnostic> list{
        {"f", {5, 2}, Severity::error, "e", ""},
        {"f", {2, 9}, Severity::error, "b", ""},
        {"f", {5, 1}, Severity::error, "d", ""},
        {"f", {2, 9}, Severity::warning, "c", ""},
        {"f", {0, 0}, Severity::error, "a", ""},
        {"f", {2, 1}, Severity::note, "a2", ""},
    };
    sort_by_position(list);
    std::vector<std::string> order;
    for (const auto& d : list) {
        order.push_back(d.message);
    }
    CHECK(order == std::vector<std::string>{"a", "a2", "b", "c", "d", "e"});
}

TEST_CASE("SpecError's message is the formatted list, one per line, and it exits 2", "[diagnostic]") {
    SpecError error({
        {"job.yaml", {1, 1}, Severity::error, "one", "fix it"},
        {"job.yaml", {3, 4}, Severity::warning, "two", ""},
    });
    CHECK(std::string(error.what()) == "job.yaml:1:1: error: one\n  hint: fix it\njob.yaml:3:4: warning: two");
    CHECK(error.exit_code() == agentctl::util::ExitCode::usage);
    REQUIRE(error.diagnostics().size() == 2);
    CHECK(error.diagnostics()[1].message == "two");
}
