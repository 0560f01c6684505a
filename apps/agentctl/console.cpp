#include "console.hpp"

#include <fmt/color.h>
#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace agentctl::cli {
namespace {

fmt::text_style style_of(Style style) {
    switch (style) {
        case Style::error: return fmt::emphasis::bold | fmt::fg(fmt::terminal_color::red);
        case Style::warning: return fmt::emphasis::bold | fmt::fg(fmt::terminal_color::yellow);
        case Style::note: return fmt::emphasis::bold | fmt::fg(fmt::terminal_color::cyan);
        case Style::success: return fmt::fg(fmt::terminal_color::green);
        case Style::heading: return fmt::text_style(fmt::emphasis::bold);
    }
    return {};
}

Style style_of(spec::Severity severity) {
    switch (severity) {
        case spec::Severity::error: return Style::error;
        case spec::Severity::warning: return Style::warning;
        case spec::Severity::note: return Style::note;
    }
    return Style::error;
}

}  // namespace

bool colors_wanted(bool no_color_flag, const char* no_color_env, const char* term_env, bool is_tty) {
    if (no_color_flag || !is_tty) return false;
    if (no_color_env != nullptr && *no_color_env != '\0') return false;
    return !(term_env != nullptr && std::strcmp(term_env, "dumb") == 0);
}

Console Console::detect(bool no_color_flag) {
    const char* no_color = std::getenv("NO_COLOR");
    const char* term = std::getenv("TERM");
    return Console(colors_wanted(no_color_flag, no_color, term, ::isatty(STDOUT_FILENO) == 1),
                   colors_wanted(no_color_flag, no_color, term, ::isatty(STDERR_FILENO) == 1));
}

std::string Console::paint(Stream stream, Style style, std::string_view text) const {
    if (!colored(stream)) return std::string(text);
    return fmt::format(style_of(style), "{}", text);
}

std::string Console::format_diagnostic(const spec::Diagnostic& diagnostic) const {
    std::string text = spec::format_diagnostic(diagnostic);
    if (!colored(Stream::err)) return text;
    // Only the first "<severity>:" after the location is painted; a message may repeat the word.
    const std::string label = std::string(spec::severity_name(diagnostic.severity)) + ":";
    const std::size_t at = text.find(" " + label);
    if (at == std::string::npos) return text;
    return text.substr(0, at + 1) + paint(Stream::err, style_of(diagnostic.severity), label) +
           text.substr(at + 1 + label.size());
}

void Console::print_diagnostics(const std::vector<spec::Diagnostic>& diagnostics, bool errors_only) const {
    for (const auto& diagnostic : diagnostics) {
        if (errors_only && diagnostic.severity != spec::Severity::error) continue;
        fmt::print(stderr, "{}\n", format_diagnostic(diagnostic));
    }
    std::fflush(stderr);
}

void Console::print_error(std::string_view message) const {
    fmt::print(stderr, "{} {}\n", paint(Stream::err, Style::error, "agentctl:"), message);
    std::fflush(stderr);
}

}  // namespace agentctl::cli
