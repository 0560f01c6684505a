#include "deploy/agent_deployer.hpp"

#include <chrono>
#include <cstdlib>
#include <map>
#include <set>

#include "deploy/change_set.hpp"
#include "deploy/instance_ops.hpp"
#include "deploy/launch_builder.hpp"
#include "deploy/observer.hpp"
#include "plan/plan_json.hpp"
#include "runners/health_probe.hpp"
#include "state/state_store.hpp"
#include "util/errors.hpp"

namespace agentctl::deploy {

AgentDeployer::AgentDeployer(state::StateStore& store, std::string state_dir, RunnerFactory runners,
                             runners::HealthProber& prober, Observer& observer, std::function<bool()> interrupted)
    : m_store(store),
      m_state_dir(std::move(state_dir)),
      m_runners(std::move(runners)),
      m_prober(prober),
      m_observer(observer),
      m_interrupted(std::move(interrupted)) {}

std::vector<plan::Change> AgentDeployer::changes(const plan::Plan& plan, bool force_recreate) {
    auto recorded = m_store.instances(plan.job);
    auto live = observe_instances(recorded, m_runners, m_prober);
    return agent_changes(plan, instance_changes(plan, recorded, live, force_recreate));
}

namespace {

std::string dir_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

std::optional<std::string> inherited_env(const std::string& name) {
    const char* value = std::getenv(name.c_str());
    if (!value) return std::nullopt;
    return std::string(value);
}

}  // namespace

// One deploy from start to finish: the steps of DESIGN.md §4/§5, each state write an intent
// before the action it names or a confirmation after it.
class DeployRun {
public:
    DeployRun(AgentDeployer& deployer, const plan::Plan& plan, const JobSource& source, const DeployOptions& options)
        : m_d(deployer), m_plan(plan), m_source(source), m_options(options),
          m_ops(deployer.m_store, deployer.m_runners, deployer.m_prober, deployer.m_observer, deployer.m_interrupted),
          m_plan_json(plan::plan_to_json(plan)) {}

    DeployResult run() {
        auto started_at = std::chrono::steady_clock::now();
        state::JobLock lock = m_d.m_store.lock_job(m_plan.job, "deploy", m_options.lock_wait);
        check_ownership();

        auto recorded = m_d.m_store.instances(m_plan.job);
        auto live = observe_instances(recorded, m_d.m_runners, m_d.m_prober);
        m_changes = instance_changes(m_plan, recorded, live, m_options.force_recreate);
        m_result.changes = agent_changes(m_plan, m_changes);
        if (!m_options.skip_preflight && !preflight()) return m_result;
        begin_revision();
        m_d.m_observer.begin("deploy", m_plan.job, m_revision);

        bool ok = false;
        try {
            ok = run_waves() && remove_departed();
        } catch (const std::exception& error) {
            // An I/O or runner error mid-deploy is a failure like any other: it is rolled back
            // and recorded, never left as a "deploying" job with a pending revision.
            if (m_failure.error.empty()) m_failure.error = error.what();
        }
        if (ok) {
            finish_success();
        } else {
            handle_failure();
        }
        auto took = std::chrono::duration_cast<util::Millis>(std::chrono::steady_clock::now() - started_at);
        m_d.m_observer.end(m_result.ok, summary(), took);
        return m_result;
    }

private:
    void check_ownership() {
        m_previous = m_d.m_store.job(m_plan.job);
        if (m_previous && m_previous->file != m_source.file && !m_options.force) {
            throw util::OperationError("job '" + m_plan.job + "' was deployed from " + m_previous->file +
                                       ", not " + m_source.file +
                                       "; use --name to deploy this file under another name, or --force to replace it");
        }
    }

