#pragma once
// Times as agentctl prints them: RFC 3339 UTC for machines, "5m ago" for people; and the
// `--since` forms (a duration back from now, or an RFC 3339 time).

#include <chrono>
#include <string>

namespace agentctl::cli {

using TimePoint = std::chrono::system_clock::time_point;

/// "2026-11-23T09:30:00Z" (UTC, whole seconds).
std::string rfc3339(TimePoint time);

/// How long ago `time` was, compactly: "12s ago", "5m ago", "3h ago", "2d ago".
std::string time_ago(TimePoint time, TimePoint now);

/// `--since`: a duration back from `now` ("10m", "1h30m") or an RFC 3339 time
/// ("2026-11-23T09:30:00Z", "2026-11-23T10:30:00+01:00", fractions allowed). Throws
/// util::UsageError for anything else.
TimePoint parse_since(const std::string& text, TimePoint now);

}  // namespace agentctl::cli
