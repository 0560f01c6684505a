// read_yaml: builds agentctl's YamlNode tree from yaml-cpp's event stream. Building it ourselves
// (rather than using YAML::Node) lets us keep positions, report duplicate keys, resolve merge
// keys, and bound hostile input (depth, alias expansion) while parsing instead of afterwards.

#include "spec/yaml_tree.hpp"

#include "spec/yaml_depth_probe.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <optional>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace agentctl::spec {

namespace {

using MutableNode = std::shared_ptr<YamlNode>;

/// Thrown out of the event handler to stop yaml-cpp once a problem makes going on pointless.
struct StopParsing {
    bool drop_root;  ///< the document is unusable (a limit was hit), as opposed to "ignore the rest"
};

/// What an anchor (&name) refers to, with the figures an alias to it adds to its parent.
struct Anchor {
    YamlNodePtr node;
    std::string name;
    std::size_t size = 1;    ///< nodes after expanding every alias inside
    std::size_t height = 0;  ///< collection levels inside (0 for a scalar)
    bool open = true;        ///< still being built: an alias now would make a cycle
};

/// One `<<` entry: where in the map's entries it stood and the maps it merges.
struct Merge {
    std::size_t index;
    std::vector<YamlNodePtr> sources;
};

/// A sequence or map being built.
struct Frame {
    MutableNode node;
    YAML::anchor_t anchor = YAML::NullAnchor;
    std::size_t size = 1;
    std::size_t height = 1;
    // Maps only: the key waiting for its value and what to do with that value.
    YamlNodePtr key;
    SourcePos key_pos;
    bool have_key = false;
    bool drop_value = false;
    bool merge_value = false;
    std::unordered_map<std::string, int> key_lines;  ///< explicit keys -> line first seen
    std::vector<Merge> merges;
};

SourcePos position_of(const YAML::Mark& mark) {
    if (mark.is_null()) {
        return {};
    }
    return {mark.line + 1, mark.column + 1};
}

std::string format_bytes(std::size_t bytes) {
    constexpr std::size_t k_kib = 1024;
    constexpr std::size_t k_mib = 1024 * 1024;
    if (bytes >= k_mib && bytes % k_mib == 0) {
        return std::to_string(bytes / k_mib) + " MiB";
    }
    if (bytes >= k_kib && bytes % k_kib == 0) {
        return std::to_string(bytes / k_kib) + " KiB";
    }
    return std::to_string(bytes) + " bytes";
}

/// The text as yaml-cpp's Mark::pos counts it: a UTF-8 byte order mark is skipped, not counted.
std::string_view as_marked(std::string_view text) {
    constexpr std::string_view k_bom = "\xEF\xBB\xBF";
    return text.substr(0, k_bom.size()) == k_bom ? text.substr(k_bom.size()) : text;
}

void report_nesting(Diagnostics& diagnostics, SourcePos pos, std::size_t levels) {
    diagnostics.error(pos, "nesting deeper than " + std::to_string(levels) + " levels",
                      "job files are shallow; flatten this value");
}

class TreeBuilder : public YAML::EventHandler {
public:
    TreeBuilder(std::string_view text, Diagnostics& diagnostics, const YamlLimits& limits)
        : m_text(as_marked(text)), m_diagnostics(diagnostics), m_limits(limits) {}

    YamlNodePtr root() const { return m_root; }
    int documents() const { return m_documents; }

    /// Reports nesting past our limit, or past yaml-cpp's own recursion guard when that is
    /// lower (`levels` is then how deep the document got before yaml-cpp gave up).
    void nesting_error(SourcePos pos, std::size_t levels = 0) {
        report_nesting(m_diagnostics, pos, levels == 0 ? m_limits.max_depth : std::min(levels, m_limits.max_depth));
    }

    /// How many sequences and maps are open now.
    std::size_t depth() const { return m_stack.size(); }

    void OnDocumentStart(const YAML::Mark& mark) override {
        if (++m_documents > 1) {
            m_diagnostics.error(position_of(mark), "a job file holds one YAML document; found a second '---'",
                                "remove the second document or move it to its own file");
            throw StopParsing{false};
        }
    }

