#pragma once
// The loader's builders: each turns one section of the (interpolated, defaults-merged) YAML
// tree into its JobSpec part, reporting every problem through the SchemaWalker.
// Internal to lib/spec; job_loader.cpp calls them in order.

#include <optional>
#include <string>
#include <vector>

#include "spec/job_loader.hpp"
#include "spec/job_spec.hpp"
#include "spec/schema_walker.hpp"
#include "spec/yaml_tree.hpp"

namespace agentctl::spec {

/// Job-level health settings (`deployment.health_check`) that every agent starts from.
struct HealthDefaults {
    HealthSpec spec;                  ///< built-in values overridden by health_check
    bool start_period_given = false;  ///< health_check set start_period (kind none keeps it)
};

/// What the agent builders need from the rest of the file.
struct LoadContext {
    SchemaWalker& walker;
    const LoadOptions& options;
    std::string dir;             ///< the job file's directory (env_file is relative to it)
    JobDeployment deployment;    ///< job-level `deployment`, already built
    HealthDefaults health;       ///< from `deployment.health_check`
    std::optional<Millis> ssh_timeout;  ///< `deployment.ssh.timeout` when written
};

/// The schema's keys per section (what check_keys allows).
namespace keys {
extern const std::vector<std::string> top;
extern const std::vector<std::string> agent;
}  // namespace keys

/// `job:`; applies options.name_override. Reports a missing or invalid name.
JobMeta build_job_meta(const MapReader& root, const LoadOptions& options);

/// Job-level `deployment:` into context.deployment, with the health and SSH defaults it sets
/// for every agent.
void build_job_deployment(const MapReader& root, LoadContext& context);

/// `execution:`.
ExecutionSpec build_execution(const MapReader& root);

/// A map of NAME -> scalar (top-level `environment`, agents' `deployment.environment`);
/// `secret_from_variables` flags values that came from ${VAR}.
std::vector<EnvVar> build_environment(SchemaWalker& walker, const YamlNode& node, const std::string& path,
                                      bool secret_from_variables);

/// `topology:` (absent: type none), with the required fields of its type.
TopologySpec build_topology(const MapReader& root);

/// One agent map (`agents[i]`, after defaults were merged under it). With `is_defaults` the
/// map is the `defaults` section itself: no id is required and no per-agent rule applies.
AgentSpec build_agent(const YamlNode& node, const std::string& path, LoadContext& context, bool is_defaults);

/// `agents[i].deployment` (absent: localhost), with job-level SSH defaults applied.
DeploymentSpec build_agent_deployment(const MapReader& agent, LoadContext& context);

}  // namespace agentctl::spec
