#pragma once
// Endpoints: where each instance of an agent runs and the URLs it is reached by, from
// agentctl's machine and from each kind of peer (DESIGN.md §3 "URLs"). Internal to lib/plan.

#include <optional>
#include <string>
#include <vector>

#include "plan/plan.hpp"
#include "spec/job_spec.hpp"
#include "util/ssh_config.hpp"

namespace agentctl::plan {

/// The port `plan` shows for an agent: config.port, or the publish port for a container.
std::optional<int> planned_port(const spec::AgentSpec& agent);

/// The instances of `agent` with name, host, address and URL seen from agentctl's machine
/// filled in (one per host of a remote fleet, else one); peers and environment left empty.
std::vector<PlannedInstance> plan_instances(const spec::AgentSpec& agent, const util::SshConfig& ssh_config);

/// The URL one consumer is given for one provider instance, or why there is none.
struct PeerUrl {
    std::string url;      ///< empty when the provider has no port or on error
    std::string message;  ///< non-empty: the consumer cannot reach the provider
    std::string hint;
};

/// The URL `consumer` (any of its instances) is given for `instance` of `provider`.
PeerUrl peer_url(const spec::AgentSpec& consumer, const spec::AgentSpec& provider, const PlannedInstance& instance);

}  // namespace agentctl::plan
