// The deployer's logic against a scriptable fake runner, a real StateStore and a real prober:
// waves, idempotent re-deploys, rollback, interruption, ownership, locks, stop and restart.

#include "support/plan_fixture.hpp"
#include "deploy/agent_deployer.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "runners/launch_record.hpp"
#include "deploy/observer.hpp"
#include "plan/topology_resolver.hpp"
#include "runners/health_probe.hpp"
#include "spec/job_loader.hpp"
#include "state/state_dir.hpp"
#include "state/state_store.hpp"
#include "state/state_test_support.hpp"
#include "support/fake_runner.hpp"
#include "support/http_listener.hpp"
#include "util/errors.hpp"

using agentctl::deploy::AgentDeployer;
using agentctl::deploy::DeployOptions;
using agentctl::deploy::DeployResult;
using agentctl::deploy::InstanceStep;
using agentctl::deploy::JobSource;
using agentctl::deploy::Observer;
using agentctl::deploy::OnFailure;
using agentctl::deploy::StopRequest;
using agentctl::deploy::StopResult;
using agentctl::plan::ChangeAction;
using agentctl::state::testing::TempDir;
using agentctl::test::FakeScript;
using Millis = std::chrono::milliseconds;
namespace deploy = agentctl::deploy;
namespace plan = agentctl::plan;
namespace runners = agentctl::runners;
namespace spec = agentctl::spec;
namespace state = agentctl::state;
namespace util = agentctl::util;

namespace {

using agentctl::test::describe;
using agentctl::test::plan_of;

using Names = std::vector<std::string>;
using Action = std::pair<std::string, std::string>;  // (verb, instance)
using Actions = std::vector<Action>;

// ingest -> [parse-a, parse-b] -> report; readiness = alive, so the fake decides everything.
const char* const k_job = R"yaml(
job:
  name: pipe
defaults:
  health: {none: true, start_period: 0s}
agents:
  - id: ingest
    command: ["./ingest", "--port", "$(AGENT_PORT)"]
    config: {port: 9101}
  - id: parse-a
    command: ["./parse", "a"]
    config: {port: 9102}
    deployment: {environment: {MODE: fast}}
  - id: parse-b
    command: ["./parse", "b"]
    config: {port: 9103}
  - id: report
    command: ["./report"]
    config: {port: 9104}
    stop: {signal: SIGINT, timeout: 2s}
topology:
  type: pipeline
  stages: [ingest, [parse-a, parse-b], report]
)yaml";

// `text` with its one occurrence of `from` replaced by `to`.
std::string edited(std::string text, const std::string& from, const std::string& to) {
    auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    REQUIRE(text.find(from, at + 1) == std::string::npos);
    return text.replace(at, from.size(), to);
}

// k_job with parse-a's command and environment changed.
std::string with_parse_a_changed() {
    return edited(edited(k_job, R"(["./parse", "a"])", R"(["./parse", "a2"])"), "MODE: fast", "MODE: slow");
}

// k_job plus an agent outside the topology (first stage).
std::string with_side_agent(std::string text) {
    return edited(std::move(text), "topology:", "  - id: side\n    command: [\"./side\"]\n    config: {port: 9105}\ntopology:");
}

// k_job plus an agent that starts after report (depends_on only: nobody's environment changes).
std::string with_late_agent(std::string text) {
    return edited(std::move(text), "topology:",
                  "  - id: late\n    command: [\"./late\"]\n    config: {port: 9106}\n    depends_on: [report]\ntopology:");
}


// The fake runner, also remembering which instances each start() call received together.
class BatchRunner : public agentctl::test::FakeRunner {
public:
    std::vector<runners::StartOutcome> start(const std::vector<runners::LaunchRequest>& requests) override {
        Names batch;
        for (const auto& request : requests) batch.push_back(request.instance);
        m_batches.push_back(batch);
        auto outcomes = FakeRunner::start(requests);
        // A start that timed out may leave a shim behind whose pid the runner reports.
        for (auto& outcome : outcomes) {
            if (outcome.timed_out) outcome.handle.shim = util::ProcessRef{k_stray_shim, k_stray_shim};
        }
        return outcomes;
    }
    runners::StopOutcome stop(const runners::InstanceHandle& handle, const runners::StopOptions& options) override {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_stopped_shims.push_back(handle.shim.pid);
        }
        return FakeRunner::stop(handle, options);
    }
    std::vector<Names> batches() const { return m_batches; }
    std::vector<int> stopped_shims() const {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_stopped_shims;
    }

    static constexpr int k_stray_shim = 777777;

private:
    std::vector<Names> m_batches;  // start() is only called from the deployer's thread
    mutable std::mutex m_mutex;    // stop() is called from several threads at once
    std::vector<int> m_stopped_shims;
};

