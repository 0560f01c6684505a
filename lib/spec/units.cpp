// Memory sizes and file modes. Memory units are binary whatever their spelling, as Docker
// reads them ("512m" and "512M" and "512Mi" are all 512 * 2^20 bytes).

#include "spec/units.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>

namespace agentctl::spec {

namespace {

double unit_factor(std::string unit) {
    for (char& c : unit) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (unit.empty() || unit == "b") {
        return 1.0;
    }
    // Strip the optional "b" then "i": "mib", "mb", "mi" and "m" all mean mebibytes.
    if (unit.size() > 1 && unit.back() == 'b') {
        unit.pop_back();
    }
    if (unit.size() > 1 && unit.back() == 'i') {
        unit.pop_back();
    }
    if (unit == "k") {
        return 1024.0;
    }
    if (unit == "m") {
        return 1024.0 * 1024.0;
    }
    if (unit == "g") {
        return 1024.0 * 1024.0 * 1024.0;
    }
    if (unit == "t") {
        return 1024.0 * 1024.0 * 1024.0 * 1024.0;
    }
    return 0.0;
}

}  // namespace

std::optional<long long> parse_memory_size(std::string_view text) {
    std::size_t i = 0;
    bool digits = false;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
        ++i;
        digits = true;
    }
    if (i < text.size() && text[i] == '.') {
        ++i;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
            ++i;
            digits = true;
        }
    }
    if (!digits) {
        return std::nullopt;
    }
    const double number = std::strtod(std::string(text.substr(0, i)).c_str(), nullptr);
    const double factor = unit_factor(std::string(text.substr(i)));
    if (factor == 0.0) {
        return std::nullopt;
    }
    const double bytes = number * factor;
    // 2^62 bytes is far beyond any machine and keeps the conversion well inside long long.
    if (!std::isfinite(bytes) || bytes > 4.6e18) {
        return std::nullopt;
    }
    return static_cast<long long>(std::llround(bytes));
}

std::optional<int> parse_file_mode(std::string_view text) {
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'o' || text[1] == 'O')) {
        text.remove_prefix(2);
    }
    if (text.empty() || text.size() > 5) {
        return std::nullopt;
    }
    int mode = 0;
    for (char c : text) {
        if (c < '0' || c > '7') {
            return std::nullopt;
        }
        mode = mode * 8 + (c - '0');
    }
    if (mode > 07777) {
        return std::nullopt;
    }
    return mode;
}

}  // namespace agentctl::spec
