// JobMonitor's decisions against the scriptable fake runner: exec health checks that fail past
// `retries`, restarts of containers (no shim) that exited, the policy `no`, and a stopped job.

#include "deploy/job_monitor.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <thread>

#include "deploy/instance_ops.hpp"
#include "deploy/monitor_metrics.hpp"
#include "runners/health_probe.hpp"
#include "state/state_dir.hpp"
#include "state/state_test_support.hpp"
#include "support/fake_runner.hpp"
#include "util/errors.hpp"

namespace {

using namespace agentctl;
using state::testing::TempDir;

class Collector : public deploy::MonitorReporter {
public:
    void change(const deploy::MonitorChange& change) override {
        lines.push_back(change.instance + " " + change.state + (change.detail.empty() ? "" : ": " + change.detail));
    }
    void note(const std::string& text) override { notes.push_back(text); }
    std::vector<std::string> lines;
    std::vector<std::string> notes;
};

struct Harness {
    TempDir dir;
    std::string state_dir = dir.path() + "/state";
    std::unique_ptr<state::StateStore> store;
    test::FakeRunner fake;
    runners::HealthProber prober;
    Collector reporter;
    deploy::MonitorMetrics metrics;
    std::unique_ptr<deploy::JobMonitor> monitor;
    deploy::MonitorOptions options;

    Harness() {
        state::ensure_state_dir(state_dir);
        store = state::StateStore::open(state_dir);
        monitor = std::make_unique<deploy::JobMonitor>(
            *store, state_dir, [this](spec::Target) -> runners::Runner& { return fake; }, prober, reporter, &metrics);
        options.job = "j";
        options.stop_requested = [] { return false; };
        options.lock_wait = util::Millis(0);
        state::JobRecord job;
        job.name = "j";
        job.file = "/jobs/j.yaml";
        job.revision = 1;
        job.desired = "running";
        job.status = "running";
        auto tx = store->begin();
        tx->upsert_job(job);
        tx->commit();
    }

    // One instance: an exec health check every 50 ms, unhealthy after 2 failures.
    void add(const std::string& name, spec::Target target, spec::RestartPolicy policy) {
        runners::LaunchRecord launch;
        launch.request.job = "j";
        launch.request.agent = name;
        launch.request.instance = name;
        launch.request.target = target;
        launch.request.argv = {"./" + name};
        launch.request.run_dir = state_dir + "/run/j/" + name;
        launch.request.log_path = state_dir + "/logs/j/" + name + ".log";
        launch.request.restart.policy = policy;
        launch.request.restart.max_restarts = 2;
        launch.request.restart.backoff = util::Millis(10);
        launch.health.kind = spec::HealthKind::exec;
        launch.health.exec = {"check"};
        launch.health.interval = util::Millis(50);
        launch.health.retries = 2;
        launch.revision = 1;
        std::filesystem::create_directories(launch.request.run_dir);
        runners::write_launch_record(launch);
        auto outcome = fake.start({launch.request}).at(0);
        REQUIRE(outcome.started);
        auto tx = store->begin();
        tx->upsert_instance(deploy::record_of(launch, outcome.handle, "healthy"));
        tx->commit();
    }

