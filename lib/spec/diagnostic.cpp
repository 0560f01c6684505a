// Diagnostics: formatting in the compiler style editors understand (file:line:col), and the
// SpecError that carries them out of the loader.

#include "spec/diagnostic.hpp"

#include <algorithm>
#include <utility>

namespace agentctl::spec {

namespace {

std::string format_all(const std::vector<Diagnostic>& diagnostics) {
    std::string out;
    for (const Diagnostic& diagnostic : diagnostics) {
        if (!out.empty()) {
            out += '\n';
        }
        out += format_diagnostic(diagnostic);
    }
    return out;
}

}  // namespace

const char* severity_name(Severity severity) {
    switch (severity) {
    case Severity::error:
        return "error";
    case Severity::warning:
        return "warning";
    case Severity::note:
        return "note";
    }
    return "error";
}

std::string format_diagnostic(const Diagnostic& diagnostic) {
    std::string out = diagnostic.file;
    // Line 0 means the problem concerns the whole file (size, I/O); a column of 0 means only the
    // line is known. Either way we print no made-up position.
    if (diagnostic.pos.line > 0) {
        out += ':' + std::to_string(diagnostic.pos.line);
        if (diagnostic.pos.column > 0) {
            out += ':' + std::to_string(diagnostic.pos.column);
        }
    }
    out += ": ";
    out += severity_name(diagnostic.severity);
    out += ": ";
    out += diagnostic.message;
    if (!diagnostic.hint.empty()) {
        out += "\n  hint: ";
        out += diagnostic.hint;
    }
    return out;
}

void Diagnostics::error(SourcePos pos, std::string message, std::string hint) {
    m_items.push_back(Diagnostic{m_file, pos, Severity::error, std::move(message), std::move(hint)});
}

void Diagnostics::warning(SourcePos pos, std::string message, std::string hint) {
    m_items.push_back(Diagnostic{m_file, pos, Severity::warning, std::move(message), std::move(hint)});
}

void Diagnostics::note(SourcePos pos, std::string message, std::string hint) {
    m_items.push_back(Diagnostic{m_file, pos, Severity::note, std::move(message), std::move(hint)});
}

void Diagnostics::append(const std::vector<Diagnostic>& more) {
    m_items.insert(m_items.end(), more.begin(), more.end());
}

bool Diagnostics::has_errors() const {
    return std::any_of(m_items.begin(), m_items.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::error; });
}

void sort_by_position(std::vector<Diagnostic>& diagnostics) {
    // Stable, so that problems found at the same place keep the order they were found in.
    std::stable_sort(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& a, const Diagnostic& b) {
        if (a.pos.line != b.pos.line) {
            return a.pos.line < b.pos.line;
        }
        return a.pos.column < b.pos.column;
    });
}

SpecError::SpecError(std::vector<Diagnostic> diagnostics)
    : util::Error(format_all(diagnostics), util::ExitCode::usage), m_diagnostics(std::move(diagnostics)) {}

}  // namespace agentctl::spec
