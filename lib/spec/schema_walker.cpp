// Typed reading of YamlNodes with one diagnostic per problem. YAML 1.2 core typing comes from
// YamlNode::scalar_type(); this file turns it into values and messages.

#include "spec/schema_walker.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <utility>

#include "util/duration.hpp"
#include "util/text.hpp"

namespace agentctl::spec {

namespace {

constexpr std::size_t k_max_shown_text = 40;

std::string shown_text(const std::string& text) {
    if (text.size() <= k_max_shown_text) {
        return text;
    }
    return text.substr(0, k_max_shown_text) + "...";
}

// Core-schema integers: decimal with an optional sign, 0o octal, 0x hexadecimal.
bool parse_core_integer(const std::string& text, long long& out) {
    std::string digits = text;
    int base = 10;
    if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'o' || digits[1] == 'x')) {
        base = digits[1] == 'o' ? 8 : 16;
        digits = digits.substr(2);
    }
    errno = 0;
    char* end = nullptr;
    out = std::strtoll(digits.c_str(), &end, base);
    return errno == 0 && end != nullptr && *end == '\0' && !digits.empty();
}

bool looks_numeric(const std::string& text) {
    if (text.empty()) {
        return false;
    }
    char* end = nullptr;
    std::strtod(text.c_str(), &end);
    return end != nullptr && *end == '\0';
}

}  // namespace

void SchemaWalker::error(const YamlNode& at, std::string message, std::string hint) {
    if (!quiet(at)) {
        m_out.error(at.pos, std::move(message), std::move(hint));
    }
}

void SchemaWalker::warning(const YamlNode& at, std::string message, std::string hint) {
    if (!quiet(at)) {
        m_out.warning(at.pos, std::move(message), std::move(hint));
    }
}

void SchemaWalker::check_keys(const YamlNode& map, const std::vector<std::string>& allowed,
                              const std::string& path) {
    for (const auto& [key, value] : map.entries) {
        if (!key) {
            continue;
        }
        if (!key->is_scalar()) {
            error(*key, "keys must be plain names" + (path.empty() ? std::string() : " in " + path));
            continue;
        }
        bool known = false;
        for (const std::string& name : allowed) {
            if (name == key->text) {
                known = true;
                break;
            }
        }
        if (known) {
            continue;
        }
        std::string message = "unknown key '" + key->text + "' " + (path.empty() ? "at the top level" : "in " + path);
        std::string suggestion = util::did_you_mean(key->text, allowed);
        std::string hint = suggestion.empty() ? "allowed keys: " + util::join(allowed, ", ")
                                              : "did you mean '" + suggestion + "'?";
        if (m_strict) {
            error(*key, std::move(message), std::move(hint));
        } else {
            warning(*key, std::move(message), std::move(hint));
        }
    }
}

void SchemaWalker::type_error(const YamlNode& node, const std::string& path, const std::string& expected,
                              std::string hint) {
    error(node, path + " must be " + expected + ", not " + describe_node(node), std::move(hint));
}

void SchemaWalker::note_interpolated(const YamlNode* node, std::string raw, bool used_variable) {
    m_raw[node] = std::move(raw);
    if (used_variable) {
        m_variables.insert(node);
    }
}

bool SchemaWalker::from_variable(const YamlNode& node) const {
    return m_variables.count(&node) != 0;
}

const std::string* SchemaWalker::raw_text(const YamlNode& node) const {
    auto it = m_raw.find(&node);
    return it == m_raw.end() ? nullptr : &it->second;
}

bool is_null_value(const YamlNode* node) {
    if (node == nullptr || node->is_null()) {
        return true;
    }
    return node->is_scalar() && node->scalar_type() == YamlNode::ScalarType::null;
}

std::string describe_node(const YamlNode& node) {
    if (is_null_value(&node)) {
        return "null";
    }
    if (node.is_map()) {
        return "a map";
    }
    if (node.is_sequence()) {
        return "a list";
    }
    switch (node.scalar_type()) {
    case YamlNode::ScalarType::boolean:
        return "the boolean " + node.text;
    case YamlNode::ScalarType::integer:
    case YamlNode::ScalarType::floating:
        return "the number " + node.text;
    default:
        return "the string \"" + shown_text(node.text) + "\"";
    }
}

