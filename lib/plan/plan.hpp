#pragma once
// Plan: pure data saying what a deploy does: stages, start order, each agent's instances,
// URLs, peers and environment, and a keyed spec hash per agent (DESIGN.md §3).
// Built by TopologyResolver; executed by AgentDeployer; printed by `agentctl plan`.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "spec/job_spec.hpp"

namespace agentctl::plan {

/// A connected agent instance as one consumer instance sees it.
struct Peer {
    std::string id;        ///< the provider agent's id
    std::string instance;  ///< the provider instance ("maps" or "maps@h2")
    std::string url;       ///< the URL this consumer is given for it
};

/// One running copy of an agent: the agent itself, or one host of a fleet.
struct PlannedInstance {
    std::string name;      ///< AGENT_INSTANCE: "id", or "id@host" in a fleet
    std::string host;      ///< as written: "127.0.0.1" for localhost, the ssh host/alias, the engine host
    std::string address;   ///< what agentctl connects to (ssh_config HostName resolved)
    std::string url;       ///< the agent's URL seen from agentctl's machine (empty without a port)
    std::vector<Peer> peers;  ///< connected instances, ordered by provider id then instance
    /// The job-defined environment (job `environment`, the contract, the agent's own; with
    /// JOB_ID only when a run id was given), sorted by name, secrets flagged.
    std::vector<spec::EnvVar> environment;
};

/// One agent of the plan.
struct PlannedAgent {
    spec::AgentSpec spec;
    std::string host;              ///< the first instance's host
    std::optional<int> port;       ///< config.port, or the publish port for containers
    std::string url;               ///< the first instance's URL
    std::vector<PlannedInstance> instances;
    std::vector<std::string> connections;  ///< ids it connects to, sorted
    std::vector<std::string> after;        ///< ids that must be ready before it starts, sorted
    std::size_t stage = 0;         ///< index into Plan::stages
    std::string spec_hash;         ///< HMAC over the job-defined spec and environment
};

enum class ChangeAction { create, replace, keep, remove };
/// The file/JSON spelling of an action ("create", ...).
const char* change_action_name(ChangeAction action);

/// What a deploy would do to one agent compared with the recorded state.
struct Change {
    std::string agent;
    ChangeAction action = ChangeAction::create;
    std::string reason;  ///< why (e.g. "spec changed", "not running"); may be empty
};

/// The whole plan.
struct Plan {
    std::string job;                 ///< job name (after --name)
    std::string file;                ///< the job file as given
    spec::Strategy strategy = spec::Strategy::staged;
    std::string strategy_text;       ///< as written (e.g. "top-down")
    std::vector<std::vector<std::string>> stages;  ///< topological generations, ids sorted
    std::vector<std::string> start_order;          ///< the order agents are started in
    /// How the deployer launches: each wave is started together and must be ready before the
    /// next (staged: the stages; sequential: one agent per wave; parallel: depends_on levels).
    std::vector<std::vector<std::string>> waves;
    std::vector<PlannedAgent> agents;  ///< file order
    std::string entry_point;           ///< execution.entry_point, else the hub, else the first agent
    std::vector<Change> changes;       ///< filled against recorded state; all "create" without it

    /// The agent with this id, or nullptr.
    const PlannedAgent* find(const std::string& id) const;
};

}  // namespace agentctl::plan