// Plain progress into a stream, plus hooks the tests use to act at a precise moment.
class HookObserver final : public Observer {
public:
    explicit HookObserver(std::ostream& out) : m_plain(deploy::make_observer(deploy::ProgressStyle::plain, out, false)) {}
    std::function<void(std::size_t)> on_wave;

    void begin(const std::string& action, const std::string& job, int revision) override {
        m_plain->begin(action, job, revision);
    }
    void wave(std::size_t index, std::size_t count, const std::vector<std::string>& instances) override {
        m_plain->wave(index, count, instances);
        if (on_wave) on_wave(index);
    }
    void instance(const std::string& instance, InstanceStep step, const std::string& detail) override {
        m_plain->instance(instance, step, detail);
    }
    void note(const std::string& text) override { m_plain->note(text); }
    void end(bool ok, const std::string& summary, util::Millis took) override { m_plain->end(ok, summary, took); }

private:
    std::unique_ptr<Observer> m_plain;
};

class Harness {
public:
    Harness() : m_state_dir(m_dir.path() + "/state"), m_file(m_dir.path() + "/pipe.yaml") {
        state::ensure_state_dir(m_state_dir);
        store = state::StateStore::open(m_state_dir);
        deployer = std::make_unique<AgentDeployer>(
            *store, m_state_dir, [this](spec::Target) -> runners::Runner& { return fake; }, prober, observer,
            [this] { return interrupt.load(); });
    }

    const std::string& state_dir() const { return m_state_dir; }
    const std::string& file() const { return m_file; }

    DeployResult deploy(const std::string& yaml, const DeployOptions& options = {}) { return deploy_from(m_file, yaml, options); }

    DeployResult deploy_from(const std::string& path, const std::string& yaml, const DeployOptions& options = {}) {
        plan::Plan plan = plan_of(yaml, path);
        return deployer->deploy(plan, JobSource{path, yaml}, options);
    }

    std::map<std::string, state::InstanceRecord> rows() {
        std::map<std::string, state::InstanceRecord> out;
        for (auto& record : store->instances("pipe")) out[record.instance] = record;
        return out;
    }

    Names row_names() {
        Names out;
        for (const auto& record : store->instances("pipe")) out.push_back(record.instance);
        return out;
    }

    Names outcomes() {
        Names out;
        for (const auto& revision : store->revisions("pipe")) out.push_back(revision.outcome);
        return out;
    }

    Names event_kinds() {
        Names out;
        for (const auto& event : store->events("pipe", 0, 1000)) out.push_back(event.kind);
        return out;
    }

    // The starts and stops the fake saw from call `first` on, in order.
    Actions actions(std::size_t first = 0) {
        Actions out;
        auto calls = fake.calls();
        for (std::size_t i = first; i < calls.size(); ++i) {
            if (calls[i].verb == "start" || calls[i].verb == "stop") out.emplace_back(calls[i].verb, calls[i].instance);
        }
        return out;
    }

    std::size_t call_count() const { return fake.calls().size(); }

    // The start requests the fake got for `instance`, in order.
    std::vector<runners::LaunchRequest> starts_of(const std::string& instance) const {
        std::vector<runners::LaunchRequest> out;
        for (const auto& call : fake.calls()) {
            if (call.verb == "start" && call.instance == instance) out.push_back(call.request);
        }
        return out;
    }

    std::vector<runners::StopOptions> stops_of(const std::string& instance) const {
        std::vector<runners::StopOptions> out;
        for (const auto& call : fake.calls()) {
            if (call.verb == "stop" && call.instance == instance) out.push_back(call.stop);
        }
        return out;
    }

    std::string progress() const { return m_progress.str(); }

private:
    TempDir m_dir;
    std::string m_state_dir;
    std::string m_file;
    std::ostringstream m_progress;

public:
    std::unique_ptr<state::StateStore> store;
    BatchRunner fake;
    runners::HealthProber prober;
    HookObserver observer{m_progress};
    std::atomic<bool> interrupt{false};
    std::unique_ptr<AgentDeployer> deployer;
};

// Stops of one step run side by side, in any order: `actual` cut into chunks the sizes of
// `groups`, each chunk sorted, beside `groups` flattened with each group sorted.
std::pair<Actions, Actions> grouped(const Actions& actual, std::vector<Actions> groups) {
    Actions cut;
    Actions expected;
    std::size_t at = 0;
    for (auto& group : groups) {
        Actions chunk;
        for (std::size_t i = 0; i < group.size() && at < actual.size(); ++i) chunk.push_back(actual[at++]);
        std::sort(chunk.begin(), chunk.end());
        std::sort(group.begin(), group.end());
        cut.insert(cut.end(), chunk.begin(), chunk.end());
        expected.insert(expected.end(), group.begin(), group.end());
    }
    cut.insert(cut.end(), actual.begin() + static_cast<long>(at), actual.end());
    return {cut, expected};
}

