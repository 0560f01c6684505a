#pragma once
// agentctl's own YAML tree: built from yaml-cpp's event stream so that every node keeps its
// position, duplicate keys and hostile input are caught, and YAML 1.2 core-schema typing can
// tell a quoted "9001" from a plain 9001. No yaml-cpp type appears here.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spec/diagnostic.hpp"

namespace agentctl::spec {

struct YamlNode;
using YamlNodePtr = std::shared_ptr<const YamlNode>;

/// One YAML node. Aliased nodes are shared, never copied.
struct YamlNode {
    enum class Kind { null, scalar, sequence, map };
    /// What a plain scalar means under the YAML 1.2 core schema.
    enum class ScalarType { string, null, boolean, integer, floating };

    Kind kind = Kind::null;
    SourcePos pos;
    std::string text;   ///< scalar: its value after YAML unescaping (empty for null)
    bool plain = true;  ///< scalar: written without quotes or a tag (core typing applies)
    std::vector<YamlNodePtr> items;                             ///< sequence items
    std::vector<std::pair<YamlNodePtr, YamlNodePtr>> entries;  ///< map entries, file order

    bool is_null() const { return kind == Kind::null; }
    bool is_scalar() const { return kind == Kind::scalar; }
    bool is_sequence() const { return kind == Kind::sequence; }
    bool is_map() const { return kind == Kind::map; }

    /// The core-schema type of a scalar: quoted scalars are strings; plain ones are typed
    /// by the core schema's patterns (null/Null/NULL/~, true/false, 12, 0x1F, 0o17, 1.5, .inf).
    ScalarType scalar_type() const;

    /// The value of the map entry whose key is the scalar `key`, or nullptr.
    const YamlNode* find(std::string_view key) const;
};

/// Bounds that keep hostile input from costing time or memory.
struct YamlLimits {
    std::size_t max_bytes = 4u * 1024u * 1024u;  ///< file size
    std::size_t max_depth = 64;                   ///< nesting of sequences and maps
    std::size_t max_nodes = 2'000'000;            ///< nodes after expanding every alias
};

/// The result of reading one document: a root (null on failure) and the problems found.
struct YamlDocument {
    YamlNodePtr root;
    std::vector<Diagnostic> problems;  ///< duplicate keys, syntax errors, limits hit
};

/// Parses the first YAML document of `text`. Never throws for bad input: syntax errors,
/// duplicate keys (each reported at the second occurrence), nesting past max_depth, alias
/// expansion past max_nodes and size past max_bytes become problems naming `file`.
/// A document with errors of the last three kinds has no root.
YamlDocument read_yaml(std::string_view text, const std::string& file, const YamlLimits& limits = {});

/// Serializes a node as compact JSON using core-schema types (plain 9001 -> 9001,
/// "9001" -> "9001", maps keep file order).
std::string yaml_to_json(const YamlNode& node);

}  // namespace agentctl::spec
