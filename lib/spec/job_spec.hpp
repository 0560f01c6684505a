#pragma once
// JobSpec: a job file as plain data, after interpolation, `defaults` merging and the
// resolution of every default (DESIGN.md §2). Built by JobLoader; read by every later layer.
// Positions are kept wherever a later check (validator, resolver) must point at the file.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "spec/diagnostic.hpp"
#include "util/duration.hpp"

namespace agentctl::spec {

using util::Millis;

/// Where an agent runs. Aliases in the file: local -> localhost, ssh -> remote, docker -> container.
enum class Target { localhost, remote, container, kubernetes };
/// The canonical file spelling of a target ("localhost", "remote", ...).
const char* target_name(Target target);

enum class TopologyType { hub_spoke, pipeline, dag, mesh, hierarchical, dynamic, none };
/// The file spelling of a topology type ("hub-spoke", "pipeline", ...).
const char* topology_type_name(TopologyType type);

enum class Strategy { staged, sequential, parallel };
/// The file spelling of a strategy ("staged", ...).
const char* strategy_name(Strategy strategy);

enum class HealthKind { http, tcp, exec, none };
enum class RestartPolicy { no, on_failure, always };
/// The file spelling of a restart policy ("no", "on-failure", "always").
const char* restart_policy_name(RestartPolicy policy);

/// An agent id as written somewhere in the file, with where it was written.
struct IdRef {
    std::string id;
    SourcePos pos;
};

/// One environment variable. `secret` marks values that came from ${VAR} or an env file in
/// an agent's deployment (DESIGN.md §2 "Secrets"): they must never be shown or stored.
struct EnvVar {
    std::string name;
    std::string value;
    bool secret = false;
    SourcePos pos;
};

/// One entry of an agent's `config` map.
struct ConfigEntry {
    std::string key;
    std::string text;  ///< scalars: their source text; lists and maps: compact JSON
    std::string json;  ///< the value as JSON (core-schema typed)
    SourcePos pos;
};

/// `health:` after defaults: the kind and its timing (DESIGN.md §2 "Readiness").
struct HealthSpec {
    HealthKind kind = HealthKind::http;
    std::string http_path = "/health";  ///< kind http
    std::vector<std::string> exec;      ///< kind exec: argv, run where the agent runs
    Millis interval{5000};
    Millis timeout{5000};
    int retries = 3;                 ///< consecutive failures that make a healthy agent unhealthy
    Millis start_period{0};          ///< for kind none: defaults to 1s
    SourcePos pos;
};

/// `restart:` (used by the shim and the monitor).
struct RestartSpec {
    RestartPolicy policy = RestartPolicy::no;
    int max_restarts = 5;
    Millis backoff{1000};
    Millis max_backoff{60000};
};

/// `stop:`.
struct StopSpec {
    std::string signal = "SIGTERM";  ///< canonical "SIG..." name
    Millis timeout{10000};
};

/// `resources:`; containers apply them, processes record and show them.
struct ResourceSpec {
    std::optional<double> cpu;
    std::optional<long long> memory_bytes;  ///< "512M" -> 536870912 (binary units)
    std::string memory_text;                ///< as written, for display
    std::optional<int> gpu;
};

/// One `deployment.files[]` entry (shipped over SFTP to remote hosts).
struct FileSpec {
    std::string src;   ///< relative to the job file's directory
    std::string dest;  ///< on the host
    std::optional<int> mode;  ///< octal in the file ("0644" or 0644)
    SourcePos pos;
};

/// `agents[].deployment` after aliases and job-level defaults.
struct DeploymentSpec {
    Target target = Target::localhost;
    std::string target_text;        ///< as written (e.g. "docker"), for messages
    SourcePos target_pos;
    std::vector<EnvVar> environment;  ///< `environment` then `env_file` values (file order; environment wins)
    std::string env_file;           ///< as written; its values are merged into `environment`
    std::string workdir;            ///< as written
    std::string python = "python3";
    std::string advertise;
    // remote
    std::string host;               ///< as written (may be an ~/.ssh/config alias)
    SourcePos host_pos;
    std::vector<IdRef> hosts;       ///< fleet: one instance per host (IdRef.id holds the host)
    std::string user;
    std::optional<int> port;        ///< SSH port
    std::string ssh_key;            ///< agent's key, else deployment.ssh.key_file
    std::optional<EnvVar> password; ///< only from ${VAR}; always secret
    std::vector<FileSpec> files;
    std::optional<Millis> ssh_timeout;  ///< from deployment.ssh.timeout
    // container
    std::string image;
    std::string network;
    std::string container_name;
    std::vector<std::string> volumes;
    std::string publish;            ///< "ADDR:PORT" on the engine's host
    SourcePos publish_pos;
    // kubernetes
    std::string k8s_namespace = "default";
    std::string service_type;
};

/// One `agents[]` entry, fully resolved.
struct AgentSpec {
    std::string id;
    SourcePos pos;              ///< the `id:` value
    std::string type;
    std::string module;         ///< exactly one of module / command (localhost, remote)
    std::vector<std::string> command;  ///< argv; `$(VAR)` kept for expansion at launch
    std::vector<ConfigEntry> config;   ///< file order
    std::string config_json;    ///< the whole config map as JSON ("{}" when absent)
    std::optional<int> port;    ///< config.port
    SourcePos port_pos;
    ResourceSpec resources;
    std::vector<IdRef> depends_on;
    HealthSpec health;
    RestartSpec restart;
    StopSpec stop;
    DeploymentSpec deployment;
    Millis ready_timeout{0};    ///< deployment.timeout, else start_period + interval x retries
};

/// `topology.connections[]` (dag edges; on other types, address overrides of existing edges).
struct ConnectionSpec {
    IdRef from;
    std::vector<IdRef> to;      ///< `to` may be one id or a list
    std::string address;        ///< "host:port" or a URL; overrides the URL `from` is given
    SourcePos pos;
};

/// One `{parent, children}` entry of the tree form of hierarchical `levels`.
struct TreeLevel {
    IdRef parent;
    std::vector<IdRef> children;
};

/// `topology:`; only the fields of its type are filled.
struct TopologySpec {
    TopologyType type = TopologyType::none;
    SourcePos pos;                        ///< the `type:` value (or the section)
    IdRef hub;                            ///< hub-spoke
    std::vector<IdRef> spokes;            ///< hub-spoke
    std::vector<std::vector<IdRef>> stages;  ///< pipeline: an id or a list per stage
    std::vector<IdRef> agents;            ///< mesh
    IdRef root;                           ///< hierarchical
    std::vector<std::vector<IdRef>> levels;  ///< hierarchical, list form
    std::vector<TreeLevel> tree;          ///< hierarchical, {parent, children} form
    bool tree_form = false;
    std::vector<ConnectionSpec> connections;
};

/// `job:`.
struct JobMeta {
    std::string name;
    SourcePos name_pos;
    std::string version;
    std::string description;
    std::vector<std::string> tags;
};

/// Job-level `deployment:`.
struct JobDeployment {
    Strategy strategy = Strategy::staged;
    std::string strategy_text;           ///< as written ("top-down" is kept for display)
    std::optional<Millis> timeout;
    bool health_enabled = true;
    std::optional<std::string> ssh_key_file;
    Millis ssh_timeout{30000};
    bool allow_cross_host = true;
};

/// `execution:`.
struct ExecutionSpec {
    std::optional<IdRef> entry_point;  ///< null/absent: the hub, else the first agent
    bool auto_start = false;
};

/// A whole job file.
struct JobSpec {
    std::string file;        ///< the path as given
    std::string dir;         ///< its directory (for relative workdir, env_file, files)
    JobMeta job;
    std::vector<AgentSpec> agents;  ///< file order
    TopologySpec topology;
    JobDeployment deployment;
    ExecutionSpec execution;
    std::vector<EnvVar> environment;  ///< top-level `environment`, file order

    /// The agent with this id, or nullptr.
    const AgentSpec* find_agent(const std::string& id) const;
};

}  // namespace agentctl::spec
