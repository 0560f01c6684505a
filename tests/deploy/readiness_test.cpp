#include "deploy/readiness.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>

#include "support/http_listener.hpp"

using agentctl::deploy::ReadyOutcome;
using agentctl::deploy::ReadyState;
using agentctl::deploy::ReadyTarget;
using agentctl::deploy::wait_ready;
using agentctl::runners::HealthProber;
using agentctl::spec::HealthKind;
using agentctl::test::ClosedPort;
using agentctl::test::HttpListener;
using Millis = std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;
namespace runners = agentctl::runners;

namespace {

// A runner whose instances follow a script: when they exit, when their exec check passes,
// what their log says. Instances are told apart by InstanceHandle::run_dir.
class StubRunner : public runners::Runner {
public:
    struct Script {
        std::optional<Millis> exits_after;      ///< exits this long after the runner was made
        int exit_status = 0;
        int inspects_before_exit = -1;          ///< >= 0: exits once inspected this many times
        bool missing = false;                   ///< inspect reports it missing
        std::optional<Millis> exec_ok_after;    ///< exec check passes from then on
        std::vector<std::string> log;
    };

    StubRunner() : m_created(SteadyClock::now()) {}

    runners::InstanceHandle add(const std::string& name, Script script) {
        m_scripts[name] = std::move(script);
        m_inspects[name] = 0;
        runners::InstanceHandle handle;
        handle.run_dir = name;
        return handle;
    }

    int inspects(const std::string& name) const { return m_inspects.at(name); }
    int execs() const { return m_execs; }

    std::vector<runners::StartOutcome> start(const std::vector<runners::LaunchRequest>&) override { return {}; }

    runners::Inspection inspect(const runners::InstanceHandle& handle) override {
        const Script& script = m_scripts.at(handle.run_dir);
        const int count = ++m_inspects[handle.run_dir];
        runners::Inspection inspection;
        inspection.liveness = runners::Liveness::running;
        if (script.missing) {
            inspection.liveness = runners::Liveness::missing;
            inspection.reason = "no such process";
        }
        const bool exited_by_time = script.exits_after && since_created() >= *script.exits_after;
        const bool exited_by_count = script.inspects_before_exit >= 0 && count > script.inspects_before_exit;
        if (exited_by_time || exited_by_count) {
            inspection.liveness = runners::Liveness::exited;
            inspection.exit_status = script.exit_status;
        }
        return inspection;
    }

    runners::StopOutcome stop(const runners::InstanceHandle&, const runners::StopOptions&) override { return {}; }

    void read_logs(const runners::InstanceHandle& handle, const runners::LogOptions& options,
                   const std::function<void(const runners::LogLine&)>& sink) override {
        const auto& log = m_scripts.at(handle.run_dir).log;
        std::size_t first = options.tail && *options.tail < log.size() ? log.size() - *options.tail : 0;
        for (std::size_t i = first; i < log.size(); ++i) sink(runners::LogLine{{}, log[i]});
    }

    runners::ExecResult exec(const runners::InstanceHandle& handle, const std::vector<std::string>& argv,
                             Millis) override {
        ++m_execs;
        const Script& script = m_scripts.at(handle.run_dir);
        runners::ExecResult result;
        const bool ok = argv == std::vector<std::string>{"check-ready"} && script.exec_ok_after &&
                        since_created() >= *script.exec_ok_after;
        result.exit_status = ok ? 0 : 1;
        result.output = ok ? "" : "not yet\nsecond line\n";
        return result;
    }

private:
    Millis since_created() const {
        return std::chrono::duration_cast<Millis>(SteadyClock::now() - m_created);
    }

    SteadyClock::time_point m_created;
    std::map<std::string, Script> m_scripts;
    std::map<std::string, int> m_inspects;
    std::atomic<int> m_execs{0};
};

agentctl::spec::HealthSpec health(HealthKind kind, Millis interval = Millis(5000)) {
    agentctl::spec::HealthSpec spec;
    spec.kind = kind;
    spec.interval = interval;
    spec.timeout = Millis(2000);
    if (kind == HealthKind::exec) spec.exec = {"check-ready"};
    if (kind == HealthKind::none) spec.start_period = Millis(1000);
    return spec;
}

ReadyTarget target(const std::string& name, StubRunner& runner, StubRunner::Script script,
                   agentctl::spec::HealthSpec spec, const std::string& url, Millis deadline) {
    ReadyTarget t;
    t.instance = name;
    t.runner = &runner;
    t.handle = runner.add(name, std::move(script));
    t.health = std::move(spec);
    t.probe_url = url;
    t.deadline = deadline;
    return t;
}

const auto never = [] { return false; };

// Answers 503 until `after` has passed since it was made, then 200.
HttpListener::Responder healthy_after(Millis after) {
    auto start = std::make_shared<SteadyClock::time_point>(SteadyClock::now());
    return [start, after](const std::string& path) {
        if (path != "/health") return 404;
        return SteadyClock::now() - *start >= after ? 200 : 503;
    };
}

}  // namespace

