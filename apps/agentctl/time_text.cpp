#include "time_text.hpp"

#include <cctype>
#include <ctime>

#include "runners/log_file.hpp"
#include "util/duration.hpp"
#include "util/errors.hpp"

namespace agentctl::cli {

std::string rfc3339(TimePoint time) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
    std::tm parts{};
    ::gmtime_r(&seconds, &parts);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return buffer;
}

std::string time_ago(TimePoint time, TimePoint now) {
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now - time).count();
    if (seconds < 0) return "just now";
    if (seconds < 60) return std::to_string(seconds) + "s ago";
    if (seconds < 3600) return std::to_string(seconds / 60) + "m ago";
    if (seconds < 86400) return std::to_string(seconds / 3600) + "h ago";
    return std::to_string(seconds / 86400) + "d ago";
}

TimePoint parse_since(const std::string& text, TimePoint now) {
    if (auto duration = util::parse_duration(text)) return now - *duration;
    // RFC 3339 with a numeric offset: parse the local part as UTC, then undo the offset.
    std::string utc = text;
    std::chrono::minutes offset{0};
    if (utc.size() > 6) {
        const std::string tail = utc.substr(utc.size() - 6);
        if ((tail[0] == '+' || tail[0] == '-') && tail[3] == ':' && std::isdigit(static_cast<unsigned char>(tail[1])) &&
            std::isdigit(static_cast<unsigned char>(tail[2])) && std::isdigit(static_cast<unsigned char>(tail[4])) &&
            std::isdigit(static_cast<unsigned char>(tail[5]))) {
            const int minutes = std::stoi(tail.substr(1, 2)) * 60 + std::stoi(tail.substr(4, 2));
            offset = std::chrono::minutes(tail[0] == '+' ? minutes : -minutes);
            utc = utc.substr(0, utc.size() - 6) + "Z";
        }
    }
    if (!utc.empty() && utc.back() == 'z') utc.back() = 'Z';
    if (utc.size() > 10 && utc[10] == ' ') utc[10] = 'T';
    // The clock counts nanoseconds in 64 bits: past 2261 it would wrap into the past.
    if (utc.size() >= 4 && std::isdigit(static_cast<unsigned char>(utc[0])) && std::stoi(utc.substr(0, 4)) >= 2262 &&
        runners::parse_utc_time(utc)) {
        return TimePoint::max();
    }
    if (auto time = runners::parse_utc_time(utc)) return *time - offset;
    throw util::UsageError("--since takes a duration (10m, 1h30m) or an RFC 3339 time (2026-11-23T09:30:00Z), not '" +
                           text + "'");
}

}  // namespace agentctl::cli
