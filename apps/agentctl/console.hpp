#pragma once
// Terminal output for the CLI: whether colours are on, painting text, and printing job-file
// diagnostics. Colours only reach a terminal: fmt would happily write escape codes into a pipe.

#include <string>
#include <string_view>
#include <vector>

#include "spec/diagnostic.hpp"

namespace agentctl::cli {

/// The two streams agentctl writes to.
enum class Stream { out, err };

/// What a piece of text means; each maps to one colour.
enum class Style { error, warning, note, success, heading };

/// True when colours may be used on a stream: it is a terminal, `--no-color` was not given,
/// NO_COLOR is unset or empty (no-color.org) and TERM is not "dumb".
bool colors_wanted(bool no_color_flag, const char* no_color_env, const char* term_env, bool is_tty);

/// The colour decisions for stdout and stderr, made once after the command line is parsed.
class Console {
public:
    /// Decides from `--no-color`, the environment and isatty() on stdout and stderr.
    static Console detect(bool no_color_flag);
    /// A console that never paints (for tests and machine output).
    Console() = default;
    /// A console with explicit decisions per stream.
    Console(bool color_out, bool color_err) : m_color_out(color_out), m_color_err(color_err) {}

    /// Whether `stream` gets colours.
    bool colored(Stream stream) const { return stream == Stream::out ? m_color_out : m_color_err; }

    /// `text` wrapped in the escape codes of `style` when `stream` gets colours, else unchanged.
    std::string paint(Stream stream, Style style, std::string_view text) const;

    /// spec::format_diagnostic's text with the severity painted for stderr.
    std::string format_diagnostic(const spec::Diagnostic& diagnostic) const;

    /// Prints each diagnostic to stderr, one per line (plus its hint line); with
    /// `errors_only`, warnings and notes are left out.
    void print_diagnostics(const std::vector<spec::Diagnostic>& diagnostics, bool errors_only = false) const;

    /// Prints `agentctl: <message>` to stderr, with "agentctl:" painted as an error.
    void print_error(std::string_view message) const;

private:
    bool m_color_out = false;
    bool m_color_err = false;
};

}  // namespace agentctl::cli
