// LocalRunner with real shims, real agents and real files.

#include "runners/local_runner.hpp"

#include <catch2/catch.hpp>

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "runners/launch_record.hpp"
#include "runners/runner_test_support.hpp"

namespace {

using agentctl::runners::InstanceHandle;
using agentctl::runners::LaunchRequest;
using agentctl::runners::LaunchRecord;
using agentctl::runners::write_launch_record;
using agentctl::runners::Liveness;
using agentctl::runners::LocalRunner;
using agentctl::runners::LocalRunnerOptions;
using agentctl::runners::LogLine;
using agentctl::runners::LogOptions;
using agentctl::runners::RunnerContext;
using agentctl::runners::StartOutcome;
using agentctl::runners::StopOptions;
using agentctl::spec::EnvVar;
using agentctl::test::eventually;
using agentctl::test::proc_strings;
using agentctl::test::ProcessGuard;
using agentctl::test::read_text;
using agentctl::test::stat_field;
using agentctl::test::TempDir;
using agentctl::util::Millis;

RunnerContext context_in(const TempDir& dir) {
    RunnerContext context;
    context.state_dir = dir.path();
    context.shim_path = AGENTCTL_SHIM_PATH;
    return context;
}

LaunchRequest request_for(const TempDir& dir, const std::string& instance, std::vector<std::string> argv,
                          std::vector<EnvVar> environment = {}) {
    LaunchRequest request;
    request.job = "demo";
    request.agent = instance;
    request.instance = instance;
    request.argv = std::move(argv);
    request.environment = std::move(environment);
    request.workdir = dir.path();
    request.run_dir = dir / ("run/demo/" + instance);
    request.log_path = dir / ("logs/demo/" + instance + ".log");
    return request;
}

EnvVar env(const std::string& name, const std::string& value, bool secret = false) {
    EnvVar var;
    var.name = name;
    var.value = value;
    var.secret = secret;
    return var;
}

// Records the agent's group and the shim of every started outcome in the guard.
void guard_all(ProcessGuard& guard, const std::vector<StartOutcome>& outcomes) {
    for (const auto& outcome : outcomes) {
        if (!outcome.handle.agent.empty()) guard.add_group(outcome.handle.agent);
        if (!outcome.handle.shim.empty()) guard.add_process(outcome.handle.shim);
    }
}

std::vector<std::string> log_texts(LocalRunner& runner, const InstanceHandle& handle, LogOptions options = {}) {
    std::vector<std::string> texts;
    runner.read_logs(handle, options, [&](const LogLine& line) { texts.push_back(line.text); });
    return texts;
}

bool log_has(LocalRunner& runner, const InstanceHandle& handle, const std::string& text) {
    for (const auto& line : log_texts(runner, handle)) {
        if (line == text) return true;
    }
    return false;
}

// Sets an environment variable for the length of a scope.
struct ScopedEnv {
    std::string name;
    std::optional<std::string> previous;
    ScopedEnv(const std::string& variable, const std::string& value) : name(variable) {
        if (const char* old = std::getenv(variable.c_str())) previous = old;
        ::setenv(variable.c_str(), value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (previous) {
            ::setenv(name.c_str(), previous->c_str(), 1);
        } else {
            ::unsetenv(name.c_str());
        }
    }
};

std::string mode_of(const std::string& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) return "missing";
    char text[8];
    std::snprintf(text, sizeof text, "%03o", info.st_mode & 0777);
    return text;
}

}  // namespace