    void OnDocumentEnd() override {}

    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        auto node = std::make_shared<YamlNode>();
        node->kind = YamlNode::Kind::null;
        node->pos = null_position(mark);
        add_leaf(std::move(node), anchor);
    }

    void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  const std::string& value) override {
        auto node = std::make_shared<YamlNode>();
        node->kind = YamlNode::Kind::scalar;
        node->pos = position_of(mark);
        node->text = value;
        // "?" is yaml-cpp's tag for a plain scalar; quoted ones get "!" and explicit tags
        // (!!str, !foo) come as written: all of those are taken as strings.
        node->plain = tag == "?";
        add_leaf(std::move(node), anchor);
    }

    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        const SourcePos pos = position_of(mark);
        auto found = m_anchors.find(anchor);
        if (found == m_anchors.end()) {
            m_diagnostics.error(pos, "alias refers to an anchor that is not defined");
            throw StopParsing{true};
        }
        const Anchor& target = found->second;
        if (target.open) {
            m_diagnostics.error(pos, "alias '*" + target.name + "' refers to the node that contains it",
                                "an alias cannot repeat its own enclosing node; write the value out");
            throw StopParsing{true};
        }
        // The alias is shared, not copied, but whoever walks the tree sees it expanded: its depth
        // and size count where it is used.
        if (m_stack.size() + target.height > m_limits.max_depth) {
            nesting_error(pos);
            throw StopParsing{true};
        }
        count_nodes(target.size, pos);
        add_child(target.node, target.size, target.height, pos);
    }

    void OnSequenceStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value /*style*/) override {
        open_collection(mark, anchor, YamlNode::Kind::sequence);
    }

    void OnSequenceEnd() override { close_collection(); }

    void OnMapStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value /*style*/) override {
        open_collection(mark, anchor, YamlNode::Kind::map);
    }

    void OnMapEnd() override { close_collection(); }

    void OnAnchor(const YAML::Mark& /*mark*/, const std::string& anchor_name) override {
        m_anchor_name = anchor_name;
    }

