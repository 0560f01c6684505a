#pragma once
// Small text helpers shared by every layer: shell quoting, suggestions, joining.

#include <string>
#include <string_view>
#include <vector>

namespace agentctl::util {

/// Quotes one argument for a POSIX shell: wraps it in single quotes, writing each embedded
/// ' as '\''; the result is safe for any byte sequence (the empty string becomes '').
std::string shell_quote(std::string_view arg);

/// Joins already-split arguments into one shell command line, quoting each with shell_quote.
std::string shell_join(const std::vector<std::string>& argv);

/// Edit distance between two strings (bytes): insertions, deletions, substitutions and
/// adjacent transpositions each cost one.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word` if it is close enough to be a likely typo
/// (distance <= max(1, len/3)), else an empty string. Ties go to the earliest candidate.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

/// Joins strings with a separator.
std::string join(const std::vector<std::string>& parts, std::string_view separator);

/// Upper-cases ASCII letters and turns '-' into '_' ("my-key" -> "MY_KEY"), as the
/// environment contract names config keys and peer ids.
std::string env_name_of(std::string_view key);

}  // namespace agentctl::util
