#include "flag_values.hpp"

#include "util/errors.hpp"

namespace agentctl::cli {

std::optional<util::Millis> optional_duration_flag(const std::string& flag, const std::string& text) {
    if (text.empty()) return std::nullopt;
    auto value = util::parse_duration(text);
    if (!value) {
        throw util::UsageError(flag + " takes a duration such as 30s, 5m or 1h30m (a bare number is seconds), not '" +
                               text + "'");
    }
    return value;
}

util::Millis duration_flag(const std::string& flag, const std::string& text, util::Millis fallback) {
    return optional_duration_flag(flag, text).value_or(fallback);
}

}  // namespace agentctl::cli