TEST_CASE("LocalRunner starts agents through shims: identities, environment, secrets", "[local]") {
    TempDir dir;
    ProcessGuard guard;
    ScopedEnv inherited("AGENTCTL_TEST_INHERITED", "from-parent");
    ScopedEnv overridden("AGENTCTL_TEST_FOO", "parent-value");
    LocalRunner runner(context_in(dir));
    std::vector<LaunchRequest> requests = {
        request_for(dir, "plain", {"sleep", "30"}),
        request_for(dir, "layered", {"sh", "-c", "echo \"foo=$AGENTCTL_TEST_FOO inherited=$AGENTCTL_TEST_INHERITED\"; exec sleep 30"},
                    {env("AGENTCTL_TEST_FOO", "request-value")}),
        request_for(dir, "secretive", {"sh", "-c", "echo \"key-length=${#API_KEY}\"; exec sleep 30"},
                    {env("API_KEY", "s3cr3t-token-value", true)}),
    };
    auto outcomes = runner.start(requests);
    guard_all(guard, outcomes);
    REQUIRE(outcomes.size() == 3);
    for (const auto& outcome : outcomes) {
        INFO(outcome.error);
        REQUIRE(outcome.started);
        CHECK_FALSE(outcome.timed_out);
        CHECK(outcome.handle.host == "127.0.0.1");
        CHECK(stat_field(outcome.handle.agent.pid, 22) == std::to_string(outcome.handle.agent.start_time));
        CHECK(stat_field(outcome.handle.shim.pid, 22) == std::to_string(outcome.handle.shim.start_time));
        CHECK(stat_field(outcome.handle.agent.pid, 4) == std::to_string(outcome.handle.shim.pid));
        CHECK(stat_field(outcome.handle.shim.pid, 6) == std::to_string(outcome.handle.shim.pid));
    }
    CHECK(outcomes[0].handle.run_dir == dir / "run/demo/plain");
    CHECK(outcomes[0].handle.log_path == dir / "logs/demo/plain.log");

    // Request environment over the inherited one.
    CHECK(eventually([&] { return log_has(runner, outcomes[1].handle, "foo=request-value inherited=from-parent"); }));
    CHECK(eventually([&] { return log_has(runner, outcomes[2].handle, "key-length=18"); }));

    // The secret is in the agent's environment, on no command line.
    int agent = outcomes[2].handle.agent.pid;
    int shim = outcomes[2].handle.shim.pid;
    CHECK(proc_strings(agent, "environ").find("API_KEY=s3cr3t-token-value") != std::string::npos);
    CHECK(proc_strings(agent, "cmdline").find("s3cr3t") == std::string::npos);
    CHECK(proc_strings(shim, "cmdline").find("s3cr3t") == std::string::npos);
    CHECK(proc_strings(shim, "cmdline").find("--status " + (dir / "run/demo/secretive/status.json")) != std::string::npos);

    // The runner writes no secret anywhere itself (the launch record is the deployer's); the
    // directories it creates are owner-only.
    CHECK(mode_of(dir / "run/demo/secretive") == "700");
    CHECK(mode_of(dir / "logs/demo") == "700");
    CHECK(read_text(dir / "run/demo/secretive/status.json").find("s3cr3t") == std::string::npos);
}

TEST_CASE("LocalRunner inspect: running, then stopped, then exited with the signal's status", "[local]") {
    TempDir dir;
    ProcessGuard guard;
    LocalRunner runner(context_in(dir));
    auto outcomes = runner.start({request_for(dir, "a", {"sleep", "30"})});
    guard_all(guard, outcomes);
    REQUIRE(outcomes.at(0).started);
    const InstanceHandle& handle = outcomes[0].handle;
    CHECK(runner.inspect(handle).liveness == Liveness::running);

    StopOptions options;
    options.timeout = Millis(5000);
    auto stopped = runner.stop(handle, options);
    CHECK(stopped.stopped);
    CHECK_FALSE(stopped.killed);
    CHECK_FALSE(stopped.refused);
    CHECK_FALSE(agentctl::util::process_matches(handle.agent));
    CHECK_FALSE(agentctl::util::process_matches(handle.shim));

    auto inspection = runner.inspect(handle);
    CHECK(inspection.liveness == Liveness::exited);
    REQUIRE(inspection.exit_status.has_value());
    CHECK(*inspection.exit_status == 143);
    CHECK(inspection.exited_at.has_value());

    // Stopping again signals nothing and reports it stopped.
    auto again = runner.stop(handle, options);
    CHECK(again.stopped);
    CHECK(again.message == "already exited");
}

