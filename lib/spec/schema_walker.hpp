#pragma once
// SchemaWalker and MapReader: typed, position-aware reading of the YAML tree for the job
// loader. Every getter either returns a value or records why it cannot (wrong type, out of
// range, unknown key), so one walk over the file collects every problem. Internal to lib/spec.

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "spec/diagnostic.hpp"
#include "spec/job_spec.hpp"
#include "spec/yaml_tree.hpp"

namespace agentctl::spec {

/// Where one load's problems go, how strict it is, and what earlier passes learned about nodes.
class SchemaWalker {
public:
    /// Reports into `out`; with `strict`, unknown keys are errors instead of warnings.
    SchemaWalker(Diagnostics& out, bool strict) : m_out(out), m_strict(strict) {}

    /// Records an error at `at` (dropped when `at` is quiet, see set_quiet).
    void error(const YamlNode& at, std::string message, std::string hint = {});
    /// Records a warning at `at` (dropped when `at` is quiet).
    void warning(const YamlNode& at, std::string message, std::string hint = {});
    /// Reports each key of `map` not in `allowed` as "unknown key 'k' in <path>" with a
    /// "did you mean" hint; a warning, or an error when strict.
    void check_keys(const YamlNode& map, const std::vector<std::string>& allowed, const std::string& path);
    /// Records "<path> must be <expected>, not <what node is>".
    void type_error(const YamlNode& node, const std::string& path, const std::string& expected,
                    std::string hint = {});

    /// Remembers that `node` is the interpolated form of `raw`, and whether a variable was used.
    void note_interpolated(const YamlNode* node, std::string raw, bool used_variable);
    /// True when the node's value came from a ${VAR} of the environment.
    bool from_variable(const YamlNode& node) const;
    /// The text as written before interpolation, or nullptr when interpolation changed nothing.
    const std::string* raw_text(const YamlNode& node) const;
    /// Marks a node whose interpolation failed (already reported): getters skip it silently.
    void note_failed(const YamlNode* node) { m_failed.insert(node); }
    /// True for a node whose interpolation failed.
    bool failed(const YamlNode& node) const { return m_failed.count(&node) != 0; }

    /// Problems at these nodes are dropped until clear_quiet(): they belong to `defaults`,
    /// which is checked once on its own rather than once per agent it is merged into.
    void set_quiet(const std::unordered_set<const YamlNode*>* nodes) { m_quiet = nodes; }
    /// True when problems at `node` are currently dropped.
    bool quiet(const YamlNode& node) const { return m_quiet && m_quiet->count(&node) != 0; }

    /// True when unknown keys are errors (--strict).
    bool strict() const { return m_strict; }
    /// The collection problems go to.
    Diagnostics& out() { return m_out; }

private:
    Diagnostics& m_out;
    bool m_strict;
    std::unordered_map<const YamlNode*, std::string> m_raw;
    std::unordered_set<const YamlNode*> m_variables;
    std::unordered_set<const YamlNode*> m_failed;
    const std::unordered_set<const YamlNode*>* m_quiet = nullptr;
};

/// True for an absent value: no node, an empty value, or a plain null/~ scalar.
bool is_null_value(const YamlNode* node);
/// A short description of a node for messages: `the string "9001"`, `a list`, `the integer 5`.
std::string describe_node(const YamlNode& node);

/// Any non-null scalar as its text (numbers and booleans as written).
std::optional<std::string> read_text(SchemaWalker& walker, const YamlNode& node, const std::string& path);
/// An integer in [min, max]; quoted numbers are refused with `quoted_hint` when given.
std::optional<long long> read_integer(SchemaWalker& walker, const YamlNode& node, const std::string& path,
                                      long long min, long long max, const std::string& quoted_hint = {});
/// A number (integer or float) that is at least `min`.
std::optional<double> read_number(SchemaWalker& walker, const YamlNode& node, const std::string& path,
                                  double min);
/// true or false (YAML 1.2: yes/no/on/off are strings and are refused).
std::optional<bool> read_bool(SchemaWalker& walker, const YamlNode& node, const std::string& path);
/// A duration: a number of seconds or a string with units.
std::optional<Millis> read_duration(SchemaWalker& walker, const YamlNode& node, const std::string& path);
/// A list of scalars as texts; `scalar_hint` is the fix offered when a plain string was given.
std::optional<std::vector<std::string>> read_text_list(SchemaWalker& walker, const YamlNode& node,
                                                       const std::string& path,
                                                       const std::string& scalar_hint = {});
/// One agent id reference.
std::optional<IdRef> read_id(SchemaWalker& walker, const YamlNode& node, const std::string& path);
/// A list of agent id references.
std::optional<std::vector<IdRef>> read_id_list(SchemaWalker& walker, const YamlNode& node,
                                               const std::string& path);

/// One map of the file: its keys are checked against the schema when it is opened, and its
/// values are read by key with the typed readers above.
class MapReader {
public:
    /// Opens `map` (which must be a map) at `path`, reporting keys not in `allowed`.
    MapReader(SchemaWalker& walker, const YamlNode& map, std::string path,
              const std::vector<std::string>& allowed);

    /// The map node itself.
    const YamlNode& node() const { return m_node; }
    /// Where the map starts (where its missing fields are reported).
    SourcePos pos() const { return m_node.pos; }
    /// Its path in the file ("agents[0].deployment").
    const std::string& path() const { return m_path; }
    /// The path of one of its keys ("agents[0].deployment.target").
    std::string path_of(std::string_view key) const;
    /// The walker problems go to.
    SchemaWalker& walker() const { return m_walker; }

    /// The value at `key`, or nullptr when absent or null.
    const YamlNode* get(std::string_view key) const;
    /// True when the key is written with a non-null value.
    bool has(std::string_view key) const { return get(key) != nullptr; }
    /// Records "<path> is missing <key>" at this map's position.
    void missing(std::string_view key, std::string hint = {}) const;

    // The typed readers below return nullopt when the key is absent or null, and when the
    // value is wrong (then after reporting it); see the free read_* functions.

    /// The scalar at `key` as text.
    std::optional<std::string> text(std::string_view key) const;
    /// The integer at `key`, within [min, max].
    std::optional<long long> integer(std::string_view key, long long min, long long max,
                                     const std::string& quoted_hint = {}) const;
    /// The number at `key`, at least `min`.
    std::optional<double> number(std::string_view key, double min) const;
    /// The boolean at `key`.
    std::optional<bool> boolean(std::string_view key) const;
    /// The duration at `key`.
    std::optional<Millis> duration(std::string_view key) const;
    /// The duration at `key`, which must be more than zero (an interval of 0 would spin).
    std::optional<Millis> positive_duration(std::string_view key) const;
    /// The list of scalars at `key`.
    std::optional<std::vector<std::string>> text_list(std::string_view key,
                                                      const std::string& scalar_hint = {}) const;
    /// The agent id at `key`.
    std::optional<IdRef> id(std::string_view key) const;
    /// The list of agent ids at `key`.
    std::optional<std::vector<IdRef>> id_list(std::string_view key) const;
    /// The map at `key` opened with its own allowed keys; nullopt when absent or not a map.
    std::optional<MapReader> map(std::string_view key, const std::vector<std::string>& allowed) const;
    /// The list at `key`; nullptr when absent or not a list (reported).
    const YamlNode* list(std::string_view key) const;

private:
    SchemaWalker& m_walker;
    const YamlNode& m_node;
    std::string m_path;
};

}  // namespace agentctl::spec