TEST_CASE("ready_state_name spells every state") {
    CHECK(std::string(agentctl::deploy::ready_state_name(ReadyState::ready)) == "ready");
    CHECK(std::string(agentctl::deploy::ready_state_name(ReadyState::exited)) == "exited");
    CHECK(std::string(agentctl::deploy::ready_state_name(ReadyState::timed_out)) == "timed-out");
    CHECK(std::string(agentctl::deploy::ready_state_name(ReadyState::interrupted)) == "interrupted");
}

TEST_CASE("an agent that becomes healthy after ~300 ms is ready soon after, thanks to fast-first polls") {
    HttpListener server(healthy_after(Millis(300)));
    StubRunner runner;
    std::vector<ReadyTarget> targets{target("web", runner, {}, health(HealthKind::http), server.url(), Millis(10000))};
    HealthProber prober;
    auto outcomes = wait_ready(targets, prober, never);
    REQUIRE(outcomes.size() == 1);
    CHECK(outcomes[0].state == ReadyState::ready);
    CHECK(outcomes[0].detail == "HTTP 200");
    CHECK(outcomes[0].took >= Millis(300));
    // Polling at the 5 s interval would take 5 s; fast-first polls find it well within 1.5 s.
    CHECK(outcomes[0].took < Millis(1500));
    CHECK(server.requests() >= 4);
    CHECK(outcomes[0].log_tail.empty());
}

TEST_CASE("an agent that exits at once is reported at once, with its status and log tail") {
    ClosedPort closed;
    StubRunner runner;
    StubRunner::Script script;
    script.exits_after = Millis(0);
    script.exit_status = 3;
    for (int i = 1; i <= 12; ++i) script.log.push_back("line " + std::to_string(i));
    std::vector<ReadyTarget> targets{target("crash", runner, script, health(HealthKind::http), closed.url(), Millis(6000))};
    HealthProber prober;
    auto outcomes = wait_ready(targets, prober, never);
    REQUIRE(outcomes.size() == 1);
    CHECK(outcomes[0].state == ReadyState::exited);
    REQUIRE(outcomes[0].exit_status.has_value());
    CHECK(*outcomes[0].exit_status == 3);
    CHECK(outcomes[0].detail == "exited with status 3");
    CHECK(outcomes[0].took < Millis(3000));  // deadline / 2
    CHECK(outcomes[0].log_tail == std::vector<std::string>{"line 3", "line 4", "line 5", "line 6", "line 7",
                                                           "line 8", "line 9", "line 10", "line 11", "line 12"});
}

TEST_CASE("an agent that exits a little after its start is reported before its deadline") {
    ClosedPort closed;
    StubRunner runner;
    StubRunner::Script script;
    script.exits_after = Millis(200);
    script.exit_status = 137;
    std::vector<ReadyTarget> targets{target("late", runner, script, health(HealthKind::http), closed.url(), Millis(6000))};
    HealthProber prober;
    auto outcomes = wait_ready(targets, prober, never);
    CHECK(outcomes[0].state == ReadyState::exited);
    CHECK(outcomes[0].detail == "exited with status 137");
    CHECK(outcomes[0].took >= Millis(200));
    CHECK(outcomes[0].took < Millis(3000));
}

TEST_CASE("a missing process is reported as exited without a status") {
    ClosedPort closed;
    StubRunner runner;
    StubRunner::Script script;
    script.missing = true;
    std::vector<ReadyTarget> targets{target("gone", runner, script, health(HealthKind::http), closed.url(), Millis(5000))};
    HealthProber prober;
    auto outcomes = wait_ready(targets, prober, never);
    CHECK(outcomes[0].state == ReadyState::exited);
    CHECK_FALSE(outcomes[0].exit_status.has_value());
    CHECK(outcomes[0].detail == "no longer running: no such process");
}

