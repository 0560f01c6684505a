// Interpolation and defaults merging over the YAML tree. Both memoize or reuse nodes so that an
// alias-heavy file costs its unique nodes, not its expanded size.

#include "spec/tree_passes.hpp"

#include <map>
#include <memory>
#include <string_view>
#include <utility>

namespace agentctl::spec {

namespace {

// Where in the file a node sits, as far as interpolation cares.
enum class Place { root, agent_list, agent, command, other };

Place child_place(Place parent, std::string_view key) {
    switch (parent) {
    case Place::root:
        return key == "agents" ? Place::agent_list : key == "defaults" ? Place::agent : Place::other;
    case Place::agent:
        return key == "command" ? Place::command : Place::other;
    case Place::command:
        return Place::command;
    default:
        return Place::other;
    }
}

Place item_place(Place parent) {
    if (parent == Place::agent_list) {
        return Place::agent;
    }
    return parent == Place::command ? Place::command : Place::other;
}

std::string unset_hint(const std::string& error) {
    const std::string prefix = "variable ";
    const std::string suffix = " is not set";
    if (error.rfind(prefix, 0) == 0 && error.size() > prefix.size() + suffix.size() &&
        error.compare(error.size() - suffix.size(), suffix.size(), suffix) == 0) {
        const std::string name = error.substr(prefix.size(), error.size() - prefix.size() - suffix.size());
        return "export " + name + " before running agentctl, or give a default: ${" + name + ":-value}";
    }
    return {};
}

class TreeInterpolator {
public:
    TreeInterpolator(const EnvLookup& env, SchemaWalker& walker) : m_env(env), m_walker(walker) {}

    YamlNodePtr visit(const YamlNodePtr& node, Place place) {
        if (!node) {
            return node;
        }
        const auto key = std::make_pair(node.get(), static_cast<int>(place));
        auto found = m_memo.find(key);
        if (found != m_memo.end()) {
            return found->second;
        }
        YamlNodePtr result = node;
        if (node->is_scalar()) {
            result = scalar(node, place == Place::command);
        } else if (node->is_sequence()) {
            result = sequence(node, place);
        } else if (node->is_map()) {
            result = map(node, place);
        }
        m_memo.emplace(key, result);
        return result;
    }

private:
    YamlNodePtr scalar(const YamlNodePtr& node, bool keep_launch_refs) {
        if (node->text.find('$') == std::string::npos) {
            return node;
        }
        Interpolated result = interpolate(node->text, m_env, keep_launch_refs);
        if (!result.error.empty()) {
            m_walker.error(*node, result.error, unset_hint(result.error));
            m_walker.note_failed(node.get());
            return node;
        }
        if (result.value == node->text && !result.used_variable) {
            return node;
        }
        auto copy = std::make_shared<YamlNode>(*node);
        copy->text = std::move(result.value);
        m_walker.note_interpolated(copy.get(), node->text, result.used_variable);
        return copy;
    }

    YamlNodePtr sequence(const YamlNodePtr& node, Place place) {
        std::vector<YamlNodePtr> items;
        bool changed = false;
        items.reserve(node->items.size());
        for (const YamlNodePtr& item : node->items) {
            items.push_back(visit(item, item_place(place)));
            changed = changed || items.back() != item;
        }
        if (!changed) {
            return node;
        }
        auto copy = std::make_shared<YamlNode>(*node);
        copy->items = std::move(items);
        return copy;
    }

    YamlNodePtr map(const YamlNodePtr& node, Place place) {
        std::vector<std::pair<YamlNodePtr, YamlNodePtr>> entries;
        bool changed = false;
        entries.reserve(node->entries.size());
        for (const auto& [key, value] : node->entries) {
            const std::string_view name = key && key->is_scalar() ? std::string_view(key->text) : std::string_view();
            entries.emplace_back(key, visit(value, child_place(place, name)));
            changed = changed || entries.back().second != value;
        }
        if (!changed) {
            return node;
        }
        auto copy = std::make_shared<YamlNode>(*node);
        copy->entries = std::move(entries);
        return copy;
    }

    const EnvLookup& m_env;
    SchemaWalker& m_walker;
    std::map<std::pair<const YamlNode*, int>, YamlNodePtr> m_memo;
};

bool is_health_kind(std::string_view key) {
    return key == "http" || key == "tcp" || key == "exec" || key == "none";
}

std::string_view key_text(const YamlNodePtr& key) {
    return key && key->is_scalar() ? std::string_view(key->text) : std::string_view();
}

enum class MergeLevel { agent, health, nested };

YamlNodePtr merge_maps(const YamlNode& base, const YamlNodePtr& over, MergeLevel level) {
    bool over_names_kind = false;
    if (level == MergeLevel::health) {
        for (const auto& entry : over->entries) {
            over_names_kind = over_names_kind || is_health_kind(key_text(entry.first));
        }
    }
    auto merged = std::make_shared<YamlNode>();
    merged->kind = YamlNode::Kind::map;
    merged->pos = over->pos;
    for (const auto& [key, value] : base.entries) {
        const std::string_view name = key_text(key);
        if ((level == MergeLevel::agent && name == "id") ||
            (level == MergeLevel::health && over_names_kind && is_health_kind(name))) {
            continue;
        }
        const YamlNode* own = over->find(name);
        if (own == nullptr) {
            merged->entries.emplace_back(key, value);
        }
    }
    for (const auto& [key, value] : over->entries) {
        const std::string_view name = key_text(key);
        const YamlNode* inherited = nullptr;
        for (const auto& entry : base.entries) {
            if (key_text(entry.first) == name && !(level == MergeLevel::agent && name == "id")) {
                inherited = entry.second.get();
                break;
            }
        }
        if (inherited != nullptr && inherited->is_map() && value && value->is_map()) {
            const MergeLevel child = level == MergeLevel::agent && name == "health" ? MergeLevel::health
                                                                                    : MergeLevel::nested;
            merged->entries.emplace_back(key, merge_maps(*inherited, value, child));
        } else {
            merged->entries.emplace_back(key, value);
        }
    }
    return merged;
}

}  // namespace

YamlNodePtr interpolate_tree(const YamlNodePtr& root, const EnvLookup& env, SchemaWalker& walker) {
    TreeInterpolator interpolator(env, walker);
    return interpolator.visit(root, Place::root);
}

YamlNodePtr merge_defaults(const YamlNode& defaults, const YamlNodePtr& agent) {
    if (!defaults.is_map() || !agent || !agent->is_map()) {
        return agent;
    }
    return merge_maps(defaults, agent, MergeLevel::agent);
}

void collect_nodes(const YamlNode& root, std::unordered_set<const YamlNode*>& out) {
    if (!out.insert(&root).second) {
        return;
    }
    for (const YamlNodePtr& item : root.items) {
        if (item) {
            collect_nodes(*item, out);
        }
    }
    for (const auto& [key, value] : root.entries) {
        if (key) {
            collect_nodes(*key, out);
        }
        if (value) {
            collect_nodes(*value, out);
        }
    }
}

}  // namespace agentctl::spec