std::string env_value(const runners::LaunchRequest& request, const std::string& name) {
    for (const auto& var : request.environment) {
        if (var.name == name) return var.value;
    }
    return "<unset>";
}


}  // namespace

TEST_CASE("a first deploy starts wave by wave and records everything", "[deployer]") {
    Harness h;
    DeployResult result = h.deploy(k_job);

    CHECK(result.ok);
    CHECK(result.revision == 1);
    CHECK_FALSE(result.rolled_back);
    CHECK(result.failed_instance.empty());
    CHECK(describe(result.changes) == "ingest=create parse-a=create parse-b=create report=create ");
    CHECK(h.fake.batches() == std::vector<Names>{{"ingest"}, {"parse-a", "parse-b"}, {"report"}});
    CHECK(h.actions() == Actions{{"start", "ingest"}, {"start", "parse-a"}, {"start", "parse-b"}, {"start", "report"}});

    auto job = h.store->job("pipe");
    REQUIRE(job);
    CHECK(job->status == "running");
    CHECK(job->desired == "running");
    CHECK(job->revision == 1);
    CHECK(job->file == h.file());
    CHECK(h.outcomes() == Names{"succeeded"});
    auto revision = h.store->revision("pipe", 1);
    REQUIRE(revision);
    CHECK(revision->file == h.file());
    CHECK(revision->finished_at.has_value());

    auto rows = h.rows();
    CHECK(h.row_names() == Names{"ingest", "parse-a", "parse-b", "report"});
    const std::map<std::string, int> pids{{"ingest", 100000}, {"parse-a", 100002}, {"parse-b", 100004}, {"report", 100006}};
    const std::map<std::string, int> stages{{"ingest", 0}, {"parse-a", 1}, {"parse-b", 1}, {"report", 2}};
    for (const auto& [name, pid] : pids) {
        INFO(name);
        const auto& row = rows.at(name);
        CHECK(row.status == "running");
        CHECK(row.agent_process.pid == pid);
        CHECK(row.shim.pid == pid + 1);
        CHECK(row.revision == 1);
        CHECK(row.stage == stages.at(name));
        CHECK(row.target == "localhost");
        CHECK(row.run_dir == h.state_dir() + "/run/pipe/" + name + "/r1");
        CHECK(row.log_path == h.state_dir() + "/logs/pipe/" + name + ".log");
        CHECK(row.last_health == "running");
    }
    CHECK(rows.at("report").url == "http://127.0.0.1:9104");

    // What was launched, and the launch record a later stop/restart reads.
    auto ingest = h.starts_of("ingest");
    REQUIRE(ingest.size() == 1);
    CHECK(ingest[0].argv == Names{"./ingest", "--port", "9101"});
    CHECK(ingest[0].workdir == h.file().substr(0, h.file().rfind('/')));
    CHECK(env_value(ingest[0], "JOB_ID") == "job-20260101000000");
    CHECK(env_value(h.starts_of("parse-a").at(0), "MODE") == "fast");
    auto launch = runners::read_launch_record(rows.at("report").run_dir);
    REQUIRE(launch);
    CHECK(launch->request.argv == Names{"./report"});
    CHECK(launch->request.stop.signal == "SIGINT");
    CHECK(launch->revision == 1);

    CHECK(h.event_kinds() == Names{"deploy-started",    "instance-starting", "instance-started", "instance-ready",
                                   "instance-starting", "instance-starting", "instance-started", "instance-started",
                                   "instance-ready",    "instance-ready",    "instance-starting", "instance-started",
                                   "instance-ready",    "deploy-succeeded"});
    CHECK_FALSE(h.store->lock_owner("pipe"));
    CHECK(h.progress().find("Stage 2/3: parse-a, parse-b\n") != std::string::npos);
    CHECK(h.progress().find("Deployed pipe (revision 1) in ") != std::string::npos);
}

TEST_CASE("an http-checked agent is recorded healthy", "[deployer]") {
    agentctl::test::HttpListener listener([](const std::string& path) { return path == "/ready" ? 200 : 404; });
    const std::string port = std::to_string(listener.port());
    Harness h;
    const std::string yaml = "job:\n  name: pipe\nagents:\n  - id: web\n    command: [\"./web\"]\n    config: {port: " +
                             port + "}\n    health: {http: /ready, interval: 1s}\n";
    DeployResult result = h.deploy(yaml);
    CHECK(result.ok);
    auto rows = h.rows();
    REQUIRE(rows.count("web"));
    CHECK(rows.at("web").status == "healthy");
    CHECK(rows.at("web").last_health == "HTTP 200");
    CHECK(listener.requests() >= 1);
}

