#pragma once
// env files (`deployment.env_file`): KEY=VALUE lines as docker compose reads them.
// Internal to lib/spec.

#include <string>
#include <string_view>
#include <vector>

namespace agentctl::spec {

/// True for an environment variable name: [A-Za-z_][A-Za-z0-9_]*.
bool is_env_name(std::string_view name);

/// One variable of an env file, with its 1-based line.
struct EnvFileEntry {
    std::string name;
    std::string value;
    int line = 0;
};

/// One line of an env file that could not be read.
struct EnvFileProblem {
    int line = 0;
    std::string message;
};

/// What an env file holds: its variables in file order (a later line wins over an earlier one
/// of the same name) and the lines that are wrong.
struct EnvFileContent {
    std::vector<EnvFileEntry> entries;
    std::vector<EnvFileProblem> problems;
};

/// Parses env file text: `KEY=VALUE` lines, blank lines and `#` comments skipped, an optional
/// `export ` prefix, values optionally in single quotes (taken literally) or double quotes
/// (\" \\ \n \t escapes); unquoted values are trimmed and lose a ` #` trailing comment.
/// Values are never interpolated.
EnvFileContent parse_env_file(std::string_view text);

}  // namespace agentctl::spec
