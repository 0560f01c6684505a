// The quick check for hostile flow nesting; see yaml_depth_probe.hpp.

#include "spec/yaml_depth_probe.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <sstream>
#include <vector>

namespace agentctl::spec {

namespace {

/// Thrown by DepthProbe at a second document: the probe looks at the first one only.
struct NotProven {};

/// Thrown by DepthProbe when a prefix of the text provably nests too deep.
struct TooDeep {
    SourcePos pos;
};

/// Counts the nesting of a text prefix, never more than the whole text has. yaml-cpp takes a
/// '[' or '{' still open at the end of its input for the key of an implicit one-pair map, adding
/// a map level the whole text may not have. So only maps written as '{' count, and of those
/// only the ones whose first key starts elsewhere (the made-up map starts where its key does).
class DepthProbe : public YAML::EventHandler {
public:
    /// `text` is what yaml-cpp's Mark::pos indexes.
    DepthProbe(std::string_view text, std::size_t max_depth) : m_text(text), m_max_depth(max_depth) {}

    void OnDocumentStart(const YAML::Mark& /*mark*/) override {
        if (++m_documents > 1) {
            throw NotProven{};
        }
    }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& mark, YAML::anchor_t /*anchor*/) override { settle(mark); }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t /*anchor*/) override { settle(mark); }
    void OnScalar(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                  const std::string& /*value*/) override {
        settle(mark);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                         YAML::EmitterStyle::value /*style*/) override {
        settle(mark);
        m_levels.push_back({mark, Level::counted});
        enter(mark);
    }
    void OnSequenceEnd() override { leave(); }
    void OnMapStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                    YAML::EmitterStyle::value /*style*/) override {
        settle(mark);
        m_levels.push_back({mark, Level::undecided});
    }
    void OnMapEnd() override { leave(); }

private:
    struct Level {
        enum State { undecided, counted, ignored };
        YAML::Mark mark;
        State state;
    };

    /// Decides, at its first child, whether the innermost map counts.
    void settle(const YAML::Mark& child) {
        if (m_levels.empty() || m_levels.back().state != Level::undecided) {
            return;
        }
        Level& map = m_levels.back();
        const bool brace = map.mark.pos >= 0 && static_cast<std::size_t>(map.mark.pos) < m_text.size() &&
                           m_text[static_cast<std::size_t>(map.mark.pos)] == '{';
        if (!brace || map.mark.pos == child.pos) {
            map.state = Level::ignored;
        } else {
            map.state = Level::counted;
            enter(map.mark);
        }
    }

    void enter(const YAML::Mark& mark) {
        if (++m_depth > m_max_depth) {
            throw TooDeep{{mark.line + 1, mark.column + 1}};
        }
    }

    void leave() {
        if (m_levels.back().state == Level::counted) {
            --m_depth;
        }
        m_levels.pop_back();
    }

    std::string_view m_text;
    std::size_t m_max_depth;
    std::vector<Level> m_levels;
    std::size_t m_depth = 0;
    int m_documents = 0;
};

}  // namespace

std::optional<SourcePos> find_deep_nesting(std::string_view text, std::size_t max_depth) {
    // yaml-cpp skips a UTF-8 byte order mark without counting it in Mark::pos.
    constexpr std::string_view k_bom = "\xEF\xBB\xBF";
    const std::string_view marked = text.substr(0, k_bom.size()) == k_bom ? text.substr(k_bom.size()) : text;
    std::size_t depth = 0;
    std::size_t next_try = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
        if ((c != '[' && c != '{') || ++depth <= max_depth || i < next_try) {
            continue;
        }
        std::istringstream prefix{std::string(text.substr(0, i + 1))};
        DepthProbe probe(marked, max_depth);
        try {
            YAML::Parser parser(prefix);
            parser.HandleNextDocument(probe);
        } catch (const TooDeep& deep) {
            return deep.pos;
        } catch (...) {
            // Anything else (a syntax error where the prefix was cut) proves nothing.
        }
        next_try = 2 * (i + 1);
    }
    return std::nullopt;
}

}  // namespace agentctl::spec