TEST_CASE("the sequential strategy starts one instance per call, in start order", "[deployer]") {
    Harness h;
    DeployResult result = h.deploy(edited(k_job, "defaults:", "deployment: {strategy: sequential}\ndefaults:"));
    CHECK(result.ok);
    CHECK(h.fake.batches() == std::vector<Names>{{"ingest"}, {"parse-a"}, {"parse-b"}, {"report"}});
    CHECK(h.progress().find("Stage 4/4: report\n") != std::string::npos);
}

TEST_CASE("an unchanged re-deploy starts and stops nothing", "[deployer]") {
    Harness h;
    REQUIRE(h.deploy(k_job).ok);
    const std::size_t before = h.call_count();

    DeployResult again = h.deploy(k_job);
    CHECK(again.ok);
    CHECK(again.revision == 2);
    CHECK(describe(again.changes) == "ingest=keep parse-a=keep parse-b=keep report=keep ");
    CHECK(h.actions(before).empty());
    CHECK(h.fake.batches().size() == 3);
    CHECK(h.rows().at("parse-b").agent_process.pid == 100004);
    CHECK(h.rows().at("parse-b").revision == 1);
    CHECK(h.store->job("pipe")->revision == 2);
    CHECK(h.outcomes() == Names{"succeeded", "succeeded"});
    CHECK(h.progress().find("  parse-b keeping: unchanged\n") != std::string::npos);

    SECTION("the plan diff says the same") {
        plan::Plan plan = plan_of(k_job, h.file());
        CHECK(describe(h.deployer->changes(plan, false)) == "ingest=keep parse-a=keep parse-b=keep report=keep ");
        CHECK(describe(h.deployer->changes(plan, true)) ==
              "ingest=replace(--force-recreate) parse-a=replace(--force-recreate) parse-b=replace(--force-recreate) "
              "report=replace(--force-recreate) ");
    }
}

TEST_CASE("a crashed agent is replaced by the next deploy", "[deployer]") {
    Harness h;
    REQUIRE(h.deploy(k_job).ok);
    h.fake.crash("parse-b", 2);
    const std::size_t before = h.call_count();

    DeployResult again = h.deploy(k_job);
    CHECK(again.ok);
    CHECK(describe(again.changes) == "ingest=keep parse-a=keep parse-b=replace(exited) report=keep ");
    // Nothing to stop: it is not running.
    CHECK(h.actions(before) == Actions{{"start", "parse-b"}});
    CHECK(h.rows().at("parse-b").status == "running");
    CHECK(h.rows().at("parse-b").revision == 2);
}

TEST_CASE("a changed agent alone is stopped, then started", "[deployer]") {
    Harness h;
    REQUIRE(h.deploy(k_job).ok);
    const std::size_t before = h.call_count();

    DeployResult again = h.deploy(with_parse_a_changed());
    CHECK(again.ok);
    CHECK(describe(again.changes) == "ingest=keep parse-a=replace(spec changed) parse-b=keep report=keep ");
    CHECK(h.actions(before) == Actions{{"stop", "parse-a"}, {"start", "parse-a"}});
    auto stops = h.stops_of("parse-a");
    REQUIRE(stops.size() == 1);
    CHECK(stops[0].signal == "SIGTERM");
    CHECK(stops[0].timeout == Millis(10000));
    CHECK_FALSE(stops[0].force);

    auto rows = h.rows();
    CHECK(rows.at("parse-a").agent_process.pid == 100008);
    CHECK(rows.at("parse-a").revision == 2);
    CHECK(rows.at("parse-a").run_dir == h.state_dir() + "/run/pipe/parse-a/r2");
    CHECK(rows.at("ingest").agent_process.pid == 100000);
    CHECK(rows.at("report").revision == 1);
    CHECK(h.starts_of("parse-a").back().argv == Names{"./parse", "a2"});
    CHECK(env_value(h.starts_of("parse-a").back(), "MODE") == "slow");
}

TEST_CASE("an agent removed from the file is stopped last and its row deleted", "[deployer]") {
    Harness h;
    REQUIRE(h.deploy(with_side_agent(k_job)).ok);
    CHECK(h.fake.batches().at(0) == Names{"ingest", "side"});
    const std::size_t before = h.call_count();

    DeployResult again = h.deploy(with_parse_a_changed());
    CHECK(again.ok);
    CHECK(describe(again.changes) ==
          "ingest=keep parse-a=replace(spec changed) parse-b=keep report=keep side=remove(no longer in the job file) ");
    CHECK(h.actions(before) == Actions{{"stop", "parse-a"}, {"start", "parse-a"}, {"stop", "side"}});
    CHECK(h.row_names() == Names{"ingest", "parse-a", "parse-b", "report"});
    CHECK_FALSE(h.fake.running("side"));
    auto kinds = h.event_kinds();
    CHECK(std::count(kinds.begin(), kinds.end(), "instance-removed") == 1);
}

