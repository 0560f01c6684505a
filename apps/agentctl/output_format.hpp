#pragma once
// The -o/--output formats and the conversions machine output shares between verbs.

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace agentctl::cli {

/// A value of -o/--output (alias --format).
enum class OutputFormat { table, json, yaml, dot, wide };

/// The flag spelling of a format ("table", "json", ...).
const char* output_format_name(OutputFormat format);

/// Every format the global -o flag accepts, in the order help lists them.
std::vector<std::string> output_format_names();

/// The format named `text` (as CLI11 validated it) when `verb` supports it; throws
/// util::UsageError (exit 2) naming the formats `verb` does support otherwise.
OutputFormat require_output_format(std::string_view text, std::string_view verb,
                                   std::initializer_list<OutputFormat> supported);

/// Converts a JSON document to block YAML with the same content and key order; strings that a
/// YAML reader would take for a number, boolean or null are quoted. Throws on invalid JSON.
std::string json_to_yaml(const std::string& json_text);

}  // namespace agentctl::cli
