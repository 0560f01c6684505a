#include "plan_table.hpp"

#include <fmt/core.h>

#include "console.hpp"
#include "table.hpp"
#include "util/text.hpp"

namespace agentctl::cli {
namespace {

std::string or_dash(const std::string& text) { return text.empty() ? "-" : text; }

// Every instance's URL: a fleet agent has one per host.
std::string urls_text(const plan::PlannedAgent& agent) {
    std::vector<std::string> urls;
    for (const auto& instance : agent.instances) {
        if (!instance.url.empty()) urls.push_back(instance.url);
    }
    if (urls.empty() && !agent.url.empty()) urls.push_back(agent.url);
    return or_dash(util::join(urls, ","));
}

}  // namespace

std::string strategy_display(const plan::Plan& plan) {
    const std::string canonical = spec::strategy_name(plan.strategy);
    if (plan.strategy_text.empty() || plan.strategy_text == canonical) return canonical;
    return plan.strategy_text + " (runs as " + canonical + ")";
}

std::string render_plan_table(const plan::Plan& plan, const Console& console) {
    const auto heading = [&console](const std::string& text) { return console.paint(Stream::out, Style::heading, text); };
    std::string out;
    out += fmt::format("{} {} ({})\n", heading("Job:"), plan.job, plan.file);
    out += fmt::format("{} {}\n", heading("Strategy:"), strategy_display(plan));
    if (!plan.entry_point.empty()) out += fmt::format("{} {}\n", heading("Entry point:"), plan.entry_point);

    // One table per stage, laid out with common widths so the stages line up.
    std::vector<Table> stages;
    for (const auto& stage : plan.stages) {
        Table table({"AGENT", "TARGET", "URL", "CONNECTS TO"});
        for (const auto& id : stage) {
            const auto* agent = plan.find(id);
            if (agent == nullptr) continue;
            table.add_row({id, spec::target_name(agent->spec.deployment.target), urls_text(*agent),
                           or_dash(util::join(agent->connections, ", "))});
        }
        stages.push_back(std::move(table));
    }
    const auto widths = common_widths(stages);
    for (std::size_t i = 0; i < stages.size(); ++i) {
        out += fmt::format("\n{}\n", heading("Stage " + std::to_string(i + 1)));
        out += console.paint(Stream::out, Style::heading, stages[i].render_header(widths, "  ")) + "\n";
        out += stages[i].render_rows(widths, "  ");
    }

    out += fmt::format("\n{} {}\n", heading("Start order:"), or_dash(util::join(plan.start_order, ", ")));

    if (plan.changes.empty()) {
        out += fmt::format("\n{} none\n", heading("Changes:"));
        return out;
    }
    bool any_reason = false;
    for (const auto& change : plan.changes) any_reason = any_reason || !change.reason.empty();
    Table changes(any_reason ? std::vector<std::string>{"ACTION", "AGENT", "REASON"}
                             : std::vector<std::string>{"ACTION", "AGENT"});
    for (const auto& change : plan.changes) {
        changes.add_row({plan::change_action_name(change.action), change.agent, change.reason});
    }
    out += fmt::format("\n{}\n", heading("Changes:"));
    out += console.paint(Stream::out, Style::heading, changes.render_header({}, "  ")) + "\n";
    out += changes.render_rows({}, "  ");
    return out;
}

}  // namespace agentctl::cli
