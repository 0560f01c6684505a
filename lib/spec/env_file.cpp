// env file parsing. Lenient about layout (spaces, export, quotes) but strict about names, so a
// typo never silently defines a variable nobody reads.

#include "spec/env_file.hpp"

#include <algorithm>

namespace agentctl::spec {

namespace {

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
        text.remove_suffix(1);
    }
    return text;
}

// Reads a quoted value; false when the closing quote is missing or text follows it.
bool unquote(std::string_view value, std::string& out) {
    const char quote = value.front();
    std::size_t i = 1;
    for (; i < value.size() && value[i] != quote; ++i) {
        char c = value[i];
        if (quote == '"' && c == '\\' && i + 1 < value.size()) {
            const char next = value[++i];
            c = next == 'n' ? '\n' : next == 't' ? '\t' : next;
        }
        out += c;
    }
    if (i >= value.size()) {
        return false;
    }
    std::string_view rest = trim(value.substr(i + 1));
    return rest.empty() || rest.front() == '#';
}

}  // namespace

bool is_env_name(std::string_view name) {
    if (name.empty()) {
        return false;
    }
    auto is_start = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
    if (!is_start(name.front())) {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [&](char c) { return is_start(c) || (c >= '0' && c <= '9'); });
}

EnvFileContent parse_env_file(std::string_view text) {
    EnvFileContent content;
    int line_number = 0;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        std::string_view line = trim(text.substr(start, end - start));
        start = end + 1;
        ++line_number;
        if (line.empty() || line.front() == '#') {
            continue;
        }
        if (line.substr(0, 7) == "export ") {
            line = trim(line.substr(7));
        }
        const std::size_t equals = line.find('=');
        if (equals == std::string_view::npos) {
            content.problems.push_back({line_number, "expected KEY=VALUE, got '" + std::string(line) + "'"});
            continue;
        }
        const std::string_view name = trim(line.substr(0, equals));
        if (!is_env_name(name)) {
            content.problems.push_back(
                {line_number, "invalid environment variable name '" + std::string(name) + "'"});
            continue;
        }
        std::string_view raw = trim(line.substr(equals + 1));
        std::string value;
        if (!raw.empty() && (raw.front() == '"' || raw.front() == '\'')) {
            if (!unquote(raw, value)) {
                content.problems.push_back({line_number, "unterminated quote in the value of " + std::string(name)});
                continue;
            }
        } else {
            const std::size_t comment = raw.find(" #");
            value = std::string(trim(raw.substr(0, comment)));
        }
        content.entries.push_back({std::string(name), std::move(value), line_number});
    }
    return content;
}

}  // namespace agentctl::spec