TEST_CASE("LocalRunner stop refuses a handle whose start time no longer matches", "[local]") {
    TempDir dir;
    ProcessGuard guard;
    LocalRunner runner(context_in(dir));
    auto outcomes = runner.start({request_for(dir, "a", {"sleep", "30"})});
    guard_all(guard, outcomes);
    REQUIRE(outcomes.at(0).started);
    InstanceHandle altered = outcomes[0].handle;
    altered.agent.start_time += 1;

    auto outcome = runner.stop(altered, StopOptions{});
    CHECK(outcome.refused);
    CHECK_FALSE(outcome.stopped);
    CHECK(outcome.message.find("nothing was signalled") != std::string::npos);
    CHECK(runner.inspect(altered).liveness != Liveness::running);
    // Still alive: nothing was sent.
    CHECK(agentctl::util::process_matches(outcomes[0].handle.agent));
    CHECK(runner.inspect(outcomes[0].handle).liveness == Liveness::running);
}

TEST_CASE("LocalRunner stop SIGKILLs an agent that ignores its stop signal", "[local]") {
    TempDir dir;
    ProcessGuard guard;
    LocalRunner runner(context_in(dir));
    auto outcomes = runner.start(
        {request_for(dir, "stubborn", {"sh", "-c", "trap '' TERM; echo trapped; while :; do sleep 0.1; done"})});
    guard_all(guard, outcomes);
    REQUIRE(outcomes.at(0).started);
    const InstanceHandle& handle = outcomes[0].handle;
    REQUIRE(eventually([&] { return log_has(runner, handle, "trapped"); }));

    StopOptions options;
    options.timeout = Millis(300);
    auto started = std::chrono::steady_clock::now();
    auto outcome = runner.stop(handle, options);
    auto took = std::chrono::steady_clock::now() - started;
    CHECK(outcome.stopped);
    CHECK(outcome.killed);
    CHECK(took >= std::chrono::milliseconds(300));
    CHECK(took < std::chrono::seconds(8));
    auto inspection = runner.inspect(handle);
    CHECK(inspection.liveness == Liveness::exited);
    CHECK(inspection.exit_status == 137);
}

TEST_CASE("LocalRunner stop --force sends SIGKILL at once", "[local]") {
    TempDir dir;
    ProcessGuard guard;
    LocalRunner runner(context_in(dir));
    auto outcomes = runner.start({request_for(dir, "a", {"sleep", "30"})});
    guard_all(guard, outcomes);
    REQUIRE(outcomes.at(0).started);
    StopOptions options;
    options.force = true;
    auto outcome = runner.stop(outcomes[0].handle, options);
    CHECK(outcome.stopped);
    CHECK(outcome.killed);
    CHECK(runner.inspect(outcomes[0].handle).exit_status == 137);
}

TEST_CASE("LocalRunner reports an exec failure as a failed start with exit status 127", "[local]") {
    TempDir dir;
    ProcessGuard guard;
    LocalRunner runner(context_in(dir));
    auto outcomes = runner.start({request_for(dir, "broken", {"./definitely-not-here"}),
                                  request_for(dir, "fine", {"sleep", "30"})});
    guard_all(guard, outcomes);
    REQUIRE(outcomes.size() == 2);
    CHECK_FALSE(outcomes[0].started);
    CHECK_FALSE(outcomes[0].timed_out);
    CHECK(outcomes[0].error == "exec ./definitely-not-here: No such file or directory");
    CHECK(outcomes[0].exit_status == 127);
    CHECK(outcomes[1].started);
    auto inspection = runner.inspect(outcomes[0].handle);
    CHECK(inspection.liveness == Liveness::exited);
    CHECK(inspection.exit_status == 127);
}

