// make_runner's kind -> factory table, and the dry-run runner.

#include <catch2/catch.hpp>

#include "runners/docker_runner.hpp"
#include "runners/dry_run_runner.hpp"
#include "runners/local_runner.hpp"
#include "runners/runner.hpp"
#include "runners/ssh_runner.hpp"
#include "util/errors.hpp"

using agentctl::runners::DryRunRunner;
using agentctl::runners::LocalRunner;
using agentctl::runners::make_runner;
using agentctl::runners::RunnerContext;
using agentctl::spec::Target;

TEST_CASE("make_runner: localhost is the local runner", "[registry]") {
    RunnerContext context;
    context.shim_path = "/usr/bin/agentctl-shim";
    auto runner = make_runner(Target::localhost, context);
    CHECK(dynamic_cast<LocalRunner*>(runner.get()) != nullptr);
}

TEST_CASE("make_runner: remote is the SSH runner", "[registry]") {
    RunnerContext context;
    auto runner = make_runner(Target::remote, context);
    CHECK(dynamic_cast<agentctl::runners::SshRunner*>(runner.get()) != nullptr);
}

TEST_CASE("make_runner: a dry run gets the dry-run runner for every target", "[registry]") {
    RunnerContext context;
    context.dry_run = true;
    for (Target target : {Target::localhost, Target::remote, Target::container, Target::kubernetes}) {
        auto runner = make_runner(target, context);
        auto* dry = dynamic_cast<DryRunRunner*>(runner.get());
        REQUIRE(dry != nullptr);
        CHECK(dry->target() == target);
    }
}

TEST_CASE("make_runner: container is the Docker runner", "[registry]") {
    auto runner = make_runner(Target::container, RunnerContext{});
    CHECK(dynamic_cast<agentctl::runners::DockerRunner*>(runner.get()) != nullptr);
}

TEST_CASE("make_runner: targets without a runner yet are refused by name", "[registry]") {
    RunnerContext context;
    CHECK_THROWS_AS(make_runner(Target::kubernetes, context), agentctl::util::OperationError);
}

TEST_CASE("DryRunRunner records what it would do and starts nothing", "[registry]") {
    DryRunRunner runner;
    agentctl::runners::LaunchRequest request;
    request.instance = "weather";
    request.argv = {"python3", "-m", "agents.weather"};
    agentctl::spec::EnvVar secret;
    secret.name = "API_KEY";
    secret.value = "hunter2";
    secret.secret = true;
    request.environment = {secret};
    auto outcomes = runner.start({request});
    REQUIRE(outcomes.size() == 1);
    CHECK(outcomes[0].started);
    CHECK(outcomes[0].handle.agent.empty());
    CHECK(outcomes[0].handle.shim.empty());

    agentctl::runners::StopOptions stop;
    stop.signal = "SIGINT";
    CHECK(runner.stop(outcomes[0].handle, stop).stopped);
    CHECK(runner.inspect(outcomes[0].handle).liveness == agentctl::runners::Liveness::running);

    auto actions = runner.actions();
    REQUIRE(actions.size() == 3);
    CHECK(actions[0].verb == "start");
    CHECK(actions[0].instance == "weather");
    CHECK(actions[0].detail == "python3 -m agents.weather (environment: API_KEY)");
    CHECK(actions[1].verb == "stop");
    CHECK(actions[1].detail == "SIGINT");
    CHECK(actions[2].verb == "inspect");
    for (const auto& action : actions) CHECK(action.detail.find("hunter2") == std::string::npos);
}
