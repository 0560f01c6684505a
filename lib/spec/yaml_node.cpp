// YamlNode queries and JSON output: YAML 1.2 core-schema typing of plain scalars, written by
// hand from the schema's patterns (std::regex would cost far more per scalar).

#include "spec/yaml_tree.hpp"

#include <charconv>
#include <cstdint>
#include <limits>

#include <nlohmann/json.hpp>

namespace agentctl::spec {

namespace {

using Json = nlohmann::ordered_json;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_octal_digit(char c) { return c >= '0' && c <= '7'; }
bool is_hex_digit(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool is_one_of(std::string_view text, std::initializer_list<std::string_view> options) {
    for (std::string_view option : options) {
        if (text == option) {
            return true;
        }
    }
    return false;
}

/// Drops one leading '+' or '-' into `negative`; the rest is returned.
std::string_view strip_sign(std::string_view text, bool* negative = nullptr) {
    if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
        if (negative != nullptr) {
            *negative = text.front() == '-';
        }
        return text.substr(1);
    }
    return text;
}

/// The count of leading characters of `text` that satisfy `accept`.
template <typename Predicate>
std::size_t span(std::string_view text, Predicate accept) {
    std::size_t n = 0;
    while (n < text.size() && accept(text[n])) {
        ++n;
    }
    return n;
}

bool all_of(std::string_view text, bool (*accept)(char)) {
    return !text.empty() && span(text, accept) == text.size();
}

bool is_null_text(std::string_view text) {
    return is_one_of(text, {"", "~", "null", "Null", "NULL"});
}

bool is_bool_text(std::string_view text) {
    return is_one_of(text, {"true", "True", "TRUE", "false", "False", "FALSE"});
}

// [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+
bool is_int_text(std::string_view text) {
    if (text.size() > 2 && text.substr(0, 2) == "0o") {
        return all_of(text.substr(2), is_octal_digit);
    }
    if (text.size() > 2 && text.substr(0, 2) == "0x") {
        return all_of(text.substr(2), is_hex_digit);
    }
    return all_of(strip_sign(text), is_digit);
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN)
bool is_float_text(std::string_view text) {
    if (is_one_of(text, {".nan", ".NaN", ".NAN"}) || is_one_of(strip_sign(text), {".inf", ".Inf", ".INF"})) {
        return true;
    }
    std::string_view rest = strip_sign(text);
    const std::size_t integer_digits = span(rest, is_digit);
    rest.remove_prefix(integer_digits);
    std::size_t fraction_digits = 0;
    if (!rest.empty() && rest.front() == '.') {
        rest.remove_prefix(1);
        fraction_digits = span(rest, is_digit);
        rest.remove_prefix(fraction_digits);
    }
    if (integer_digits == 0 && fraction_digits == 0) {
        return false;
    }
    if (!rest.empty() && (rest.front() == 'e' || rest.front() == 'E')) {
        rest = strip_sign(rest.substr(1));
        const std::size_t exponent_digits = span(rest, is_digit);
        if (exponent_digits == 0) {
            return false;
        }
        rest.remove_prefix(exponent_digits);
    }
    return rest.empty();
}

/// A core-schema integer as JSON; out of int64 range it stays its text.
Json integer_json(const std::string& text) {
    std::string_view digits = text;
    int base = 10;
    bool negative = false;
    if (digits.substr(0, 2) == "0o" || digits.substr(0, 2) == "0x") {
        base = digits[1] == 'o' ? 8 : 16;
        digits.remove_prefix(2);
    } else {
        digits = strip_sign(digits, &negative);
    }
    std::uint64_t magnitude = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
    const std::uint64_t limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + (negative ? 1 : 0);
    if (error != std::errc() || end != digits.data() + digits.size() || magnitude > limit) {
        return text;
    }
    if (negative) {
        // -(magnitude) computed in unsigned arithmetic, so that INT64_MIN itself works.
        return static_cast<std::int64_t>(0 - magnitude);
    }
    return static_cast<std::int64_t>(magnitude);
}

/// A core-schema float as JSON; infinities, NaN and overflowing values stay their text.
Json float_json(const std::string& text) {
    std::string_view number = strip_sign(text);
    if (is_one_of(number, {".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN"})) {
        return text;
    }
    double value = 0;
    const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (error != std::errc() || end != number.data() + number.size()) {
        return text;
    }
    return text.front() == '-' ? -value : value;
}

Json to_json(const YamlNode& node) {
    switch (node.kind) {
    case YamlNode::Kind::null:
        return nullptr;
    case YamlNode::Kind::sequence: {
        Json out = Json::array();
        for (const YamlNodePtr& item : node.items) {
            out.push_back(to_json(*item));
        }
        return out;
    }
    case YamlNode::Kind::map: {
        Json out = Json::object();
        for (const auto& [key, value] : node.entries) {
            out[key->text] = to_json(*value);
        }
        return out;
    }
    case YamlNode::Kind::scalar:
        break;
    }
    switch (node.scalar_type()) {
    case YamlNode::ScalarType::null:
        return nullptr;
    case YamlNode::ScalarType::boolean:
        return node.text.front() == 't' || node.text.front() == 'T';
    case YamlNode::ScalarType::integer:
        return integer_json(node.text);
    case YamlNode::ScalarType::floating:
        return float_json(node.text);
    case YamlNode::ScalarType::string:
        break;
    }
    return node.text;
}

}  // namespace

YamlNode::ScalarType YamlNode::scalar_type() const {
    if (kind == Kind::null) {
        return ScalarType::null;
    }
    if (kind != Kind::scalar || !plain) {
        return ScalarType::string;
    }
    if (is_null_text(text)) {
        return ScalarType::null;
    }
    if (is_bool_text(text)) {
        return ScalarType::boolean;
    }
    if (is_int_text(text)) {
        return ScalarType::integer;
    }
    if (is_float_text(text)) {
        return ScalarType::floating;
    }
    return ScalarType::string;
}

const YamlNode* YamlNode::find(std::string_view key) const {
    for (const auto& [entry_key, value] : entries) {
        if (entry_key->is_scalar() && entry_key->text == key) {
            return value.get();
        }
    }
    return nullptr;
}

std::string yaml_to_json(const YamlNode& node) {
    // Scalars may hold bytes that are not UTF-8; replace them rather than throw.
    return to_json(node).dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace agentctl::spec