TEST_CASE("LocalRunner tells a handshake timeout apart from a failure", "[local]") {
    TempDir dir;
    ProcessGuard guard;
    std::string fake_shim = dir / "silent-shim";
    {
        std::ofstream script(fake_shim);
        script << "#!/bin/sh\nexec sleep 30\n";
    }
    ::chmod(fake_shim.c_str(), 0700);
    RunnerContext context = context_in(dir);
    context.shim_path = fake_shim;
    LocalRunnerOptions options;
    options.handshake_timeout = Millis(300);
    LocalRunner runner(context, options);
    auto outcomes = runner.start({request_for(dir, "a", {"true"})});
    guard_all(guard, outcomes);
    REQUIRE(outcomes.size() == 1);
    CHECK_FALSE(outcomes[0].started);
    CHECK(outcomes[0].timed_out);
    CHECK(outcomes[0].error == "agentctl-shim gave no handshake within 300ms");
    CHECK_FALSE(outcomes[0].handle.shim.empty());
}

TEST_CASE("LocalRunner reports a shim that cannot be started", "[local]") {
    TempDir dir;
    RunnerContext context = context_in(dir);
    context.shim_path = dir / "no-such-shim";
    LocalRunner runner(context);
    auto outcomes = runner.start({request_for(dir, "a", {"true"})});
    REQUIRE(outcomes.size() == 1);
    CHECK_FALSE(outcomes[0].started);
    CHECK_FALSE(outcomes[0].timed_out);
    CHECK(outcomes[0].error.rfind("cannot start " + (dir / "no-such-shim") + ": ", 0) == 0);

    context.shim_path.clear();
    LocalRunner unset(context);
    CHECK(unset.start({request_for(dir, "a", {"true"})}).at(0).error ==
          "agentctl-shim was not found (looked next to agentctl and on PATH)");
}

TEST_CASE("find_shim_executable looks on PATH", "[local]") {
    std::string shim = AGENTCTL_SHIM_PATH;
    std::string shim_dir = shim.substr(0, shim.rfind('/'));
    {
        ScopedEnv path("PATH", "/nonexistent:" + shim_dir + ":/usr/bin");
        CHECK(agentctl::runners::find_shim_executable() == shim_dir + "/agentctl-shim");
    }
    ScopedEnv path("PATH", "/nonexistent");
    CHECK(agentctl::runners::find_shim_executable().empty());
}

TEST_CASE("LocalRunner inspect: a handle of no process and no status file is missing", "[local]") {
    TempDir dir;
    LocalRunner runner(context_in(dir));
    InstanceHandle handle;
    handle.agent = agentctl::util::ProcessRef{999999999, 1};
    handle.run_dir = dir / "nothing-here";
    auto inspection = runner.inspect(handle);
    CHECK(inspection.liveness == Liveness::missing);
    CHECK_FALSE(inspection.reason.empty());
}

