// ${VAR} interpolation with docker compose's forms. A small recursive scanner: defaults may hold
// further ${...} references, so the closing brace is found by counting nested "${".

#include "spec/interpolation.hpp"

#include <cstdlib>

namespace agentctl::spec {

namespace {

// Defaults nested deeper than this are refused: each level rescans its text, and a hostile
// value of thousands of nested "${A:-" would otherwise cost quadratic time and deep recursion.
constexpr int k_max_nesting = 16;

bool is_name_start(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool is_name_char(char c) {
    return is_name_start(c) || (c >= '0' && c <= '9');
}

bool is_valid_name(std::string_view name) {
    if (name.empty() || !is_name_start(name.front())) {
        return false;
    }
    for (char c : name) {
        if (!is_name_char(c)) {
            return false;
        }
    }
    return true;
}

/// The offset of the '}' closing the "${" whose body starts at `begin`, or npos.
std::size_t find_closing_brace(std::string_view text, std::size_t begin) {
    int depth = 1;
    for (std::size_t i = begin; i < text.size(); ++i) {
        if (text[i] == '$' && i + 1 < text.size()) {
            if (text[i + 1] == '$') {
                ++i;  // "$$" is a literal dollar, never the start of a reference
            } else if (text[i + 1] == '{') {
                ++depth;
                ++i;
            }
        } else if (text[i] == '}' && --depth == 0) {
            return i;
        }
    }
    return std::string_view::npos;
}

/// One `${...}` body split into its parts.
struct Reference {
    std::string_view name;
    std::string_view op;        ///< "", ":-", "-", ":?" or "?"
    std::string_view argument;  ///< the default or the error message
};

/// Splits a body at its first operator; false when the name part is not a valid name.
bool split_reference(std::string_view body, Reference& out) {
    std::size_t name_end = 0;
    while (name_end < body.size() && is_name_char(body[name_end])) {
        ++name_end;
    }
    std::string_view rest = body.substr(name_end);
    for (std::string_view op : {":-", ":?", "-", "?"}) {
        if (rest.substr(0, op.size()) == op) {
            out = Reference{body.substr(0, name_end), op, rest.substr(op.size())};
            return is_valid_name(out.name);
        }
    }
    out = Reference{body, {}, {}};
    return rest.empty() && is_valid_name(body);
}

class Interpolator {
public:
    Interpolator(const EnvLookup& lookup, bool keep_launch_refs)
        : m_lookup(lookup), m_keep_launch_refs(keep_launch_refs) {}

    /// Expands `text` into `out`; false (with m_result.error set) on the first error.
    bool expand(std::string_view text, std::string& out, int nesting) {
        if (nesting > k_max_nesting) {
            return fail("${...} defaults nested more than " + std::to_string(k_max_nesting) + " deep");
        }
        std::size_t i = 0;
        while (i < text.size()) {
            const char c = text[i];
            if (c != '$' || i + 1 == text.size()) {
                out += c;
                ++i;
                continue;
            }
            const char next = text[i + 1];
            if (next == '$') {
                const bool launch_ref = i + 2 < text.size() && text[i + 2] == '(';
                out += (m_keep_launch_refs && launch_ref) ? "$$" : "$";
                i += 2;
            } else if (next == '{') {
                const std::size_t close = find_closing_brace(text, i + 2);
                if (close == std::string_view::npos) {
                    return fail("unterminated '${' (write $$ for a literal $)");
                }
                if (!substitute(text.substr(i + 2, close - i - 2), out, nesting)) {
                    return false;
                }
                i = close + 1;
            } else {
                // A bare $NAME, $(VAR) or lone $ is not compose syntax: kept for the program.
                out += c;
                ++i;
            }
        }
        return true;
    }

    Interpolated& result() { return m_result; }

private:
    bool substitute(std::string_view body, std::string& out, int nesting) {
        Reference ref;
        if (!split_reference(body, ref)) {
            return fail("invalid variable name '" + std::string(ref.name) + "' in ${...}");
        }
        const std::string name(ref.name);
        const std::optional<std::string> value = m_lookup ? m_lookup(name) : std::nullopt;
        const bool empty = !value || value->empty();

        if (ref.op.empty()) {
            if (!value) {
                return fail("variable " + name + " is not set");
            }
        } else if (ref.op == ":-" || ref.op == "-") {
            if (ref.op == ":-" ? empty : !value) {
                return expand(ref.argument, out, nesting + 1);
            }
        } else if (ref.op == ":?" ? empty : !value) {
            if (!ref.argument.empty()) {
                return fail(name + ": " + std::string(ref.argument));
            }
            return fail("variable " + name + (value ? " is empty" : " is not set"));
        }
        // Only a value that came from the environment may be a secret; defaults are file text.
        out += *value;
        m_result.used_variable = true;
        return true;
    }

    bool fail(std::string message) {
        m_result.error = std::move(message);
        return false;
    }

    const EnvLookup& m_lookup;
    bool m_keep_launch_refs;
    Interpolated m_result;
};

}  // namespace

EnvLookup process_environment() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (value == nullptr) {
            return std::nullopt;
        }
        return std::string(value);
    };
}

Interpolated interpolate(std::string_view text, const EnvLookup& lookup, bool keep_launch_refs) {
    Interpolator interpolator(lookup, keep_launch_refs);
    std::string value;
    value.reserve(text.size());
    interpolator.expand(text, value, 0);
    Interpolated& result = interpolator.result();
    result.value = std::move(value);
    return std::move(result);
}

}  // namespace agentctl::spec