TEST_CASE("a deploy with --force-recreate replaces everything, wave by wave", "[deployer]") {
    Harness h;
    REQUIRE(h.deploy(k_job).ok);
    const std::size_t before = h.call_count();

    DeployOptions options;
    options.force_recreate = true;
    DeployResult again = h.deploy(k_job, options);
    CHECK(again.ok);
    CHECK(describe(again.changes) ==
          "ingest=replace(--force-recreate) parse-a=replace(--force-recreate) parse-b=replace(--force-recreate) "
          "report=replace(--force-recreate) ");
    auto steps = grouped(h.actions(before), {{{"stop", "ingest"}},
                                             {{"start", "ingest"}},
                                             {{"stop", "parse-a"}, {"stop", "parse-b"}},
                                             {{"start", "parse-a"}},
                                             {{"start", "parse-b"}},
                                             {{"stop", "report"}},
                                             {{"start", "report"}}});
    CHECK(steps.first == steps.second);
    for (const auto& [name, row] : h.rows()) {
        INFO(name);
        CHECK(row.revision == 2);
        CHECK(row.status == "running");
    }
}

TEST_CASE("a start failure in wave 2 of a first deploy rolls everything back", "[deployer]") {
    Harness h;
    FakeScript refuses;
    refuses.start_fails = true;
    refuses.start_error = "port 9103 is already in use";
    h.fake.script("parse-b", refuses);

    DeployResult result = h.deploy(k_job);
    CHECK_FALSE(result.ok);
    CHECK_FALSE(result.interrupted);
    CHECK(result.rolled_back);
    CHECK(result.failed_instance == "parse-b");
    CHECK(result.error == "port 9103 is already in use");
    auto steps = grouped(h.actions(), {{{"start", "ingest"}},
                                       {{"start", "parse-a"}},
                                       {{"start", "parse-b"}},
                                       {{"stop", "parse-a"}, {"stop", "ingest"}}});
    CHECK(steps.first == steps.second);
    CHECK(h.fake.batches() == std::vector<Names>{{"ingest"}, {"parse-a", "parse-b"}});
    CHECK_FALSE(h.fake.running("ingest"));
    CHECK_FALSE(h.fake.running("parse-a"));

    // Back to nothing: no row of this deploy is left, not even the one that never started.
    CHECK(h.row_names().empty());
    auto job = h.store->job("pipe");
    REQUIRE(job);
    CHECK(job->status == "failed");
    CHECK(job->revision == 0);
    CHECK(h.outcomes() == Names{"rolled-back"});
    auto events = h.store->events("pipe", 0, 1000);
    REQUIRE_FALSE(events.empty());
    CHECK(events.back().kind == "deploy-rolled-back");
    CHECK(events.back().instance == "parse-b");
    CHECK(events.back().message == "port 9103 is already in use");
    CHECK(h.progress().find("agent parse-b failed: port 9103 is already in use\n") != std::string::npos);
    CHECK(h.progress().find("Deploy of pipe failed; rolled back in ") != std::string::npos);

    SECTION("the next deploy starts from scratch") {
        h.fake.script("parse-b", FakeScript{});
        DeployResult again = h.deploy(k_job);
        CHECK(again.ok);
        CHECK(again.revision == 2);
        CHECK(describe(again.changes) == "ingest=create parse-a=create parse-b=create report=create ");
    }
}

TEST_CASE("an agent that exits during its start fails the deploy with its exit status and log tail", "[deployer]") {
    Harness h;
    FakeScript dies;
    dies.exits_after_inspections = 0;
    dies.exit_status = 3;
    dies.log_lines = {"starting", "fatal: no config"};
    h.fake.script("parse-b", dies);

    DeployResult result = h.deploy(k_job);
    CHECK_FALSE(result.ok);
    CHECK(result.failed_instance == "parse-b");
    CHECK(result.error == "exited with status 3");
    CHECK(result.log_tail == "  | starting\n  | fatal: no config\n");
    CHECK(result.rolled_back);
    auto steps = grouped(h.actions(), {{{"start", "ingest"}},
                                       {{"start", "parse-a"}},
                                       {{"start", "parse-b"}},
                                       {{"stop", "parse-b"}, {"stop", "parse-a"}, {"stop", "ingest"}}});
    CHECK(steps.first == steps.second);
    CHECK(h.row_names().empty());
    CHECK(h.progress().find("last lines of its log:\n  | starting\n  | fatal: no config\n") != std::string::npos);
}