std::optional<std::string> read_text(SchemaWalker& walker, const YamlNode& node, const std::string& path) {
    if (walker.failed(node)) {
        return std::nullopt;
    }
    if (!node.is_scalar() || is_null_value(&node)) {
        walker.type_error(node, path, "a string");
        return std::nullopt;
    }
    return node.text;
}

std::optional<long long> read_integer(SchemaWalker& walker, const YamlNode& node, const std::string& path,
                                      long long min, long long max, const std::string& quoted_hint) {
    if (walker.failed(node)) {
        return std::nullopt;
    }
    long long value = 0;
    if (node.is_scalar() && node.scalar_type() == YamlNode::ScalarType::integer &&
        parse_core_integer(node.text, value)) {
        if (value < min || value > max) {
            walker.error(node, path + " must be between " + std::to_string(min) + " and " + std::to_string(max) +
                                   ", not " + node.text);
            return std::nullopt;
        }
        return value;
    }
    const bool quoted_number = node.is_scalar() && !node.plain && looks_numeric(node.text);
    walker.type_error(node, path, "an integer", quoted_number ? quoted_hint : std::string());
    return std::nullopt;
}

std::optional<double> read_number(SchemaWalker& walker, const YamlNode& node, const std::string& path,
                                  double min) {
    if (walker.failed(node)) {
        return std::nullopt;
    }
    const auto type = node.is_scalar() ? node.scalar_type() : YamlNode::ScalarType::null;
    if (type == YamlNode::ScalarType::integer || type == YamlNode::ScalarType::floating) {
        double value = 0;
        long long integer = 0;
        if (type == YamlNode::ScalarType::integer && parse_core_integer(node.text, integer)) {
            value = static_cast<double>(integer);
        } else {
            value = std::strtod(node.text.c_str(), nullptr);
        }
        if (!std::isfinite(value) || value < min) {
            walker.error(node, path + " must be a number of at least " +
                                   std::to_string(static_cast<long long>(min)) + ", not " + node.text);
            return std::nullopt;
        }
        return value;
    }
    walker.type_error(node, path, "a number");
    return std::nullopt;
}

std::optional<bool> read_bool(SchemaWalker& walker, const YamlNode& node, const std::string& path) {
    if (walker.failed(node)) {
        return std::nullopt;
    }
    if (node.is_scalar() && node.scalar_type() == YamlNode::ScalarType::boolean) {
        return node.text == "true" || node.text == "True" || node.text == "TRUE";
    }
    walker.type_error(node, path, "true or false",
                      node.is_scalar() ? "write true or false (YAML 1.2 reads yes, no, on and off as strings)"
                                       : std::string());
    return std::nullopt;
}

std::optional<Millis> read_duration(SchemaWalker& walker, const YamlNode& node, const std::string& path) {
    if (walker.failed(node)) {
        return std::nullopt;
    }
    const auto type = node.is_scalar() ? node.scalar_type() : YamlNode::ScalarType::null;
    if (type == YamlNode::ScalarType::string || type == YamlNode::ScalarType::integer ||
        type == YamlNode::ScalarType::floating) {
        if (auto value = util::parse_duration(node.text)) {
            return value;
        }
    }
    walker.type_error(node, path, "a duration", "use a number of seconds or a string like 500ms, 10s, 5m");
    return std::nullopt;
}

std::optional<std::vector<std::string>> read_text_list(SchemaWalker& walker, const YamlNode& node,
                                                       const std::string& path,
                                                       const std::string& scalar_hint) {
    if (walker.failed(node)) {
        return std::nullopt;
    }
    if (!node.is_sequence()) {
        walker.type_error(node, path, "a list", node.is_scalar() ? scalar_hint : std::string());
        return std::nullopt;
    }
    std::vector<std::string> out;
    bool ok = true;
    for (std::size_t i = 0; i < node.items.size(); ++i) {
        auto text = read_text(walker, *node.items[i], path + "[" + std::to_string(i) + "]");
        if (text) {
            out.push_back(std::move(*text));
        } else {
            ok = false;
        }
    }
    if (!ok) {
        return std::nullopt;
    }
    return out;
}

std::optional<IdRef> read_id(SchemaWalker& walker, const YamlNode& node, const std::string& path) {
    if (walker.failed(node)) {
        return std::nullopt;
    }
    if (!node.is_scalar() || is_null_value(&node)) {
        walker.type_error(node, path, "an agent id");
        return std::nullopt;
    }
    return IdRef{node.text, node.pos};
}

