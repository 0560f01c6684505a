#pragma once
// A quick check for hostile flow nesting, used by read_yaml before the real parse. Internal to
// lib/spec: yaml-cpp scans a flow collection to its end before it reports any event, so a file
// of a million '[' would cost seconds before an event handler's depth check could run.

#include <cstddef>
#include <optional>
#include <string_view>

#include "spec/diagnostic.hpp"

namespace agentctl::spec {

/// Where `text` provably nests sequences and maps past `max_depth`, or nullopt when unsure.
/// Brackets are counted crudely (strings and comments included); where they pass the limit,
/// only the text up to there is parsed, which yaml-cpp does in microseconds. A false alarm
/// (brackets in a string) costs one such parse, and the next try waits until the text read has
/// doubled, so all tries together cost at most about two parses of the text.
std::optional<SourcePos> find_deep_nesting(std::string_view text, std::size_t max_depth);

}  // namespace agentctl::spec
