#pragma once
// The environment contract (DESIGN.md §3): the variables every agent instance is started
// with, layered job `environment` < AGENT_<KEY> from config < contract names < the agent's
// deployment.environment, except that nothing overrides a contract name. Internal to lib/plan.

#include <string>
#include <vector>

#include "plan/plan.hpp"
#include "spec/diagnostic.hpp"
#include "spec/job_spec.hpp"

namespace agentctl::plan {

/// The contract as it applies to one agent of a job.
class EnvironmentContract {
public:
    /// Prepares the contract of `agent`, which connects to the agents `connection_ids`.
    /// `job`, `agent` and `connection_ids` must outlive this object.
    EnvironmentContract(const spec::JobSpec& job, const spec::AgentSpec& agent,
                        const std::vector<std::string>& connection_ids);

    /// True when the contract sets `name` for this agent (so no other layer may).
    bool is_contract_name(const std::string& name) const;

    /// Appends a warning for each config key and deployment.environment entry of the agent
    /// that names a contract variable: the contract wins over them.
    void add_collision_warnings(std::vector<spec::Diagnostic>& out) const;

    /// The whole job-defined environment of `instance` (whose peers are filled in), sorted by
    /// name, secrets flagged; JOB_ID only when `run_id` is not empty.
    std::vector<spec::EnvVar> environment(const PlannedInstance& instance, const std::string& run_id) const;

private:
    const spec::JobSpec& m_job;
    const spec::AgentSpec& m_agent;
    const std::vector<std::string>& m_connection_ids;
};

/// Appends a warning for each job-level `environment` entry that names a fixed contract
/// variable (JOB_ID, AGENT_ID, ...): the contract overrides it in every agent.
void add_job_environment_warnings(const spec::JobSpec& job, std::vector<spec::Diagnostic>& out);

/// The name AGENT_PEER_<ID>_URL of a connected agent id.
std::string peer_url_name(const std::string& id);

}  // namespace agentctl::plan