std::optional<std::vector<IdRef>> read_id_list(SchemaWalker& walker, const YamlNode& node,
                                               const std::string& path) {
    if (walker.failed(node)) {
        return std::nullopt;
    }
    if (!node.is_sequence()) {
        walker.type_error(node, path, "a list of agent ids",
                          node.is_scalar() ? "write a list: [" + node.text + "]" : std::string());
        return std::nullopt;
    }
    std::vector<IdRef> out;
    for (std::size_t i = 0; i < node.items.size(); ++i) {
        if (auto id = read_id(walker, *node.items[i], path + "[" + std::to_string(i) + "]")) {
            out.push_back(std::move(*id));
        }
    }
    return out;
}

MapReader::MapReader(SchemaWalker& walker, const YamlNode& map, std::string path,
                     const std::vector<std::string>& allowed)
    : m_walker(walker), m_node(map), m_path(std::move(path)) {
    m_walker.check_keys(m_node, allowed, m_path);
}

std::string MapReader::path_of(std::string_view key) const {
    return m_path.empty() ? std::string(key) : m_path + "." + std::string(key);
}

const YamlNode* MapReader::get(std::string_view key) const {
    const YamlNode* value = m_node.find(key);
    return is_null_value(value) ? nullptr : value;
}

void MapReader::missing(std::string_view key, std::string hint) const {
    m_walker.error(m_node, path_of(key) + " is required", std::move(hint));
}

std::optional<std::string> MapReader::text(std::string_view key) const {
    const YamlNode* value = get(key);
    return value ? read_text(m_walker, *value, path_of(key)) : std::nullopt;
}

std::optional<long long> MapReader::integer(std::string_view key, long long min, long long max,
                                            const std::string& quoted_hint) const {
    const YamlNode* value = get(key);
    return value ? read_integer(m_walker, *value, path_of(key), min, max, quoted_hint) : std::nullopt;
}

std::optional<double> MapReader::number(std::string_view key, double min) const {
    const YamlNode* value = get(key);
    return value ? read_number(m_walker, *value, path_of(key), min) : std::nullopt;
}

std::optional<bool> MapReader::boolean(std::string_view key) const {
    const YamlNode* value = get(key);
    return value ? read_bool(m_walker, *value, path_of(key)) : std::nullopt;
}

std::optional<Millis> MapReader::duration(std::string_view key) const {
    const YamlNode* value = get(key);
    return value ? read_duration(m_walker, *value, path_of(key)) : std::nullopt;
}

std::optional<Millis> MapReader::positive_duration(std::string_view key) const {
    auto value = duration(key);
    if (value && value->count() <= 0) {
        m_walker.error(*get(key), path_of(key) + " must be greater than 0");
        return std::nullopt;
    }
    return value;
}

std::optional<std::vector<std::string>> MapReader::text_list(std::string_view key,
                                                             const std::string& scalar_hint) const {
    const YamlNode* value = get(key);
    return value ? read_text_list(m_walker, *value, path_of(key), scalar_hint) : std::nullopt;
}

std::optional<IdRef> MapReader::id(std::string_view key) const {
    const YamlNode* value = get(key);
    return value ? read_id(m_walker, *value, path_of(key)) : std::nullopt;
}

std::optional<std::vector<IdRef>> MapReader::id_list(std::string_view key) const {
    const YamlNode* value = get(key);
    return value ? read_id_list(m_walker, *value, path_of(key)) : std::nullopt;
}

std::optional<MapReader> MapReader::map(std::string_view key, const std::vector<std::string>& allowed) const {
    const YamlNode* value = get(key);
    if (value == nullptr || m_walker.failed(*value)) {
        return std::nullopt;
    }
    if (!value->is_map()) {
        m_walker.type_error(*value, path_of(key), "a map");
        return std::nullopt;
    }
    return MapReader(m_walker, *value, path_of(key), allowed);
}

const YamlNode* MapReader::list(std::string_view key) const {
    const YamlNode* value = get(key);
    if (value == nullptr || m_walker.failed(*value)) {
        return nullptr;
    }
    if (!value->is_sequence()) {
        m_walker.type_error(*value, path_of(key), "a list");
        return nullptr;
    }
    return value;
}

}  // namespace agentctl::spec
