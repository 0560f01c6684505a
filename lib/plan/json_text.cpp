#include "plan/json_text.hpp"

namespace agentctl::plan {
namespace {

bool needs_escape(char c) { return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20; }

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
    static const char k_hex[] = "0123456789abcdef";
    out += '"';
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (!needs_escape(c)) continue;
        // Copy the run of plain bytes in one go: peer lists make these strings long.
        out.append(text.data() + start, i - start);
        start = i + 1;
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                out += "\\u00";
                out += k_hex[(c >> 4) & 0x0f];
                out += k_hex[c & 0x0f];
        }
    }
    out.append(text.data() + start, text.size() - start);
    out += '"';
}

}  // namespace agentctl::plan