private:
    /// yaml-cpp marks an empty value (`key:` with nothing after it) at the next token, often on
    /// the next line; pointing at the key is more helpful than pointing at an unrelated line.
    SourcePos null_position(const YAML::Mark& mark) const {
        const SourcePos pos = position_of(mark);
        if (mark.pos >= 0 && static_cast<std::size_t>(mark.pos) < m_text.size()) {
            std::string_view at = m_text.substr(static_cast<std::size_t>(mark.pos));
            for (std::string_view literal : {"~", "null", "Null", "NULL"}) {
                if (at.substr(0, literal.size()) == literal) {
                    const char after = at.size() > literal.size() ? at[literal.size()] : '\n';
                    if (std::string_view(" \t\r\n,]}#").find(after) != std::string_view::npos) {
                        return pos;
                    }
                }
            }
        }
        if (!m_stack.empty() && m_stack.back().node->is_map() && m_stack.back().have_key) {
            return m_stack.back().key_pos;
        }
        return pos;
    }

    void count_nodes(std::size_t count, SourcePos pos) {
        m_total += count;
        if (m_total > m_limits.max_nodes) {
            m_diagnostics.error(pos,
                                "YAML aliases expand to more than " + std::to_string(m_limits.max_nodes) +
                                    " nodes (an alias bomb?)",
                                "write the values out or use fewer nested aliases");
            throw StopParsing{true};
        }
    }

    void register_anchor(YAML::anchor_t anchor, YamlNodePtr node, bool open) {
        if (anchor == YAML::NullAnchor) {
            return;
        }
        Anchor& entry = m_anchors[anchor];
        entry.node = std::move(node);
        entry.name = m_anchor_name;
        entry.open = open;
    }

    void add_leaf(MutableNode node, YAML::anchor_t anchor) {
        count_nodes(1, node->pos);
        const SourcePos pos = node->pos;
        YamlNodePtr frozen = std::move(node);
        if (anchor != YAML::NullAnchor) {
            register_anchor(anchor, frozen, false);
            m_anchors[anchor].height = 0;
        }
        add_child(std::move(frozen), 1, 0, pos);
    }

    void open_collection(const YAML::Mark& mark, YAML::anchor_t anchor, YamlNode::Kind kind) {
        const SourcePos pos = position_of(mark);
        // Checked here, before yaml-cpp's own guard (~500 levels), so the limit is exact and
        // the message is ours.
        if (m_stack.size() + 1 > m_limits.max_depth) {
            nesting_error(pos);
            throw StopParsing{true};
        }
        count_nodes(1, pos);
        Frame frame;
        frame.node = std::make_shared<YamlNode>();
        frame.node->kind = kind;
        frame.node->pos = pos;
        frame.anchor = anchor;
        register_anchor(anchor, frame.node, true);
        m_stack.push_back(std::move(frame));
    }

    void close_collection() {
        Frame frame = std::move(m_stack.back());
        m_stack.pop_back();
        if (!frame.merges.empty()) {
            apply_merges(frame);
        }
        if (frame.anchor != YAML::NullAnchor) {
            Anchor& entry = m_anchors[frame.anchor];
            entry.open = false;
            entry.size = frame.size;
            entry.height = frame.height;
        }
        const SourcePos pos = frame.node->pos;
        add_child(std::move(frame.node), frame.size, frame.height, pos);
    }

    /// Hands a finished node to the collection being built (or makes it the root). `pos` is
    /// where it was written: for an alias, the alias rather than its anchor.
    void add_child(YamlNodePtr node, std::size_t size, std::size_t height, SourcePos pos) {
        if (m_stack.empty()) {
            m_root = std::move(node);
            return;
        }
        Frame& parent = m_stack.back();
        parent.size += size;
        parent.height = std::max(parent.height, height + 1);
        if (parent.node->is_sequence()) {
            parent.node->items.push_back(std::move(node));
        } else if (!parent.have_key) {
            take_key(parent, std::move(node), pos);
        } else {
            take_value(parent, std::move(node));
        }
    }

    void take_key(Frame& map, YamlNodePtr key, SourcePos pos) {
        map.have_key = true;
        map.key_pos = pos;
        map.drop_value = false;
        map.merge_value = false;
        if (!key->is_scalar()) {
            m_diagnostics.error(pos, "map keys must be plain strings", "quote the key or write it as a name");
            map.drop_value = true;
            return;
        }
        if (key->plain && key->text == "<<") {
            map.merge_value = true;
            return;
        }
        auto [seen, inserted] = map.key_lines.emplace(key->text, pos.line);
        if (!inserted) {
            m_diagnostics.error(pos,
                                "duplicate key '" + key->text + "' (first defined at line " +
                                    std::to_string(seen->second) + ")",
                                "remove one of the two");
            map.drop_value = true;
            return;
        }
        map.key = std::move(key);
    }

    void take_value(Frame& map, YamlNodePtr value) {
        map.have_key = false;
        if (map.merge_value) {
            take_merge(map, std::move(value));
        } else if (!map.drop_value) {
            map.node->entries.emplace_back(std::move(map.key), std::move(value));
        }
        map.key.reset();
    }

    void take_merge(Frame& map, YamlNodePtr value) {
        Merge merge{map.node->entries.size(), {}};
        if (value->is_map()) {
            merge.sources.push_back(std::move(value));
        } else if (value->is_sequence() &&
                   std::all_of(value->items.begin(), value->items.end(),
                               [](const YamlNodePtr& item) { return item->is_map(); })) {
            merge.sources = value->items;
        } else {
            m_diagnostics.error(map.key_pos, "the value of '<<' must be a map or a list of maps",
                                "write '<<: *name' or '<<: [*a, *b]' where the anchors name maps");
            return;
        }
        map.merges.push_back(std::move(merge));
    }

    /// Splices merged entries in where their `<<` stood: explicit keys win, and of two merged
    /// maps the earlier wins (PyYAML's rules, which the original system's users relied on).
    static void apply_merges(Frame& map) {
        std::unordered_set<std::string> taken;
        for (const auto& entry : map.key_lines) {
            taken.insert(entry.first);
        }
        std::vector<std::pair<YamlNodePtr, YamlNodePtr>> entries;
        auto next_merge = map.merges.begin();
        auto splice_until = [&](std::size_t index) {
            for (; next_merge != map.merges.end() && next_merge->index <= index; ++next_merge) {
                for (const YamlNodePtr& source : next_merge->sources) {
                    for (const auto& entry : source->entries) {
                        if (taken.insert(entry.first->text).second) {
                            entries.push_back(entry);
                        }
                    }
                }
            }
        };
        for (std::size_t i = 0; i < map.node->entries.size(); ++i) {
            splice_until(i);
            entries.push_back(std::move(map.node->entries[i]));
        }
        splice_until(map.node->entries.size());
        map.node->entries = std::move(entries);
    }

    std::string_view m_text;
    Diagnostics& m_diagnostics;
    const YamlLimits& m_limits;
    std::vector<Frame> m_stack;
    std::unordered_map<YAML::anchor_t, Anchor> m_anchors;
    std::string m_anchor_name;
    YamlNodePtr m_root;
    std::size_t m_total = 0;
    int m_documents = 0;
};

