#pragma once
// The stable JSON form of a Plan (DESIGN.md §6 `plan -o json`). Fields may be added, never renamed.

#include <string>

#include "plan/plan.hpp"

namespace agentctl::plan {

/// Serializes `plan` as pretty JSON (2-space indent, keys of `agents` sorted), byte-identical
/// for the same plan. Secrets never appear: the environment is not part of this form.
std::string plan_to_json(const Plan& plan);

/// Graphviz DOT of the plan: one rank per stage, one edge per connection.
std::string plan_to_dot(const Plan& plan);

}  // namespace agentctl::plan