TEST_CASE("a failed re-deploy restores the previous revision", "[deployer]") {
    Harness h;
    REQUIRE(h.deploy(k_job).ok);
    FakeScript refuses;
    refuses.start_fails = true;
    refuses.start_error = "no such file: ./late";
    h.fake.script("late", refuses);
    const std::size_t before = h.call_count();

    DeployResult result = h.deploy(with_late_agent(with_parse_a_changed()));
    CHECK_FALSE(result.ok);
    CHECK(result.revision == 2);
    CHECK(result.rolled_back);
    CHECK(result.failed_instance == "late");
    CHECK(h.actions(before) == Actions{{"stop", "parse-a"}, {"start", "parse-a"}, {"start", "late"},
                                       {"stop", "parse-a"}, {"start", "parse-a"}});

    // The restored parse-a runs from its revision-1 launch record: the old argv and environment.
    auto starts = h.starts_of("parse-a");
    REQUIRE(starts.size() == 3);
    CHECK(starts[1].argv == Names{"./parse", "a2"});
    CHECK(env_value(starts[1], "MODE") == "slow");
    CHECK(starts[2].argv == Names{"./parse", "a"});
    CHECK(env_value(starts[2], "MODE") == "fast");
    CHECK(starts[2].run_dir == h.state_dir() + "/run/pipe/parse-a/r1");

    auto rows = h.rows();
    CHECK(h.row_names() == Names{"ingest", "parse-a", "parse-b", "report"});
    CHECK(rows.at("parse-a").revision == 1);
    CHECK(rows.at("parse-a").status == "running");
    CHECK(rows.at("parse-a").agent_process.pid == 100010);
    CHECK(rows.at("parse-a").spec_hash == plan_of(k_job, h.file()).find("parse-a")->spec_hash);
    CHECK(rows.at("ingest").agent_process.pid == 100000);
    CHECK(h.fake.running("parse-a"));

    auto job = h.store->job("pipe");
    REQUIRE(job);
    CHECK(job->status == "running");
    CHECK(job->revision == 1);
    CHECK(h.outcomes() == Names{"succeeded", "rolled-back"});

    SECTION("and a re-deploy of the old file then keeps everything") {
        const std::size_t after = h.call_count();
        DeployResult again = h.deploy(k_job);
        CHECK(again.ok);
        CHECK(describe(again.changes) == "ingest=keep parse-a=keep parse-b=keep report=keep ");
        CHECK(h.actions(after).empty());
    }
}

TEST_CASE("a failed re-deploy puts back the row of an agent that was already down", "[deployer]") {
    Harness h;
    REQUIRE(h.deploy(k_job).ok);
    h.fake.crash("parse-b", 2);
    FakeScript refuses;
    refuses.start_fails = true;
    h.fake.script("late", refuses);
    const std::size_t before = h.call_count();

    DeployResult result = h.deploy(with_late_agent(k_job));
    CHECK_FALSE(result.ok);
    CHECK(describe(result.changes) == "ingest=keep parse-a=keep parse-b=replace(exited) report=keep late=create ");
    CHECK(h.actions(before) == Actions{{"start", "parse-b"}, {"start", "late"}, {"stop", "parse-b"}});
    CHECK_FALSE(h.fake.running("parse-b"));
    auto rows = h.rows();
    CHECK(h.row_names() == Names{"ingest", "parse-a", "parse-b", "report"});
    CHECK(rows.at("parse-b").revision == 1);
    CHECK(rows.at("parse-b").agent_process.pid == 100004);
    CHECK(rows.at("parse-b").run_dir == h.state_dir() + "/run/pipe/parse-b/r1");
    CHECK(h.store->job("pipe")->status == "running");
}

TEST_CASE("a start that timed out is stopped by the rollback", "[deployer]") {
    Harness h;
    FakeScript hangs;
    hangs.start_times_out = true;
    h.fake.script("parse-b", hangs);

    DeployResult result = h.deploy(k_job);
    CHECK_FALSE(result.ok);
    CHECK(result.failed_instance == "parse-b");
    CHECK(result.error == "start timed out: scripted start timeout");
    auto shims = h.fake.stopped_shims();
    std::sort(shims.begin(), shims.end());
    CHECK(shims == std::vector<int>{100001, 100003, BatchRunner::k_stray_shim});
    CHECK(h.row_names().empty());
}

TEST_CASE("a failed deploy with --on-failure keep leaves everything as it is", "[deployer]") {
    Harness h;
    FakeScript refuses;
    refuses.start_fails = true;
    h.fake.script("parse-b", refuses);

    DeployOptions options;
    options.on_failure = OnFailure::keep;
    DeployResult result = h.deploy(k_job, options);
    CHECK_FALSE(result.ok);
    CHECK_FALSE(result.rolled_back);
    CHECK(result.failed_instance == "parse-b");
    CHECK(result.error == "scripted start failure");
    CHECK(h.actions() == Actions{{"start", "ingest"}, {"start", "parse-a"}, {"start", "parse-b"}});
    CHECK(h.fake.running("ingest"));
    CHECK(h.fake.running("parse-a"));

    auto rows = h.rows();
    CHECK(h.row_names() == Names{"ingest", "parse-a", "parse-b"});
    CHECK(rows.at("ingest").status == "running");
    CHECK(rows.at("parse-b").status == "failed");
    CHECK(rows.at("parse-b").last_error == "scripted start failure");
    CHECK(h.store->job("pipe")->status == "failed");
    CHECK(h.outcomes() == Names{"failed"});
}

