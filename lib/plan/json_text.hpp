#pragma once
// A minimal JSON string writer for the hot paths of planning (AGENT_PEERS_JSON, the canonical
// spec text hashed per agent), where building a JSON DOM per agent would dominate a large mesh.

#include <string>
#include <string_view>

namespace agentctl::plan {

/// Appends `text` to `out` as a JSON string literal: quoted, with '"', '\\' and control
/// characters escaped; other bytes are copied as they are.
void append_json_string(std::string& out, std::string_view text);

}  // namespace agentctl::plan
