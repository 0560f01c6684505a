#pragma once
// The live status of deployed jobs (DESIGN.md §6 `status`): each recorded instance observed now
// (identity-checked liveness plus one health probe), the job's status derived from them, and
// the table and JSON forms `status`, `deploy` and `list` print.

#include <optional>
#include <string>
#include <vector>

#include "state/state_store.hpp"

namespace agentctl::cli {

class Console;
class DeployContext;

/// One instance as `status` shows it.
struct AgentView {
    std::string id;
    std::string instance;
    std::string host;
    std::string target;
    std::string status;              ///< healthy|running|starting|unhealthy|exited|failed|stopped|missing|unknown
    std::optional<int> pid;          ///< the agent's pid while it runs
    std::string container;           ///< container id (empty: none)
    std::string url;
    int restarts = 0;
    std::optional<int> exit_status;
    std::string last_health;         ///< this observation's probe detail, else the recorded one
    std::optional<state::EventRecord> last_event;  ///< the instance's newest event
};

/// One job as `status` and `list` show it.
struct JobView {
    std::string name;
    std::string status;              ///< running|degraded|deploying|failed|stopped
    int revision = 0;
    std::string file;
    state::Clock::time_point updated_at{};
    std::vector<AgentView> agents;

    /// How many instances are healthy or running.
    std::size_t up() const;
};

/// True for the instance statuses that count as up: "healthy" and "running".
bool instance_is_up(const std::string& status);

/// The job status from what state records and what was observed: stopped (desired stopped and
/// nothing up), deploying (recorded deploying while the lock owner lives), failed (recorded
/// failed, nothing up, or a first deploy that died half-way), running (everything up),
/// degraded (otherwise, including a re-deploy that died half-way).
std::string derive_job_status(const state::JobRecord& job, const std::vector<std::string>& instance_statuses,
                              bool deploy_in_progress);

/// Where instance statuses come from: observed now (identity check + one health probe each), or
/// as recorded (right after a deploy, which has just proven them; no second round of probes).
enum class Observation { live, recorded };

/// Observes every instance of `job` (or reads what is recorded) and derives its status.
JobView observe_job(DeployContext& context, const state::JobRecord& job, Observation observation = Observation::live);

/// The `status -o json` document: {"jobs": [...]} as DESIGN.md §6 fixes it.
std::string status_json(const std::vector<JobView>& jobs);

/// The human form: per job a heading line and a table of its instances with their restarts,
/// last exit status and last event; `wide` adds PID and LAST HEALTH, and the event's message.
std::string render_status_table(const std::vector<JobView>& jobs, bool wide, const Console& console);

}  // namespace agentctl::cli
