#pragma once
// Reading the log files agentctl-shim writes: "<UTC stamp> <text>" lines, rotated by size into
// <log>.1 (newest) ... <log>.N (oldest); see apps/agentctl-shim/README.md.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runners/runner.hpp"

namespace agentctl::runners {

/// Parses "YYYY-MM-DDTHH:MM:SS[.fraction]Z" (UTC; any number of fraction digits, kept to the
/// microsecond); nullopt for anything else.
std::optional<Clock::time_point> parse_utc_time(std::string_view text);

/// Formats a time as the shim stamps it: "2026-11-23T09:30:00.123456Z".
std::string format_log_time(Clock::time_point time);

/// Parses one log line (without its newline); nullopt when it does not start with a stamp
/// and a space.
std::optional<LogLine> parse_log_line(std::string_view line);

/// The files of the log at `path` that exist, oldest first: path.N ... path.1, path.
std::vector<std::string> log_files(const std::string& path);

/// Reads the log at `path`, rotated files included, oldest line first, applying `since` then
/// `tail`; with `follow`, keeps polling the file (across rotations) and hands on new lines until
/// `stop_following()` returns true. A line without a stamp keeps the previous line's time.
void read_log(const std::string& path, const LogOptions& options, const std::function<void(const LogLine&)>& sink);

}  // namespace agentctl::runners
