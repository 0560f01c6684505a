#pragma once
// UTC timestamps as the shim writes them into its log (microseconds) and status file (milliseconds).

#include <ctime>
#include <string>

namespace agentctl::shim {

/// The wall-clock time now.
timespec wall_clock_now();

/// "2026-11-23T09:30:00.123456Z": the stamp that starts every log line (27 characters).
std::string utc_micros(const timespec& time);

/// "2026-11-23T09:30:00.123Z": RFC 3339 UTC with milliseconds, for the status file.
std::string utc_millis(const timespec& time);

/// Milliseconds on the monotonic clock (for timeouts inside the shim).
long long monotonic_ms();

}  // namespace agentctl::shim