    // DESIGN.md §2 "Preflight": every instance this deploy would start is checked where it would
    // run, before anything is recorded. An instance replaced while running holds its own port
    // until it is stopped, so its port is left out of the check.
    bool preflight() {
        LaunchPaths paths{m_d.m_state_dir, dir_of(m_source.file)};
        std::map<spec::Target, std::vector<runners::LaunchRequest>> by_target;
        for (const auto& change : m_changes) {
            if (change.action != plan::ChangeAction::create && change.action != plan::ChangeAction::replace) continue;
            const plan::PlannedAgent* agent = m_plan.find(change.agent);
            if (agent == nullptr) continue;
            for (const auto& instance : agent->instances) {
                if (instance.name != change.instance) continue;
                runners::LaunchRequest request = build_launch(m_plan, *agent, instance, paths, 0, inherited_env).request;
                if (change.recorded && change.was_alive) request.port.reset();
                by_target[request.target].push_back(std::move(request));
            }
        }
        for (auto& [target, requests] : by_target) {
            auto problems = m_d.m_runners(target).preflight(requests);
            m_result.preflight_problems.insert(m_result.preflight_problems.end(), problems.begin(), problems.end());
        }
        if (m_result.preflight_problems.empty()) return true;
        m_result.error = "preflight found " + std::to_string(m_result.preflight_problems.size()) + " problem" +
                         (m_result.preflight_problems.size() == 1 ? "" : "s");
        return false;
    }

    void begin_revision() {
        int last = m_previous ? m_previous->revision : 0;
        auto revisions = m_d.m_store.revisions(m_plan.job);
        for (const auto& revision : revisions) last = std::max(last, revision.revision);
        m_revision = last + 1;
        m_result.revision = m_revision;

        auto tx = m_d.m_store.begin();
        // A revision left pending by a crashed agentctl never finished: say so.
        for (const auto& revision : revisions) {
            if (revision.outcome == "pending") tx->finish_revision(m_plan.job, revision.revision, "interrupted");
        }
        state::RevisionRecord revision;
        revision.job = m_plan.job;
        revision.revision = m_revision;
        revision.file = m_source.file;
        revision.spec_text = m_source.spec_text;
        revision.plan_json = m_plan_json;
        revision.outcome = "pending";
        revision.started_at = state::Clock::now();
        tx->insert_revision(revision);
        state::JobRecord job = m_previous.value_or(state::JobRecord{});
        if (!m_previous) {
            job.name = m_plan.job;
            job.file = m_source.file;
            job.spec_text = m_source.spec_text;
            job.created_at = state::Clock::now();
        }
        job.desired = "running";
        job.status = "deploying";
        job.updated_at = state::Clock::now();
        tx->upsert_job(job);
        tx->add_event({0, {}, m_plan.job, "", "", "deploy-started", "revision " + std::to_string(m_revision)});
        tx->commit();
    }

    // Starts every wave in turn; false at the first failure or interruption.
    bool run_waves() {
        LaunchPaths paths{m_d.m_state_dir, dir_of(m_source.file)};
        std::map<std::string, const InstanceChange*> by_instance;
        for (const auto& change : m_changes) by_instance[change.instance] = &change;

        const auto& waves = m_plan.waves;
        for (std::size_t w = 0; w < waves.size(); ++w) {
            std::vector<Slot> slots;
            std::vector<std::string> names;
            for (const auto& id : waves[w]) {
                const plan::PlannedAgent* agent = m_plan.find(id);
                for (const auto& instance : agent->instances) {
                    const InstanceChange* change = by_instance.at(instance.name);
                    names.push_back(instance.name);
                    if (change->action == plan::ChangeAction::keep) {
                        m_d.m_observer.instance(instance.name, InstanceStep::keeping, "unchanged");
                        continue;
                    }
                    Slot slot;
                    slot.change = change;
                    slot.launch = build_launch(m_plan, *agent, instance, paths, m_revision, inherited_env);
                    if (m_options.timeout) slot.deadline = *m_options.timeout;
                    else slot.deadline = agent->spec.ready_timeout;
                    slots.push_back(std::move(slot));
                }
            }
            if (slots.empty()) continue;
            m_d.m_observer.wave(w, waves.size(), names);
            if (m_d.m_interrupted()) return interrupted();

            // Replaced instances stop first: the new one usually needs the same port.
            std::vector<state::InstanceRecord> old;
            for (auto& slot : slots) {
                if (slot.change->recorded && slot.change->was_alive) {
                    slot.old_stopped = true;
                    old.push_back(*slot.change->recorded);
                }
            }
            m_ops.stop_all(old, std::nullopt, false, "replacing");
            m_replaced.insert(m_replaced.end(), old.begin(), old.end());
            if (!m_ops.start_and_wait(slots, m_started)) {
                m_failure = m_ops.failure();
                note_unstarted(slots);
                return false;
            }
            if (m_d.m_interrupted()) return interrupted();
        }
        return true;
    }

