#include "util/duration.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>

namespace agentctl::util {
namespace {

// Milliseconds in one unit, or 0 for an unknown unit.
double unit_millis(std::string_view unit) {
    if (unit == "ms") return 1.0;
    if (unit == "s" || unit.empty()) return 1000.0;
    if (unit == "m") return 60'000.0;
    if (unit == "h") return 3'600'000.0;
    return 0.0;
}

// Reads "12" or "1.5" at the front of `text`; returns the characters used (0: none).
std::size_t read_number(std::string_view text, double& out) {
    std::size_t i = 0;
    bool digits = false;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) { ++i; digits = true; }
    if (i < text.size() && text[i] == '.') {
        ++i;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) { ++i; digits = true; }
    }
    if (!digits) return 0;
    out = std::strtod(std::string(text.substr(0, i)).c_str(), nullptr);
    return i;
}

}  // namespace

std::optional<Millis> parse_duration(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    if (text.empty()) return std::nullopt;

    double total = 0.0;
    bool bare_number_only = true;
    int parts = 0;
    while (!text.empty()) {
        double value = 0.0;
        std::size_t used = read_number(text, value);
        if (used == 0) return std::nullopt;
        text.remove_prefix(used);
        std::size_t unit_len = 0;
        while (unit_len < text.size() && std::isalpha(static_cast<unsigned char>(text[unit_len]))) ++unit_len;
        std::string_view unit = text.substr(0, unit_len);
        if (!unit.empty()) bare_number_only = false;
        // A bare number is only allowed alone ("30"), never inside "1m30".
        if (unit.empty() && parts > 0) return std::nullopt;
        double scale = unit_millis(unit);
        if (scale == 0.0) return std::nullopt;
        total += value * scale;
        text.remove_prefix(unit_len);
        ++parts;
        if (unit.empty() && !text.empty()) return std::nullopt;
    }
    (void)bare_number_only;
    if (!std::isfinite(total) || total > 1e15) return std::nullopt;
    return Millis(static_cast<long long>(std::llround(total)));
}

std::string format_duration(Millis value) {
    long long ms = value.count();
    if (ms == 0) return "0s";
    std::string out;
    if (ms < 0) { out = "-"; ms = -ms; }
    if (ms < 1000) return out + std::to_string(ms) + "ms";
    long long hours = ms / 3'600'000;
    long long minutes = (ms / 60'000) % 60;
    long long seconds = (ms / 1000) % 60;
    long long millis = ms % 1000;
    if (hours) out += std::to_string(hours) + "h";
    if (minutes) out += std::to_string(minutes) + "m";
    if (seconds || millis) {
        out += std::to_string(seconds);
        if (millis) {
            std::string frac = std::to_string(millis + 1000).substr(1);
            while (!frac.empty() && frac.back() == '0') frac.pop_back();
            out += "." + frac;
        }
        out += "s";
    }
    return out;
}

}  // namespace agentctl::util
