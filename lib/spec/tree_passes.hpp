#pragma once
// Whole-tree passes the loader runs before reading fields: ${VAR} interpolation of every scalar
// value, and merging `defaults` under each agent. Both keep unchanged nodes shared (aliases
// stay cheap) and give new nodes the position of what they came from. Internal to lib/spec.

#include <unordered_set>

#include "spec/interpolation.hpp"
#include "spec/schema_walker.hpp"
#include "spec/yaml_tree.hpp"

namespace agentctl::spec {

/// The tree with every scalar value (never a map key) interpolated from `env`. Changed nodes
/// are recorded in `walker` (text before interpolation, whether a variable was used); a value
/// that cannot be interpolated is reported at its position, kept as written and marked failed.
/// Items of `agents[].command` and `defaults.command` keep `$$(` for launch-time expansion.
YamlNodePtr interpolate_tree(const YamlNodePtr& root, const EnvLookup& env, SchemaWalker& walker);

/// The agent map with `defaults` merged under it: maps merge deeply and the agent wins; lists
/// and scalars are replaced; an agent `health` that names a kind (http, tcp, exec, none) drops
/// the defaults' kind keys; `id` is never taken from defaults. A null agent value wins too
/// (it removes the default).
YamlNodePtr merge_defaults(const YamlNode& defaults, const YamlNodePtr& agent);

/// Adds every node of the tree under `root` (keys included) to `out`.
void collect_nodes(const YamlNode& root, std::unordered_set<const YamlNode*>& out);

}  // namespace agentctl::spec