    // Agents no longer in the file go last, latest stage first, one stage at a time.
    bool remove_departed() {
        std::map<int, std::vector<state::InstanceRecord>, std::greater<int>> by_stage;
        for (const auto& change : m_changes) {
            if (change.action == plan::ChangeAction::remove && change.recorded) {
                by_stage[change.recorded->stage].push_back(*change.recorded);
            }
        }
        for (const auto& [stage, records] : by_stage) {
            if (m_d.m_interrupted()) return interrupted();
            m_ops.stop_all(records, std::nullopt, false, "no longer in the job file");
            auto tx = m_d.m_store.begin();
            for (const auto& record : records) {
                tx->delete_instance(m_plan.job, record.instance);
                tx->add_event({0, {}, m_plan.job, record.agent, record.instance, "instance-removed", "no longer in the job file"});
            }
            tx->commit();
        }
        return true;
    }

    // Instances of the failed wave whose start itself failed are not in m_started, yet their rows
    // belong to this deploy, and a start that timed out may have left a shim behind.
    void note_unstarted(const std::vector<Slot>& slots) {
        std::set<std::string> started;
        for (const auto& instance : m_started) started.insert(instance.launch.request.instance);
        std::map<std::string, state::InstanceRecord> rows;
        for (auto& row : m_d.m_store.instances(m_plan.job)) rows[row.instance] = row;
        for (const auto& slot : slots) {
            const std::string& name = slot.launch.request.instance;
            if (started.count(name)) continue;
            auto row = rows.find(name);
            runners::InstanceHandle handle = row == rows.end() ? runners::InstanceHandle{} : handle_of(row->second);
            m_unstarted.push_back({slot.launch, handle});
        }
    }

    static bool has_process(const runners::InstanceHandle& handle) {
        return !handle.shim.empty() || !handle.agent.empty() || !handle.container_id.empty();
    }

    // After a rollback: rows this deploy created for instances that never ran are deleted, and an
    // instance that was recorded but down before this deploy gets its old row back (roll_back only
    // restores the ones that were running).
    void restore_rows(state::WriteTx& tx) {
        std::map<std::string, const InstanceChange*> changes;
        for (const auto& change : m_changes) changes[change.instance] = &change;
        std::set<std::string> touched;
        for (const auto& instance : m_started) touched.insert(instance.launch.request.instance);
        for (const auto& instance : m_unstarted) touched.insert(instance.launch.request.instance);
        for (const auto& name : touched) {
            const InstanceChange* change = changes.at(name);
            if (change->recorded && !change->was_alive) {
                tx.upsert_instance(*change->recorded);
            } else if (!change->recorded) {
                tx.delete_instance(m_plan.job, name);
            }
        }
    }

    bool interrupted() {
        m_failure.interrupted = true;
        m_failure.error = "interrupted";
        return false;
    }

    void finish_success() {
        auto tx = m_d.m_store.begin();
        tx->finish_revision(m_plan.job, m_revision, "succeeded");
        state::JobRecord job = *m_d.m_store.job(m_plan.job);
        job.file = m_source.file;
        job.spec_text = m_source.spec_text;
        job.revision = m_revision;
        job.desired = "running";
        job.status = "running";
        job.updated_at = state::Clock::now();
        tx->upsert_job(job);
        tx->add_event({0, {}, m_plan.job, "", "", "deploy-succeeded", "revision " + std::to_string(m_revision)});
        tx->commit();
        m_result.ok = true;
    }