/// The name of the alias written at `offset` ("*name"), for yaml-cpp's nameless message.
std::string alias_name_at(std::string_view text, int offset) {
    if (offset < 0 || static_cast<std::size_t>(offset) >= text.size() || text[offset] != '*') {
        return {};
    }
    std::size_t end = static_cast<std::size_t>(offset) + 1;
    while (end < text.size() && std::string_view(" \t\r\n,[]{}").find(text[end]) == std::string_view::npos) {
        ++end;
    }
    return std::string(text.substr(static_cast<std::size_t>(offset) + 1, end - offset - 1));
}

/// Runs yaml-cpp over `text`; true when the document is unusable (a limit was hit, or the text
/// is not YAML), false when it was read, possibly with problems that leave it usable.
bool parse(std::string_view text, TreeBuilder& builder, Diagnostics& diagnostics) {
    std::istringstream stream{std::string(text)};
    try {
        YAML::Parser parser(stream);
        if (parser.HandleNextDocument(builder)) {
            parser.HandleNextDocument(builder);  // only to notice a second document
        }
        return false;
    } catch (const StopParsing& stop) {
        return stop.drop_root;
    } catch (const YAML::DeepRecursion& e) {
        builder.nesting_error(position_of(e.mark), builder.depth());
        return true;
    } catch (const YAML::Exception& e) {
        if (e.msg == YAML::ErrorMsg::UNKNOWN_ANCHOR) {
            const std::string name = alias_name_at(as_marked(text), e.mark.pos);
            diagnostics.error(position_of(e.mark), "alias '*" + name + "' refers to an anchor that is not defined",
                              "define it first with '&" + name + "' on the value it repeats");
        } else {
            diagnostics.error(position_of(e.mark), e.msg, "check the indentation and quoting around this line");
        }
    } catch (const std::exception& e) {
        diagnostics.error({}, std::string("cannot read YAML: ") + e.what());
    } catch (...) {
        diagnostics.error({}, "cannot read YAML");
    }
    // Only a failed parse gets here; a complete first document returned above or below.
    return true;
}

}  // namespace

YamlDocument read_yaml(std::string_view text, const std::string& file, const YamlLimits& limits) {
    Diagnostics diagnostics(file);
    if (text.size() > limits.max_bytes) {
        diagnostics.error({}, "file is larger than " + format_bytes(limits.max_bytes),
                          "a job file describes services; keep large data in files it names");
        return {nullptr, diagnostics.all()};
    }

    if (const std::optional<SourcePos> deep = find_deep_nesting(text, limits.max_depth)) {
        report_nesting(diagnostics, *deep, limits.max_depth);
        return {nullptr, diagnostics.all()};
    }

    TreeBuilder builder(text, diagnostics, limits);
    const bool unusable = parse(text, builder, diagnostics);
    YamlNodePtr root = builder.root();
    if (unusable) {
        root = nullptr;
    } else if (!root && builder.documents() == 0 && !diagnostics.has_errors()) {
        // No document at all (empty text, only comments): a null root, as for "---" alone.
        auto empty = std::make_shared<YamlNode>();
        empty->pos = {1, 1};
        root = std::move(empty);
    }
    return {std::move(root), diagnostics.all()};
}

}  // namespace agentctl::spec
