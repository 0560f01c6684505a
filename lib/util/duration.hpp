#pragma once
// Durations as job files and flags write them: plain numbers are seconds, strings take units.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace agentctl::util {

using Millis = std::chrono::milliseconds;

/// Parses "500ms", "10s", "5m", "1h", "1m30s", "1.5s" or a bare number of seconds ("30", "0.5");
/// returns nullopt for anything else, including negative values.
std::optional<Millis> parse_duration(std::string_view text);

/// Formats a duration compactly and exactly ("1.5s", "250ms", "2m", "1h30m"), for output.
std::string format_duration(Millis value);

}  // namespace agentctl::util