TEST_CASE("LocalRunner logs: tail, since and follow across a rotation", "[local]") {
    TempDir dir;
    ProcessGuard guard;
    LocalRunnerOptions options;
    options.log_max_bytes = 200;
    options.log_keep = 20;
    LocalRunner runner(context_in(dir), options);
    auto outcomes = runner.start({request_for(
        dir, "ticker",
        {"sh", "-c", "for i in 1 2 3 4 5; do echo tick-$i; sleep 0.05; done; sleep 0.5; "
                     "for i in 6 7 8 9 10 11 12 13 14 15; do echo tick-$i; sleep 0.05; done; exec sleep 30"})});
    guard_all(guard, outcomes);
    REQUIRE(outcomes.at(0).started);
    const InstanceHandle& handle = outcomes[0].handle;
    REQUIRE(eventually([&] { return log_has(runner, handle, "tick-5"); }));

    LogOptions tail;
    tail.tail = 2;
    auto last = log_texts(runner, handle, tail);
    REQUIRE(last.size() == 2);
    CHECK(last[1].rfind("tick-", 0) == 0);

    // since: the stamp of tick-4 keeps tick-4 and what follows. (The shim stamps the lines of one
    // read alike, hence the sleeps between the ticks: each arrives in a read of its own.)
    std::optional<agentctl::runners::Clock::time_point> tick4;
    runner.read_logs(handle, {}, [&](const LogLine& line) {
        if (line.text == "tick-4") tick4 = line.time;
    });
    REQUIRE(tick4.has_value());
    LogOptions since;
    since.since = *tick4;
    auto recent = log_texts(runner, handle, since);
    REQUIRE(recent.size() >= 2);
    CHECK(recent[0] == "tick-4");
    CHECK(recent[1] == "tick-5");

    // follow from tick-4 on, across rotations (200-byte files), until tick-15.
    std::vector<std::string> followed;
    LogOptions follow;
    follow.since = *tick4;
    follow.follow = true;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    follow.stop_following = [&] {
        return (!followed.empty() && followed.back() == "tick-15") || std::chrono::steady_clock::now() > deadline;
    };
    runner.read_logs(handle, follow, [&](const LogLine& line) { followed.push_back(line.text); });
    std::vector<std::string> ticks;
    for (const auto& text : followed) {
        if (text.rfind("tick-", 0) == 0) ticks.push_back(text);
    }
    REQUIRE(ticks.size() == 12);
    CHECK(ticks.front() == "tick-4");
    CHECK(ticks.back() == "tick-15");
    // No tick lost or repeated while the files rotated underneath.
    for (std::size_t i = 1; i < ticks.size(); ++i) {
        CHECK(std::stoi(ticks[i].substr(5)) == std::stoi(ticks[i - 1].substr(5)) + 1);
    }
    CHECK(::access((handle.log_path + ".2").c_str(), F_OK) == 0);
}

TEST_CASE("LocalRunner exec runs in the agent's workdir and environment, with a timeout", "[local]") {
    TempDir dir;
    ProcessGuard guard;
    LocalRunner runner(context_in(dir));
    LaunchRecord record;
    record.request = request_for(dir, "a", {"sleep", "30"}, {env("EXEC_TEST_VALUE", "seen")});
    write_launch_record(record);  // as the deployer does before the start
    auto outcomes = runner.start({record.request});
    guard_all(guard, outcomes);
    REQUIRE(outcomes.at(0).started);
    const InstanceHandle& handle = outcomes[0].handle;

    auto result = runner.exec(handle, {"sh", "-c", "pwd; echo \"$EXEC_TEST_VALUE\"; exit 5"}, Millis(5000));
    CHECK(result.exit_status == 5);
    CHECK_FALSE(result.timed_out);
    CHECK(result.output == dir.path() + "\nseen\n");

    auto started = std::chrono::steady_clock::now();
    auto slow = runner.exec(handle, {"sleep", "10"}, Millis(200));
    CHECK(slow.timed_out);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));

    auto chatty = runner.exec(handle, {"sh", "-c", "head -c 10000 /dev/zero | tr '\\0' y"}, Millis(5000));
    CHECK(chatty.exit_status == 0);
    CHECK(chatty.output == std::string(4096, 'y'));

    auto missing = runner.exec(handle, {"./no-such-check"}, Millis(5000));
    CHECK(missing.exit_status == 127);
    CHECK(missing.output == "exec ./no-such-check: No such file or directory");
}