TEST_CASE("a healthy answer from an instance that just died does not make it ready") {
    HttpListener server(healthy_after(Millis(0)));
    StubRunner runner;
    StubRunner::Script script;
    script.inspects_before_exit = 0;  // gone at the inspection that follows its healthy answer
    script.exit_status = 1;
    std::vector<ReadyTarget> targets{target("imposter", runner, script, health(HealthKind::http), server.url(), Millis(5000))};
    HealthProber prober;
    auto outcomes = wait_ready(targets, prober, never);
    CHECK(outcomes[0].state == ReadyState::exited);
    CHECK(outcomes[0].detail == "exited with status 1");
    CHECK(server.requests() == 1);
}

TEST_CASE("an agent never healthy times out at its deadline with the last probe detail") {
    HttpListener server([](const std::string&) { return 503; });
    ClosedPort closed;
    StubRunner runner;
    StubRunner::Script script;
    script.log = {"starting", "still starting"};
    std::vector<ReadyTarget> targets{
        target("sick", runner, script, health(HealthKind::http), server.url(), Millis(600)),
        target("deaf", runner, {}, health(HealthKind::tcp), "127.0.0.1:" + std::to_string(closed.port()), Millis(500)),
    };
    HealthProber prober;
    auto outcomes = wait_ready(targets, prober, never);
    CHECK(outcomes[0].state == ReadyState::timed_out);
    CHECK(outcomes[0].detail == "not ready after 600ms: HTTP 503");
    CHECK(outcomes[0].took >= Millis(600));
    CHECK(outcomes[0].took < Millis(3000));
    CHECK(outcomes[0].log_tail == std::vector<std::string>{"starting", "still starting"});
    CHECK(outcomes[1].state == ReadyState::timed_out);
    CHECK(outcomes[1].detail == "not ready after 500ms: connection refused");
    CHECK(outcomes[1].took >= Millis(500));
    CHECK(outcomes[1].took < Millis(3000));
    CHECK_FALSE(outcomes[1].exit_status.has_value());
}

TEST_CASE("a server that never answers times out near the deadline, not the health timeout later") {
    HttpListener server([](const std::string&) { return 0; });
    StubRunner runner;
    auto spec = health(HealthKind::http);
    spec.timeout = Millis(5000);
    std::vector<ReadyTarget> targets{target("hung", runner, {}, spec, server.url(), Millis(700))};
    HealthProber prober;
    auto outcomes = wait_ready(targets, prober, never);
    CHECK(outcomes[0].state == ReadyState::timed_out);
    // The last check's timeout is cut to what was left of the deadline.
    CHECK_THAT(outcomes[0].detail, Catch::StartsWith("not ready after 700ms: timed out after "));
    CHECK(outcomes[0].took < Millis(2500));
}

TEST_CASE("kind none: ready once alive after start_period") {
    StubRunner runner;
    auto spec = health(HealthKind::none);
    spec.start_period = Millis(300);
    StubRunner::Script dies;
    dies.exits_after = Millis(100);
    dies.exit_status = 2;
    std::vector<ReadyTarget> targets{
        target("quiet", runner, {}, spec, "", Millis(5000)),
        target("dies", runner, dies, spec, "", Millis(5000)),
    };
    HealthProber prober;
    auto outcomes = wait_ready(targets, prober, never);
    CHECK(outcomes[0].state == ReadyState::ready);
    CHECK(outcomes[0].detail == "running");
    CHECK(outcomes[0].took >= Millis(300));
    CHECK(outcomes[0].took < Millis(2000));
    CHECK(outcomes[1].state == ReadyState::exited);
    CHECK(outcomes[1].detail == "exited with status 2");
    CHECK(outcomes[1].took < Millis(300));
    // Liveness was checked repeatedly during the start period, not once at its end.
    CHECK(runner.inspects("quiet") >= 3);
}

TEST_CASE("exec checks run through the runner") {
    StubRunner runner;
    StubRunner::Script passes;
    passes.exec_ok_after = Millis(200);
    std::vector<ReadyTarget> targets{
        target("exec-ok", runner, passes, health(HealthKind::exec), "", Millis(5000)),
        target("exec-bad", runner, {}, health(HealthKind::exec), "", Millis(500)),
    };
    HealthProber prober;
    auto outcomes = wait_ready(targets, prober, never);
    CHECK(outcomes[0].state == ReadyState::ready);
    CHECK(outcomes[0].detail == "exec exit status 0");
    CHECK(outcomes[0].took >= Millis(200));
    CHECK(outcomes[0].took < Millis(2000));
    CHECK(outcomes[1].state == ReadyState::timed_out);
    CHECK(outcomes[1].detail == "not ready after 500ms: exec exit status 1: not yet");
    CHECK(runner.execs() >= 4);
}

