#include "job_lookup.hpp"

#include <algorithm>
#include <set>

#include "deploy_context.hpp"
#include "util/errors.hpp"
#include "util/text.hpp"

namespace agentctl::cli {

std::unique_ptr<DeployContext> open_for_job(const GlobalOptions& globals, const std::string& name,
                                            state::JobRecord& job) {
    auto context = DeployContext::open_existing(globals);
    std::vector<std::string> known;
    if (context) {
        if (auto found = context->store().job(name)) {
            job = *found;
            return context;
        }
        for (const auto& record : context->store().jobs()) known.push_back(record.name);
    }
    std::string message = "no job named '" + name + "'";
    if (auto guess = util::did_you_mean(name, known); !guess.empty()) message += " (did you mean '" + guess + "'?)";
    throw util::NotFoundError(message + "; see agentctl list --all");
}

std::vector<state::InstanceRecord> select_records(const std::string& job, const std::vector<state::InstanceRecord>& records,
                                                  const std::vector<std::string>& names) {
    if (names.empty()) return records;
    std::vector<std::string> known;
    for (const auto& record : records) {
        known.push_back(record.instance);
        if (record.agent != record.instance) known.push_back(record.agent);
    }
    for (const auto& name : names) {
        if (std::find(known.begin(), known.end(), name) != known.end()) continue;
        std::string message = "job '" + job + "' has no agent or instance '" + name + "'";
        if (auto guess = util::did_you_mean(name, known); !guess.empty()) message += " (did you mean '" + guess + "'?)";
        throw util::NotFoundError(message);
    }
    const std::set<std::string> wanted(names.begin(), names.end());
    std::vector<state::InstanceRecord> out;
    for (const auto& record : records) {
        if (wanted.count(record.instance) || wanted.count(record.agent)) out.push_back(record);
    }
    return out;
}

}  // namespace agentctl::cli