TEST_CASE("LocalRunner starts 50 agents in one batch", "[local]") {
    TempDir dir;
    ProcessGuard guard;
    LocalRunner runner(context_in(dir));
    std::vector<LaunchRequest> requests;
    for (int i = 0; i < 50; ++i) requests.push_back(request_for(dir, "agent-" + std::to_string(i), {"sleep", "60"}));
    auto started = std::chrono::steady_clock::now();
    auto outcomes = runner.start(requests);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    guard_all(guard, outcomes);
    WARN("LocalRunner: 50 agents started (handshakes read) in " << took.count() << " ms");
    std::set<int> pids;
    for (const auto& outcome : outcomes) {
        INFO(outcome.error);
        CHECK(outcome.started);
        CHECK(agentctl::util::process_matches(outcome.handle.agent));
        pids.insert(outcome.handle.agent.pid);
    }
    CHECK(pids.size() == 50);
    CHECK(took < std::chrono::seconds(10));

    auto stopping = std::chrono::steady_clock::now();
    for (const auto& outcome : outcomes) CHECK(runner.stop(outcome.handle, StopOptions{}).stopped);
    auto stop_took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - stopping);
    WARN("LocalRunner: 50 agents stopped one by one in " << stop_took.count() << " ms");
}

TEST_CASE("LocalRunner follows an agent its shim restarted, and stop ends it for good", "[local][restart]") {
    TempDir dir;
    ProcessGuard guard;
    LocalRunner runner(context_in(dir));
    LaunchRequest request = request_for(dir, "a", {"sleep", "30"});
    request.restart.policy = agentctl::spec::RestartPolicy::on_failure;
    request.restart.backoff = agentctl::util::Millis(50);
    auto outcomes = runner.start({request});
    guard_all(guard, outcomes);
    REQUIRE(outcomes.at(0).started);
    const InstanceHandle& handle = outcomes[0].handle;
    REQUIRE(::kill(handle.agent.pid, SIGKILL) == 0);

    agentctl::runners::Inspection seen;
    REQUIRE(agentctl::test::eventually([&] {
        seen = runner.inspect(handle);
        return seen.liveness == Liveness::running && seen.restarts == 1;
    }));
    CHECK(seen.agent.pid != handle.agent.pid);
    CHECK(agentctl::util::process_matches(seen.agent));
    guard.add_group(seen.agent);
    CHECK(seen.last_exit_status == 137);
    REQUIRE(seen.exits.size() == 1);
    CHECK(seen.exits[0].action == "restart");
    CHECK(seen.exits[0].new_pid == seen.agent.pid);

    // The recorded (old) handle is enough to stop the new agent; the stop is not undone.
    auto outcome = runner.stop(handle, StopOptions{});
    CHECK(outcome.stopped);
    CHECK_FALSE(agentctl::util::process_matches(seen.agent));
    CHECK(agentctl::test::eventually([&] { return !agentctl::util::process_matches(handle.shim); }));
    auto after = runner.inspect(handle);
    CHECK(after.liveness == Liveness::exited);
    CHECK(after.restarts == 1);
    CHECK(after.exits.back().action == "stop");
}

TEST_CASE("LocalRunner stop of an agent waiting out its restart backoff ends its shim at once", "[local][restart]") {
    TempDir dir;
    ProcessGuard guard;
    LocalRunner runner(context_in(dir));
    LaunchRequest request = request_for(dir, "a", {"sleep", "30"});
    request.restart.policy = agentctl::spec::RestartPolicy::always;
    request.restart.backoff = agentctl::util::Millis(20000);
    request.restart.max_backoff = agentctl::util::Millis(20000);
    auto outcomes = runner.start({request});
    guard_all(guard, outcomes);
    REQUIRE(outcomes.at(0).started);
    const InstanceHandle& handle = outcomes[0].handle;
    REQUIRE(::kill(handle.agent.pid, SIGKILL) == 0);
    REQUIRE(agentctl::test::eventually([&] { return runner.inspect(handle).restarting; }));

    auto asked = std::chrono::steady_clock::now();
    auto outcome = runner.stop(handle, StopOptions{});
    CHECK(outcome.stopped);
    CHECK(outcome.message == "stopped while waiting to restart");
    CHECK(std::chrono::steady_clock::now() - asked < std::chrono::seconds(3));
    CHECK_FALSE(agentctl::util::process_matches(handle.shim));
    auto after = runner.inspect(handle);
    CHECK(after.liveness == Liveness::exited);
    CHECK_FALSE(after.restarting);
    CHECK(after.restarts == 0);
}
