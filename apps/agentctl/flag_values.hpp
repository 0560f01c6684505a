#pragma once
// Turning flag text into values the library takes: durations ("30s", "5m", "1.5"), and the
// shared check for --on-failure / --progress style choices.

#include <optional>
#include <string>

#include "util/duration.hpp"

namespace agentctl::cli {

/// `text` as a duration, or nullopt when empty; throws util::UsageError naming `flag` when it
/// is not a duration.
std::optional<util::Millis> optional_duration_flag(const std::string& flag, const std::string& text);

/// Like optional_duration_flag, with `fallback` when empty.
util::Millis duration_flag(const std::string& flag, const std::string& text, util::Millis fallback);

}  // namespace agentctl::cli
