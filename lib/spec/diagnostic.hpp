#pragma once
// Problems found in a job file, each with its 1-based file:line:col, a message and a fix hint.

#include <string>
#include <vector>

#include "util/errors.hpp"

namespace agentctl::spec {

/// A 1-based position in a source file; line 0 means "no position known".
struct SourcePos {
    int line = 0;
    int column = 0;
};

enum class Severity { error, warning, note };

/// The lower-case name of a severity ("error", "warning", "note").
const char* severity_name(Severity severity);

/// One problem: where it is, how bad, what is wrong and how to fix it.
struct Diagnostic {
    std::string file;
    SourcePos pos;
    Severity severity = Severity::error;
    std::string message;  ///< what is wrong, one line, no trailing period
    std::string hint;     ///< how to fix it ("did you mean ...", "write ..."); may be empty
};

/// Formats `file:line:col: severity: message` and, when there is a hint, `\n  hint: ...`.
std::string format_diagnostic(const Diagnostic& diagnostic);

/// Collects diagnostics for one file; adding never throws away earlier ones.
class Diagnostics {
public:
    /// Starts an empty collection whose entries name `file`.
    explicit Diagnostics(std::string file) : m_file(std::move(file)) {}

    /// Records an error at `pos`.
    void error(SourcePos pos, std::string message, std::string hint = {});
    /// Records a warning at `pos` (an error instead when promoted by --strict by the caller).
    void warning(SourcePos pos, std::string message, std::string hint = {});
    /// Records an informative note at `pos`.
    void note(SourcePos pos, std::string message, std::string hint = {});
    /// Appends already-built diagnostics.
    void append(const std::vector<Diagnostic>& more);

    /// True when at least one error was recorded.
    bool has_errors() const;
    /// Every diagnostic, in the order recorded.
    const std::vector<Diagnostic>& all() const { return m_items; }
    /// The file named by new entries.
    const std::string& file() const { return m_file; }

private:
    std::string m_file;
    std::vector<Diagnostic> m_items;
};

/// Sorts by line, column, then keeps insertion order; the order `validate` prints.
void sort_by_position(std::vector<Diagnostic>& diagnostics);

/// Thrown when a job file cannot be used; carries every problem found (exit 2).
class SpecError : public util::Error {
public:
    /// Builds the error from the diagnostics; its message is their formatted list.
    explicit SpecError(std::vector<Diagnostic> diagnostics);
    /// Every problem found, errors and warnings.
    const std::vector<Diagnostic>& diagnostics() const { return m_diagnostics; }

private:
    std::vector<Diagnostic> m_diagnostics;
};

}  // namespace agentctl::spec