TEST_CASE("an interruption ends the wait quickly") {
    HttpListener hung([](const std::string&) { return 0; });
    ClosedPort closed;
    StubRunner runner;
    auto spec = health(HealthKind::http);
    spec.timeout = Millis(10000);
    std::vector<ReadyTarget> targets{
        target("hung", runner, {}, spec, hung.url(), Millis(30000)),
        target("refused", runner, {}, health(HealthKind::http), closed.url(), Millis(30000)),
        target("exec", runner, {}, health(HealthKind::exec), "", Millis(30000)),
    };
    HealthProber prober;
    const auto start = SteadyClock::now();
    auto interrupted = [&] { return SteadyClock::now() - start >= Millis(150); };
    auto outcomes = wait_ready(targets, prober, interrupted);
    const auto took = SteadyClock::now() - start;
    for (const auto& outcome : outcomes) {
        CHECK(outcome.state == ReadyState::interrupted);
        CHECK(outcome.took >= Millis(150));
    }
    CHECK(took < Millis(1000));
    CHECK(outcomes[0].detail == "interrupted (no check finished yet)");
    CHECK(outcomes[1].detail == "interrupted (connection refused)");
}

TEST_CASE("on_done reports each instance as soon as it is decided") {
    HttpListener server(healthy_after(Millis(300)));
    StubRunner runner;
    StubRunner::Script crash;
    crash.exits_after = Millis(0);
    crash.exit_status = 1;
    std::vector<ReadyTarget> targets{
        target("slow", runner, {}, health(HealthKind::http), server.url(), Millis(5000)),
        target("crash", runner, crash, health(HealthKind::http), server.url(), Millis(5000)),
    };
    HealthProber prober;
    std::vector<std::pair<std::size_t, ReadyState>> seen;
    auto outcomes = wait_ready(targets, prober, never, [&](std::size_t index, const ReadyOutcome& outcome) {
        seen.emplace_back(index, outcome.state);
    });
    REQUIRE(seen.size() == 2);
    CHECK(seen[0] == std::make_pair(std::size_t{1}, ReadyState::exited));
    CHECK(seen[1] == std::make_pair(std::size_t{0}, ReadyState::ready));
    CHECK(outcomes[0].state == ReadyState::ready);
    CHECK(outcomes[1].state == ReadyState::exited);
}

TEST_CASE("100 targets at once") {
    HttpListener early(healthy_after(Millis(100)));
    HttpListener later(healthy_after(Millis(400)));
    ClosedPort closed;
    StubRunner runner;
    std::vector<ReadyTarget> targets;
    for (int i = 0; i < 100; ++i) {
        const std::string name = "agent-" + std::to_string(i);
        if (i % 10 == 9) {
            StubRunner::Script crash;
            crash.exits_after = Millis(50);
            crash.exit_status = 4;
            targets.push_back(target(name, runner, crash, health(HealthKind::http), closed.url(), Millis(10000)));
        } else if (i % 10 == 8) {
            auto spec = health(HealthKind::none);
            spec.start_period = Millis(200);
            targets.push_back(target(name, runner, {}, spec, "", Millis(10000)));
        } else {
            targets.push_back(target(name, runner, {}, health(HealthKind::http), (i % 2 ? early : later).url(), Millis(10000)));
        }
    }
    HealthProber prober;
    std::vector<int> reported(100, 0);
    const auto start = SteadyClock::now();
    auto outcomes = wait_ready(targets, prober, never, [&](std::size_t index, const ReadyOutcome&) { ++reported[index]; });
    const auto took = SteadyClock::now() - start;
    int ready = 0;
    int exited = 0;
    for (const auto& outcome : outcomes) {
        ready += outcome.state == ReadyState::ready ? 1 : 0;
        exited += outcome.state == ReadyState::exited ? 1 : 0;
    }
    CHECK(ready == 90);
    CHECK(exited == 10);
    CHECK(outcomes[99].detail == "exited with status 4");
    CHECK(outcomes[98].detail == "running");
    CHECK(outcomes[0].detail == "HTTP 200");
    CHECK(std::all_of(reported.begin(), reported.end(), [](int count) { return count == 1; }));
    CHECK(took < Millis(3000));
}