TEST_CASE("an interruption before wave 2 rolls back and says so", "[deployer]") {
    Harness h;
    h.observer.on_wave = [&h](std::size_t index) {
        if (index == 1) h.interrupt = true;
    };
    DeployResult result = h.deploy(k_job);
    CHECK_FALSE(result.ok);
    CHECK(result.interrupted);
    CHECK(result.rolled_back);
    CHECK(result.error == "interrupted");
    CHECK(h.fake.batches() == std::vector<Names>{{"ingest"}});
    CHECK(h.actions() == Actions{{"start", "ingest"}, {"stop", "ingest"}});
    CHECK(h.row_names().empty());
    CHECK(h.store->job("pipe")->status == "failed");
    CHECK(h.outcomes() == Names{"interrupted"});
    CHECK(h.progress().find("Interrupted deploy of pipe; rolled back in ") != std::string::npos);
}

TEST_CASE("a job deployed from another file is refused unless forced", "[deployer]") {
    Harness h;
    REQUIRE(h.deploy(k_job).ok);
    const std::string other = h.file() + ".copy.yaml";
    const std::size_t before = h.call_count();

    CHECK_THROWS_AS(h.deploy_from(other, k_job), util::OperationError);
    CHECK_THROWS_WITH(h.deploy_from(other, k_job),
                      "job 'pipe' was deployed from " + h.file() + ", not " + other +
                          "; use --name to deploy this file under another name, or --force to replace it");
    CHECK(h.actions(before).empty());
    CHECK(h.outcomes() == Names{"succeeded"});
    CHECK_FALSE(h.store->lock_owner("pipe"));

    DeployOptions options;
    options.force = true;
    DeployResult forced = h.deploy_from(other, k_job, options);
    CHECK(forced.ok);
    CHECK(h.store->job("pipe")->file == other);
}

TEST_CASE("a held job lock refuses the deploy", "[deployer]") {
    Harness h;
    {
        auto lock = h.store->lock_job("pipe", "deploy", Millis(0));
        CHECK_THROWS_AS(h.deploy(k_job), state::LockedError);
        CHECK(h.fake.calls().empty());
        CHECK_FALSE(h.store->job("pipe"));
    }
    CHECK(h.deploy(k_job).ok);
}

TEST_CASE("stop goes in reverse stage order with each agent's stop settings", "[deployer]") {
    Harness h;
    REQUIRE(h.deploy(k_job).ok);
    const std::size_t before = h.call_count();

    StopRequest request;
    request.job = "pipe";
    StopResult result = h.deployer->stop(request);
    CHECK(result.ok);
    CHECK(result.stopped == Names{"report", "parse-a", "parse-b", "ingest"});
    CHECK(result.refused.empty());
    CHECK(result.errors.empty());
    auto steps = grouped(h.actions(before), {{{"stop", "report"}},
                                             {{"stop", "parse-a"}, {"stop", "parse-b"}},
                                             {{"stop", "ingest"}}});
    CHECK(steps.first == steps.second);
    auto report = h.stops_of("report");
    REQUIRE(report.size() == 1);
    CHECK(report[0].signal == "SIGINT");
    CHECK(report[0].timeout == Millis(2000));

    for (const auto& [name, row] : h.rows()) {
        INFO(name);
        CHECK(row.status == "stopped");
        CHECK(row.exit_status == 143);
    }
    auto job = h.store->job("pipe");
    CHECK(job->status == "stopped");
    CHECK(job->desired == "stopped");
    CHECK(h.event_kinds().back() == "stop-succeeded");
    CHECK_FALSE(h.store->lock_owner("pipe"));
}

TEST_CASE("stop --timeout and --force override the recorded settings", "[deployer]") {
    Harness h;
    REQUIRE(h.deploy(k_job).ok);
    StopRequest request;
    request.job = "pipe";
    request.only = {"report"};
    request.timeout = Millis(1500);
    request.force = true;
    StopResult result = h.deployer->stop(request);
    CHECK(result.ok);
    auto report = h.stops_of("report");
    REQUIRE(report.size() == 1);
    CHECK(report[0].signal == "SIGINT");
    CHECK(report[0].timeout == Millis(1500));
    CHECK(report[0].force);
    CHECK(h.rows().at("report").exit_status == 137);
}

