// The launch file LocalRunner keeps in each run dir.

#include "runners/launch_file.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "runners/runner_test_support.hpp"

using agentctl::runners::launch_file_path;
using agentctl::runners::LaunchRecord;
using agentctl::runners::read_launch_file;
using agentctl::runners::write_launch_file;

TEST_CASE("launch files round-trip and are owner-only", "[launch]") {
    agentctl::test::TempDir dir;
    LaunchRecord record;
    record.job = "demo";
    record.agent = "weather";
    record.instance = "weather";
    record.argv = {"python3", "-m", "agents.weather"};
    agentctl::spec::EnvVar plain;
    plain.name = "LOG_LEVEL";
    plain.value = "INFO";
    agentctl::spec::EnvVar secret;
    secret.name = "API_KEY";
    secret.value = "quote\" and \\ backslash";
    secret.secret = true;
    record.environment = {plain, secret};
    record.workdir = "/srv/agents";
    record.run_dir = dir.path();
    record.log_path = "/var/log/weather.log";
    record.status_path = dir / "status.json";
    record.log_max_bytes = 1000;
    record.log_keep = 2;
    record.stop.signal = "SIGINT";
    record.stop.timeout = std::chrono::milliseconds(2500);
    record.restart.policy = agentctl::spec::RestartPolicy::on_failure;
    record.restart.max_restarts = 7;

    std::string path = launch_file_path(dir.path());
    CHECK(path == dir / "launch.json");
    write_launch_file(path, record);
    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);

    auto read = read_launch_file(path);
    REQUIRE(read.has_value());
    CHECK(read->argv == std::vector<std::string>{"python3", "-m", "agents.weather"});
    REQUIRE(read->environment.size() == 2);
    CHECK(read->environment[1].name == "API_KEY");
    CHECK(read->environment[1].value == "quote\" and \\ backslash");
    CHECK(read->environment[1].secret);
    CHECK_FALSE(read->environment[0].secret);
    CHECK(read->workdir == "/srv/agents");
    CHECK(read->log_keep == 2);
    CHECK(read->stop.signal == "SIGINT");
    CHECK(read->stop.timeout.count() == 2500);
    CHECK(read->restart.policy == agentctl::spec::RestartPolicy::on_failure);
    CHECK(read->restart.max_restarts == 7);
}

TEST_CASE("read_launch_file refuses what is not a launch file", "[launch]") {
    agentctl::test::TempDir dir;
    CHECK_FALSE(read_launch_file(dir / "absent.json"));
    std::ofstream(dir / "bad.json") << "{\"version\":1}";
    CHECK_FALSE(read_launch_file(dir / "bad.json"));
}
