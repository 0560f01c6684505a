// `topology:` -> TopologySpec: the type, the fields of that type, and the fields it requires.
// Whether the ids exist is the validator's business; this file checks shapes only.

#include <algorithm>
#include <utility>

#include "spec/section_builders.hpp"
#include "util/text.hpp"

namespace agentctl::spec {

namespace {

const std::vector<std::string> k_topology_keys = {"type", "hub", "spokes", "stages", "connections",
                                                  "agents", "root", "levels"};
const std::vector<std::string> k_connection_keys = {"from", "to", "address"};
const std::vector<std::string> k_tree_level_keys = {"parent", "children"};
const std::vector<std::string> k_type_names = {"hub-spoke", "pipeline", "dag", "mesh",
                                               "hierarchical", "dynamic", "none"};
const TopologyType k_types[] = {TopologyType::hub_spoke, TopologyType::pipeline, TopologyType::dag,
                                TopologyType::mesh,      TopologyType::hierarchical, TopologyType::dynamic,
                                TopologyType::none};

// The fields each type reads (connections are read by every type: address overrides).
std::vector<std::string> fields_of(TopologyType type) {
    switch (type) {
    case TopologyType::hub_spoke:
        return {"hub", "spokes"};
    case TopologyType::pipeline:
        return {"stages"};
    case TopologyType::mesh:
        return {"agents"};
    case TopologyType::hierarchical:
        return {"root", "levels"};
    default:
        return {};
    }
}

std::string item_path(const std::string& path, std::size_t index) {
    return path + "[" + std::to_string(index) + "]";
}

// A list field the type requires: missing or empty is an error.
std::vector<IdRef> required_ids(const MapReader& topology, std::string_view key, const std::string& type) {
    const YamlNode* node = topology.get(key);
    if (node == nullptr) {
        topology.missing(key, "a " + type + " topology needs " + std::string(key));
        return {};
    }
    auto ids = topology.id_list(key).value_or(std::vector<IdRef>{});
    if (ids.empty() && node->is_sequence()) {
        topology.walker().error(*node, topology.path_of(key) + " must list at least one agent");
    }
    return ids;
}

IdRef required_id(const MapReader& topology, std::string_view key, const std::string& type) {
    if (!topology.has(key)) {
        topology.missing(key, "a " + type + " topology needs " + std::string(key));
        return {};
    }
    return topology.id(key).value_or(IdRef{});
}

// One pipeline stage or list-form level: an id alone, or a list of ids.
std::vector<IdRef> id_group(SchemaWalker& walker, const YamlNode& node, const std::string& path) {
    if (node.is_scalar() && !is_null_value(&node)) {
        if (auto id = read_id(walker, node, path)) {
            return {*id};
        }
        return {};
    }
    if (!node.is_sequence()) {
        walker.type_error(node, path, "an agent id or a list of agent ids");
        return {};
    }
    auto ids = read_id_list(walker, node, path).value_or(std::vector<IdRef>{});
    if (node.items.empty()) {
        walker.error(node, path + " must list at least one agent");
    }
    return ids;
}

std::vector<ConnectionSpec> read_connections(const MapReader& topology, bool required) {
    std::vector<ConnectionSpec> out;
    SchemaWalker& walker = topology.walker();
    if (!topology.has("connections")) {
        if (required) {
            topology.missing("connections", "a dag topology needs connections: [{from: a, to: b}]");
        }
        return out;
    }
    const YamlNode* list = topology.list("connections");
    if (list == nullptr) {
        return out;
    }
    if (list->items.empty() && required) {
        walker.error(*list, "topology.connections must list at least one connection");
    }
    for (std::size_t i = 0; i < list->items.size(); ++i) {
        const YamlNode& item = *list->items[i];
        const std::string path = item_path("topology.connections", i);
        if (walker.failed(item)) {
            continue;
        }
        if (!item.is_map()) {
            walker.type_error(item, path, "a map {from, to, address}");
            continue;
        }
        MapReader connection(walker, item, path, k_connection_keys);
        ConnectionSpec spec;
        spec.pos = connection.pos();
        if (auto from = connection.id("from")) {
            spec.from = *from;
        } else if (!connection.has("from")) {
            connection.missing("from");
        }
        if (const YamlNode* to = connection.get("to")) {
            spec.to = to->is_sequence() ? read_id_list(walker, *to, connection.path_of("to")).value_or(std::vector<IdRef>{})
                                        : id_group(walker, *to, connection.path_of("to"));
        } else {
            connection.missing("to");
        }
        spec.address = connection.text("address").value_or("");
        out.push_back(std::move(spec));
    }
    return out;
}

void read_levels(const MapReader& topology, TopologySpec& spec) {
    SchemaWalker& walker = topology.walker();
    if (!topology.has("levels")) {
        topology.missing("levels", "a hierarchical topology needs levels: [[a, b], [c, d]]");
        return;
    }
    const YamlNode* list = topology.list("levels");
    if (list == nullptr) {
        return;
    }
    if (list->items.empty()) {
        walker.error(*list, "topology.levels must list at least one level");
        return;
    }
    // The form is set by the first level; the original's own examples use both.
    spec.tree_form = list->items.front()->is_map();
    for (std::size_t i = 0; i < list->items.size(); ++i) {
        const YamlNode& item = *list->items[i];
        const std::string path = item_path("topology.levels", i);
        if (walker.failed(item)) {
            continue;
        }
        if (!spec.tree_form) {
            if (item.is_map()) {
                walker.type_error(item, path, "a list of agent ids (like the first level)");
            } else {
                spec.levels.push_back(id_group(walker, item, path));
            }
            continue;
        }
        if (!item.is_map()) {
            walker.type_error(item, path, "a map {parent, children} (like the first level)");
            continue;
        }
        MapReader level(walker, item, path, k_tree_level_keys);
        TreeLevel tree;
        if (auto parent = level.id("parent")) {
            tree.parent = *parent;
        } else if (!level.has("parent")) {
            level.missing("parent");
        }
        if (level.has("children")) {
            tree.children = level.id_list("children").value_or(std::vector<IdRef>{});
        } else {
            level.missing("children");
        }
        spec.tree.push_back(std::move(tree));
    }
}

}  // namespace

TopologySpec build_topology(const MapReader& root) {
    TopologySpec spec;
    auto topology = root.map("topology", k_topology_keys);
    if (!topology) {
        return spec;
    }
    SchemaWalker& walker = topology->walker();
    spec.pos = topology->pos();
    const YamlNode* type_node = topology->get("type");
    if (type_node == nullptr) {
        topology->missing("type", "use one of: " + util::join(k_type_names, ", "));
        return spec;
    }
    auto type_text = topology->text("type");
    if (!type_text) {
        return spec;
    }
    spec.pos = type_node->pos;
    bool known = false;
    for (std::size_t i = 0; i < k_type_names.size(); ++i) {
        if (*type_text == k_type_names[i]) {
            spec.type = k_types[i];
            known = true;
        }
    }
    if (!known) {
        const std::string suggestion = util::did_you_mean(*type_text, k_type_names);
        walker.error(*type_node, "unknown topology type '" + *type_text + "'",
                     suggestion.empty() ? "use one of: " + util::join(k_type_names, ", ")
                                        : "did you mean '" + suggestion + "'?");
        return spec;
    }

    // Fields of another type are a likely mistake (a wrong type, or a copy-paste left over).
    const std::vector<std::string> used = fields_of(spec.type);
    for (const std::string field : {"hub", "spokes", "stages", "agents", "root", "levels"}) {
        if (topology->has(field) && std::find(used.begin(), used.end(), field) == used.end()) {
            std::string message = "topology." + field + " is not used by a " + *type_text + " topology";
            std::string hint = "remove it, or change topology.type";
            if (walker.strict()) {
                walker.error(*topology->get(field), std::move(message), std::move(hint));
            } else {
                walker.warning(*topology->get(field), std::move(message), std::move(hint));
            }
        }
    }

    switch (spec.type) {
    case TopologyType::hub_spoke:
        spec.hub = required_id(*topology, "hub", *type_text);
        spec.spokes = required_ids(*topology, "spokes", *type_text);
        break;
    case TopologyType::pipeline:
        if (!topology->has("stages")) {
            topology->missing("stages", "a pipeline topology needs stages: [a, [b1, b2], c]");
        } else if (const YamlNode* stages = topology->list("stages")) {
            if (stages->items.empty()) {
                walker.error(*stages, "topology.stages must list at least one stage");
            }
            for (std::size_t i = 0; i < stages->items.size(); ++i) {
                if (!walker.failed(*stages->items[i])) {
                    spec.stages.push_back(id_group(walker, *stages->items[i], item_path("topology.stages", i)));
                }
            }
        }
        break;
    case TopologyType::mesh:
        spec.agents = required_ids(*topology, "agents", *type_text);
        break;
    case TopologyType::hierarchical:
        spec.root = required_id(*topology, "root", *type_text);
        read_levels(*topology, spec);
        break;
    default:
        break;
    }
    spec.connections = read_connections(*topology, spec.type == TopologyType::dag);
    return spec;
}

}  // namespace agentctl::spec
