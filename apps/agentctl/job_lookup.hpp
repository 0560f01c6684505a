#pragma once
// Finding recorded jobs and instances by the names a user typed, with exit 4 and a
// "did you mean" when there is no such thing.

#include <memory>
#include <string>
#include <vector>

#include "state/state_store.hpp"

namespace agentctl::cli {

class DeployContext;
struct GlobalOptions;

/// The context of an existing state dir and the job `name` in it; throws util::NotFoundError
/// (exit 4) when there is no state or no such job.
std::unique_ptr<DeployContext> open_for_job(const GlobalOptions& globals, const std::string& name,
                                            state::JobRecord& job);

/// The records `names` selects (agent ids or instance names; empty: all), in record order;
/// throws util::NotFoundError naming the first name that matches nothing.
std::vector<state::InstanceRecord> select_records(const std::string& job, const std::vector<state::InstanceRecord>& records,
                                                  const std::vector<std::string>& names);

}  // namespace agentctl::cli