TEST_CASE("stop of one agent stops just it", "[deployer]") {
    Harness h;
    REQUIRE(h.deploy(k_job).ok);
    const std::size_t before = h.call_count();
    StopRequest request;
    request.job = "pipe";
    request.only = {"parse-a"};
    StopResult result = h.deployer->stop(request);
    CHECK(result.ok);
    CHECK(result.stopped == Names{"parse-a"});
    CHECK(h.actions(before) == Actions{{"stop", "parse-a"}});
    auto rows = h.rows();
    CHECK(rows.at("parse-a").status == "stopped");
    CHECK(rows.at("parse-b").status == "running");
    CHECK(h.store->job("pipe")->status == "degraded");
    CHECK(h.store->job("pipe")->desired == "running");
}

TEST_CASE("stop of an unknown agent or job is not found, with a suggestion", "[deployer]") {
    Harness h;
    REQUIRE(h.deploy(k_job).ok);
    StopRequest request;
    request.job = "pipe";
    request.only = {"reprot"};
    CHECK_THROWS_AS(h.deployer->stop(request), util::NotFoundError);
    CHECK_THROWS_WITH(h.deployer->stop(request), "job 'pipe' has no agent or instance 'reprot'; did you mean 'report'?");
    CHECK_THROWS_WITH(h.deployer->restart(request), "job 'pipe' has no agent or instance 'reprot'; did you mean 'report'?");
    request.job = "nope";
    request.only.clear();
    CHECK_THROWS_WITH(h.deployer->stop(request), "no job named 'nope' (see agentctl list)");
    CHECK(h.stops_of("report").empty());
    CHECK_FALSE(h.store->lock_owner("pipe"));
}

TEST_CASE("a stop the runner refuses leaves the instance's row as it was", "[deployer]") {
    Harness h;
    REQUIRE(h.deploy(k_job).ok);
    FakeScript refuses;
    refuses.stop_refused = true;
    h.fake.script("parse-b", refuses);

    StopRequest request;
    request.job = "pipe";
    StopResult result = h.deployer->stop(request);
    CHECK_FALSE(result.ok);
    CHECK(result.refused == Names{"parse-b"});
    CHECK(result.stopped == Names{"report", "parse-a", "ingest"});
    auto rows = h.rows();
    CHECK(rows.at("parse-b").status == "running");
    CHECK(rows.at("parse-b").last_error == "not signalled: scripted refusal: identity no longer matches");
    CHECK(rows.at("parse-a").status == "stopped");
    CHECK(h.fake.running("parse-b"));
    auto kinds = h.event_kinds();
    CHECK(std::count(kinds.begin(), kinds.end(), "stop-refused") == 1);
    CHECK(kinds.back() == "stop-failed");
}

TEST_CASE("restart stops, then starts again from the launch records", "[deployer]") {
    Harness h;
    REQUIRE(h.deploy(k_job).ok);
    const std::size_t before = h.call_count();

    SECTION("one agent") {
        StopRequest request;
        request.job = "pipe";
        request.only = {"parse-a"};
        StopResult result = h.deployer->restart(request);
        CHECK(result.ok);
        CHECK(result.stopped == Names{"parse-a"});
        CHECK(h.actions(before) == Actions{{"stop", "parse-a"}, {"start", "parse-a"}});
        auto starts = h.starts_of("parse-a");
        REQUIRE(starts.size() == 2);
        CHECK(starts[1].argv == Names{"./parse", "a"});
        CHECK(env_value(starts[1], "MODE") == "fast");
        CHECK(starts[1].run_dir == h.state_dir() + "/run/pipe/parse-a/r1");
        auto rows = h.rows();
        CHECK(rows.at("parse-a").agent_process.pid == 100008);
        CHECK(rows.at("parse-a").status == "running");
        CHECK(rows.at("parse-a").revision == 1);
        CHECK(rows.at("parse-b").agent_process.pid == 100004);
        CHECK(h.store->job("pipe")->status == "running");
    }
    SECTION("the whole job: stops latest stage first, starts earliest first") {
        StopRequest request;
        request.job = "pipe";
        StopResult result = h.deployer->restart(request);
        CHECK(result.ok);
        CHECK(result.stopped == Names{"ingest", "parse-a", "parse-b", "report"});
        auto steps = grouped(h.actions(before), {{{"stop", "report"}},
                                                 {{"stop", "parse-a"}, {"stop", "parse-b"}},
                                                 {{"stop", "ingest"}},
                                                 {{"start", "ingest"}},
                                                 {{"start", "parse-a"}},
                                                 {{"start", "parse-b"}},
                                                 {{"start", "report"}}});
        CHECK(steps.first == steps.second);
        CHECK(h.fake.batches().size() == 6);
        CHECK(h.event_kinds().back() == "restart-succeeded");
    }
}