    // Rounds for about `millis`.
    void run_for(int millis) {
        auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(millis);
        while (std::chrono::steady_clock::now() < until) {
            monitor->round(options);
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }

    state::InstanceRecord row(const std::string& name) {
        for (auto& record : store->instances("j")) {
            if (record.instance == name) return record;
        }
        FAIL("no row " << name);
        return {};
    }

    std::vector<std::string> kinds(const std::string& instance) {
        std::vector<std::string> out;
        for (const auto& event : store->events("j", 0, 1000)) {
            if (event.instance == instance) out.push_back(event.kind);
        }
        return out;
    }
};

bool has(const std::vector<std::string>& lines, const std::string& line) {
    return std::find(lines.begin(), lines.end(), line) != lines.end();
}

}  // namespace

TEST_CASE("monitor: a failing check past retries is unhealthy, and policy no leaves it running", "[monitor]") {
    Harness h;
    h.add("web", spec::Target::localhost, spec::RestartPolicy::no);
    h.run_for(150);
    CHECK(h.reporter.lines == std::vector<std::string>{"web healthy"});
    test::FakeScript failing;
    failing.never_healthy = true;
    h.fake.script("web", failing);
    h.run_for(300);
    CHECK(has(h.reporter.lines, "web unhealthy: exec check exit status 1"));
    CHECK(h.row("web").status == "unhealthy");
    CHECK(h.fake.starts_of("web") == 1);
    CHECK(h.row("web").restarts == 0);
    h.fake.script("web", {});
    h.run_for(200);
    CHECK(h.reporter.lines.back() == "web healthy");
    auto kinds = h.kinds("web");
    CHECK(std::count(kinds.begin(), kinds.end(), "instance-unhealthy") == 1);
    CHECK(std::count(kinds.begin(), kinds.end(), "instance-recovered") == 1);
    CHECK(h.metrics.checks_total() >= 6);
}

TEST_CASE("monitor: an exited container is restarted as its policy says, up to max_restarts", "[monitor]") {
    Harness h;
    h.add("box", spec::Target::container, spec::RestartPolicy::on_failure);
    h.run_for(100);
    h.fake.crash("box", 3);
    h.run_for(400);
    CHECK(has(h.reporter.lines, "box exited: exited with status 3"));
    CHECK(h.fake.starts_of("box") == 2);
    CHECK(h.row("box").restarts == 1);
    CHECK(h.fake.running("box"));
    auto kinds = h.kinds("box");
    CHECK(std::count(kinds.begin(), kinds.end(), "instance-restarted") == 1);

    // Twice more: the second one finds max_restarts (2) used up.
    h.fake.crash("box", 3);
    h.run_for(400);
    h.fake.crash("box", 3);
    h.run_for(400);
    CHECK(h.fake.starts_of("box") == 3);
    CHECK(h.row("box").restarts == 2);
    CHECK(has(h.reporter.lines, "box failed: max_restarts (2) exhausted"));
}

TEST_CASE("monitor: a clean exit under on-failure, and any exit of a stopped job, are left alone", "[monitor]") {
    Harness h;
    h.add("clean", spec::Target::container, spec::RestartPolicy::on_failure);
    h.add("kept", spec::Target::container, spec::RestartPolicy::always);
    h.run_for(100);
    h.fake.crash("clean", 0);
    {
        // A stop under way: the job's intent is "stopped" before anything is signalled.
        auto job = *h.store->job("j");
        job.desired = "stopped";
        auto tx = h.store->begin();
        tx->upsert_job(job);
        tx->commit();
    }
    h.fake.crash("kept", 137);
    h.run_for(400);
    CHECK(h.fake.starts_of("clean") == 1);
    CHECK(h.fake.starts_of("kept") == 1);
    CHECK(has(h.reporter.lines, "kept exited: exited with status 137 (SIGKILL)"));
}

TEST_CASE("monitor: metrics follow the instances, and one no longer recorded leaves them", "[monitor]") {
    Harness h;
    h.add("web", spec::Target::localhost, spec::RestartPolicy::no);
    h.add("db", spec::Target::localhost, spec::RestartPolicy::no);
    h.run_for(100);
    std::string text = h.metrics.render();
    CHECK(text.find("agentctl_agent_up{job=\"j\",agent=\"web\",instance=\"web\"} 1\n") != std::string::npos);
    CHECK(text.find("agentctl_agent_healthy{job=\"j\",agent=\"db\",instance=\"db\"} 1\n") != std::string::npos);
    {
        auto tx = h.store->begin();
        tx->delete_instance("j", "db");
        tx->commit();
    }
    h.run_for(100);
    text = h.metrics.render();
    CHECK(text.find("instance=\"db\"") == std::string::npos);
    CHECK(text.find("agentctl_agent_up{job=\"j\",agent=\"web\",instance=\"web\"} 1\n") != std::string::npos);
    // The job itself gone: round() says so.
    {
        auto tx = h.store->begin();
        tx->delete_job("j");
        tx->commit();
    }
    CHECK_FALSE(h.monitor->round(h.options));
}

TEST_CASE("monitor: a round that throws is reported once and the watch goes on", "[monitor]") {
    Harness h;
    h.add("web", spec::Target::localhost, spec::RestartPolicy::no);
    deploy::JobMonitor failing(
        *h.store, h.state_dir,
        [](spec::Target) -> runners::Runner& { throw util::OperationError("no runner for this target here"); },
        h.prober, h.reporter, nullptr);
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
    auto options = h.options;
    options.tick = util::Millis(20);
    options.stop_requested = [until] { return std::chrono::steady_clock::now() >= until; };
    CHECK_NOTHROW(failing.run(options));
    CHECK(h.reporter.notes == std::vector<std::string>{"monitor round failed: no runner for this target here"});
}
