#include "output_format.hpp"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <regex>

#include "util/errors.hpp"
#include "util/text.hpp"

namespace agentctl::cli {
namespace {

constexpr OutputFormat k_all_formats[] = {OutputFormat::table, OutputFormat::json, OutputFormat::yaml,
                                          OutputFormat::dot, OutputFormat::wide};

// Strings a YAML 1.2 core-schema reader would type as null, bool, int or float, plus the
// YAML 1.1 booleans (yes/no/on/off) and sexagesimal-looking numbers older readers still honour.
bool needs_quotes(const std::string& text) {
    static const std::regex typed(
        "(|~|null|Null|NULL|true|True|TRUE|false|False|FALSE"
        "|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF"
        "|[-+]?[0-9][0-9_]*|0o[0-7]+|0x[0-9a-fA-F_]+|0b[01_]+|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\\.[0-9_]*)?"
        "|[-+]?([0-9][0-9_]*)?\\.?[0-9_]*([eE][-+]?[0-9]+)?"
        "|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))");
    return std::regex_match(text, typed);
}

void emit_string(YAML::Emitter& out, const std::string& text) {
    if (needs_quotes(text)) out << YAML::DoubleQuoted;
    out << text;
}

bool all_scalars(const nlohmann::ordered_json& array) {
    for (const auto& item : array) {
        if (item.is_structured()) return false;
    }
    return true;
}

// `in_sequence`: a list of scalars inside a list reads best in flow style ("- [a, b]").
void emit(YAML::Emitter& out, const nlohmann::ordered_json& value, bool in_sequence = false) {
    switch (value.type()) {
        case nlohmann::ordered_json::value_t::object:
            if (value.empty()) {
                out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
                return;
            }
            out << YAML::BeginMap;
            for (const auto& [key, item] : value.items()) {
                out << YAML::Key;
                emit_string(out, key);
                out << YAML::Value;
                emit(out, item);
            }
            out << YAML::EndMap;
            return;
        case nlohmann::ordered_json::value_t::array:
            if (value.empty()) {
                out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
                return;
            }
            if (in_sequence && all_scalars(value)) out << YAML::Flow;
            out << YAML::BeginSeq;
            for (const auto& item : value) emit(out, item, true);
            out << YAML::EndSeq;
            return;
        case nlohmann::ordered_json::value_t::string:
            emit_string(out, value.get<std::string>());
            return;
        case nlohmann::ordered_json::value_t::boolean:
            out << (value.get<bool>() ? "true" : "false");
            return;
        case nlohmann::ordered_json::value_t::null:
        case nlohmann::ordered_json::value_t::discarded:
            // Spelled out rather than yaml-cpp's "~": the same word as in the JSON form.
            out << "null";
            return;
        default:
            // Numbers keep JSON's own spelling, which is also valid YAML.
            out << value.dump();
            return;
    }
}

}  // namespace

const char* output_format_name(OutputFormat format) {
    switch (format) {
        case OutputFormat::table: return "table";
        case OutputFormat::json: return "json";
        case OutputFormat::yaml: return "yaml";
        case OutputFormat::dot: return "dot";
        case OutputFormat::wide: return "wide";
    }
    return "table";
}

std::vector<std::string> output_format_names() {
    std::vector<std::string> names;
    for (const auto format : k_all_formats) names.emplace_back(output_format_name(format));
    return names;
}

OutputFormat require_output_format(std::string_view text, std::string_view verb,
                                   std::initializer_list<OutputFormat> supported) {
    // CLI11's IsMember(ignore_case) accepts "JSON" but passes it on as typed.
    std::string lowered(text);
    for (auto& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::vector<std::string> names;
    for (const auto format : supported) {
        if (lowered == output_format_name(format)) return format;
        names.emplace_back(output_format_name(format));
    }
    throw util::UsageError("'" + std::string(verb) + "' does not support -o " + std::string(text) +
                           " (supported: " + util::join(names, ", ") + ")");
}

std::string json_to_yaml(const std::string& json_text) {
    const auto document = nlohmann::ordered_json::parse(json_text);
    YAML::Emitter out;
    out.SetIndent(2);
    out.SetSeqFormat(YAML::Block);
    out.SetMapFormat(YAML::Block);
    emit(out, document);
    std::string text = out.c_str();
    if (text.empty() || text.back() != '\n') text += '\n';
    return text;
}

}  // namespace agentctl::cli