    void handle_failure() {
        m_result.ok = false;
        m_result.interrupted = m_failure.interrupted;
        m_result.failed_instance = m_failure.instance;
        m_result.error = m_failure.error;
        m_result.log_tail = m_failure.log_tail;
        if (!m_failure.instance.empty()) {
            m_d.m_observer.note("agent " + m_failure.instance + " failed: " + m_failure.error);
            if (!m_failure.log_tail.empty()) m_d.m_observer.note("last lines of its log:\n" + m_failure.log_tail);
        }
        bool rollback = m_options.on_failure == OnFailure::rollback || m_failure.interrupted;
        std::string outcome = m_failure.interrupted ? "interrupted" : "failed";
        bool restored_all = true;
        if (rollback) {
            m_d.m_observer.begin("rollback", m_plan.job, m_revision);
            std::vector<StartedInstance> undo = m_started;
            for (const auto& instance : m_unstarted) {
                if (has_process(instance.handle)) undo.push_back(instance);
            }
            restored_all = m_ops.roll_back(undo, m_replaced);
            m_result.rolled_back = true;
            if (!m_failure.interrupted) outcome = "rolled-back";
        }
        auto tx = m_d.m_store.begin();
        if (rollback) restore_rows(*tx);
        tx->finish_revision(m_plan.job, m_revision, outcome);
        state::JobRecord job = *m_d.m_store.job(m_plan.job);
        bool had_revision = m_previous && m_previous->revision > 0;
        if (rollback && had_revision) {
            job.status = restored_all ? "running" : "degraded";
        } else {
            job.status = "failed";
        }
        job.updated_at = state::Clock::now();
        tx->upsert_job(job);
        tx->add_event({0, {}, m_plan.job, "", m_failure.instance, "deploy-" + outcome, m_failure.error});
        tx->commit();
        if (rollback) release_runners();
    }

    // After a rollback, what the runners made for the job (a Docker network) goes if nothing of
    // the job is left to use it; each runner checks that itself.
    void release_runners() {
        std::set<spec::Target> targets;
        for (const auto& agent : m_plan.agents) targets.insert(agent.spec.deployment.target);
        for (spec::Target target : targets) {
            try {
                m_d.m_runners(target).release_job(m_plan.job);
            } catch (const std::exception& error) {
                m_d.m_observer.note("could not release what the runner made for " + m_plan.job + ": " + error.what());
            }
        }
    }

    std::string summary() const {
        if (m_result.ok) return "Deployed " + m_plan.job + " (revision " + std::to_string(m_revision) + ")";
        if (m_result.interrupted) return "Interrupted deploy of " + m_plan.job + (m_result.rolled_back ? "; rolled back" : "");
        return "Deploy of " + m_plan.job + " failed" + (m_result.rolled_back ? "; rolled back" : "");
    }

    AgentDeployer& m_d;
    const plan::Plan& m_plan;
    const JobSource& m_source;
    const DeployOptions& m_options;
    InstanceOps m_ops;
    std::optional<state::JobRecord> m_previous;
    std::vector<InstanceChange> m_changes;
    std::vector<StartedInstance> m_started;           ///< started by this deploy, in start order
    std::vector<state::InstanceRecord> m_replaced;   ///< stopped by this deploy to be replaced
    std::vector<StartedInstance> m_unstarted;         ///< whose start failed (handle: what is known)
    std::string m_plan_json;
    int m_revision = 0;
    Failure m_failure;
    DeployResult m_result;
};

DeployResult AgentDeployer::deploy(const plan::Plan& plan, const JobSource& source, const DeployOptions& options) {
    DeployRun run(*this, plan, source, options);
    return run.run();
}

}  // namespace agentctl::deploy
