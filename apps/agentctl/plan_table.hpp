#pragma once
// The human-readable form of a Plan, as `agentctl plan` prints it by default.

#include <string>

#include "plan/plan.hpp"

namespace agentctl::cli {

class Console;

/// The strategy as written, with the one it runs as when they differ ("top-down (runs as staged)").
std::string strategy_display(const plan::Plan& plan);

/// The job line, strategy and entry point, then per stage a "Stage N" heading and a table of
/// AGENT, TARGET, URL, CONNECTS TO, then the start order and the changes.
std::string render_plan_table(const plan::Plan& plan, const Console& console);

}  // namespace agentctl::cli
