#include "time_text.hpp"

#include <cstdio>

namespace agentctl::shim {

namespace {

std::string format(const timespec& time, long fraction, int digits) {
    std::tm parts{};
    gmtime_r(&time.tv_sec, &parts);
    char buffer[128];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%0*ldZ", parts.tm_year + 1900,
                  parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, digits, fraction);
    return buffer;
}

}  // namespace

timespec wall_clock_now() {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    return now;
}

std::string utc_micros(const timespec& time) { return format(time, time.tv_nsec / 1000, 6); }

std::string utc_millis(const timespec& time) { return format(time, time.tv_nsec / 1000000, 3); }

long long monotonic_ms() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<long long>(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
}

}  // namespace agentctl::shim
