// The deployer's per-instance launch record (<run_dir>/instance.json): what stop, restart and
// rollback act on without the job file.

#include "runners/launch_record.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>
#include <string>

#include "state/state_test_support.hpp"
#include "util/errors.hpp"

using agentctl::runners::LaunchRecord;
using agentctl::runners::read_launch_record;
using agentctl::runners::write_launch_record;
using agentctl::state::testing::TempDir;
using Millis = std::chrono::milliseconds;
namespace spec = agentctl::spec;

namespace {

// A record with every field away from its default, so that a field the file forgets shows.
LaunchRecord full_record(const std::string& run_dir) {
    LaunchRecord record;
    auto& r = record.request;
    r.job = "travel";
    r.agent = "weather";
    r.instance = "weather@h2";
    r.target = spec::Target::remote;
    r.host = "h2";
    r.argv = {"./serve", "--port", "9001", "quote\" and \\ backslash"};
    r.environment = {{"AGENT_PORT", "9001", false, {}}, {"API_KEY", "s3cr3t", true, {}}};
    r.workdir = "/srv/agents";
    r.run_dir = run_dir;
    r.log_path = "/state/logs/travel/weather@h2.log";
    r.stop.signal = "SIGINT";
    r.stop.timeout = Millis(2500);
    r.restart.policy = spec::RestartPolicy::on_failure;
    r.restart.max_restarts = 7;
    r.restart.backoff = Millis(1500);
    r.restart.max_backoff = Millis(30000);
    record.health.kind = spec::HealthKind::exec;
    record.health.http_path = "/ready";
    record.health.exec = {"curl", "-f", "localhost:9001"};
    record.health.interval = Millis(750);
    record.health.timeout = Millis(1250);
    record.health.retries = 4;
    record.health.start_period = Millis(3000);
    record.url = "http://h2:9001";
    record.request.spec_hash = "abc123";
    record.revision = 5;
    record.stage = 2;
    r.port = 9001;
    r.resources.cpu = 1.5;
    r.resources.memory_bytes = 536870912;
    r.resources.memory_text = "512M";
    r.resources.gpu = 1;
    auto& d = r.deployment;
    d.target = spec::Target::remote;
    d.target_text = "ssh";
    d.host = "gpu-box";
    d.hosts = {{"h1", {}}, {"h2", {}}};
    d.user = "deploy";
    d.port = 2222;
    d.ssh_key = "/keys/id_ed25519";
    d.password = spec::EnvVar{"SSH_PASSWORD", "hunter2", true, {}};
    d.files = {{"/jobs/model.bin", "/srv/model.bin", 0640, {}}, {"/jobs/a.conf", "/srv/a.conf", std::nullopt, {}}};
    d.ssh_timeout = Millis(12000);
    d.image = "busybox:test";
    d.network = "travel-net";
    d.container_name = "travel-weather";
    d.volumes = {"/data:/data:ro"};
    d.publish = "127.0.0.1:19001";
    d.advertise = "10.0.0.5";
    return record;
}

}  // namespace

TEST_CASE("a launch record round-trips field by field", "[launch_file]") {
    TempDir dir;
    write_launch_record(full_record(dir.path()));

    auto read = read_launch_record(dir.path());
    REQUIRE(read);
    const auto& r = read->request;
    CHECK(r.job == "travel");
    CHECK(r.agent == "weather");
    CHECK(r.instance == "weather@h2");
    CHECK(r.target == spec::Target::remote);
    CHECK(r.host == "h2");
    CHECK(r.argv == std::vector<std::string>{"./serve", "--port", "9001", "quote\" and \\ backslash"});
    REQUIRE(r.environment.size() == 2);
    CHECK(r.environment[0].name == "AGENT_PORT");
    CHECK(r.environment[0].value == "9001");
    CHECK_FALSE(r.environment[0].secret);
    CHECK(r.environment[1].name == "API_KEY");
    CHECK(r.environment[1].value == "s3cr3t");
    CHECK(r.environment[1].secret);
    CHECK(r.workdir == "/srv/agents");
    CHECK(r.run_dir == dir.path());
    CHECK(r.log_path == "/state/logs/travel/weather@h2.log");
    CHECK(r.stop.signal == "SIGINT");
    CHECK(r.stop.timeout == Millis(2500));
    CHECK(r.restart.policy == spec::RestartPolicy::on_failure);
    CHECK(r.restart.max_restarts == 7);
    CHECK(r.restart.backoff == Millis(1500));
    CHECK(r.restart.max_backoff == Millis(30000));
    CHECK(read->health.kind == spec::HealthKind::exec);
    CHECK(read->health.http_path == "/ready");
    CHECK(read->health.exec == std::vector<std::string>{"curl", "-f", "localhost:9001"});
    CHECK(read->health.interval == Millis(750));
    CHECK(read->health.timeout == Millis(1250));
    CHECK(read->health.retries == 4);
    CHECK(read->health.start_period == Millis(3000));
    CHECK(read->url == "http://h2:9001");
    CHECK(read->request.spec_hash == "abc123");
    CHECK(read->revision == 5);
    CHECK(read->stage == 2);
    CHECK(r.port == 9001);
    CHECK(r.resources.cpu == 1.5);
    CHECK(r.resources.memory_bytes == 536870912);
    CHECK(r.resources.memory_text == "512M");
    CHECK(r.resources.gpu == 1);
    const auto& d = r.deployment;
    CHECK(d.target == spec::Target::remote);
    CHECK(d.target_text == "ssh");
    CHECK(d.host == "gpu-box");
    REQUIRE(d.hosts.size() == 2);
    CHECK(d.hosts[1].id == "h2");
    CHECK(d.user == "deploy");
    CHECK(d.port == 2222);
    CHECK(d.ssh_key == "/keys/id_ed25519");
    REQUIRE(d.password);
    CHECK(d.password->name == "SSH_PASSWORD");
    CHECK(d.password->value == "hunter2");
    CHECK(d.password->secret);
    REQUIRE(d.files.size() == 2);
    CHECK(d.files[0].dest == "/srv/model.bin");
    CHECK(d.files[0].mode == 0640);
    CHECK_FALSE(d.files[1].mode);
    CHECK(d.ssh_timeout == Millis(12000));
    CHECK(d.image == "busybox:test");
    CHECK(d.network == "travel-net");
    CHECK(d.container_name == "travel-weather");
    CHECK(d.volumes == std::vector<std::string>{"/data:/data:ro"});
    CHECK(d.publish == "127.0.0.1:19001");
    CHECK(d.advertise == "10.0.0.5");
}

TEST_CASE("every health kind and restart policy survives the file", "[launch_file]") {
    TempDir dir;
    const std::vector<spec::HealthKind> kinds{spec::HealthKind::http, spec::HealthKind::tcp, spec::HealthKind::exec,
                                              spec::HealthKind::none};
    const std::vector<spec::RestartPolicy> policies{spec::RestartPolicy::no, spec::RestartPolicy::on_failure,
                                                    spec::RestartPolicy::always, spec::RestartPolicy::no};
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        LaunchRecord record = full_record(dir.path());
        record.health.kind = kinds[i];
        record.request.restart.policy = policies[i];
        record.request.target = i % 2 ? spec::Target::container : spec::Target::localhost;
        write_launch_record(record);
        auto read = read_launch_record(dir.path());
        REQUIRE(read);
        CHECK(read->health.kind == kinds[i]);
        CHECK(read->request.restart.policy == policies[i]);
        CHECK(read->request.target == (i % 2 ? spec::Target::container : spec::Target::localhost));
    }
}

TEST_CASE("a launch record is owner-only and replaces the previous one", "[launch_file]") {
    TempDir dir;
    LaunchRecord record = full_record(dir.path());
    write_launch_record(record);
    record.revision = 6;
    write_launch_record(record);

    struct stat info {};
    REQUIRE(::stat((dir.path() + "/instance.json").c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);
    // No temporary file is left behind.
    CHECK(::stat((dir.path() + "/instance.json.tmp").c_str(), &info) != 0);
    auto read = read_launch_record(dir.path());
    REQUIRE(read);
    CHECK(read->revision == 6);
}

TEST_CASE("a launch record creates its missing run dir owner-only", "[launch_file]") {
    TempDir dir;
    const std::string run_dir = dir.path() + "/run/travel/weather/r1";
    write_launch_record(full_record(run_dir));

    struct stat info {};
    REQUIRE(::stat(run_dir.c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0700);
    auto read = read_launch_record(run_dir);
    REQUIRE(read);
    CHECK(read->request.instance == "weather@h2");
}

TEST_CASE("a run dir that cannot be created is an operation error", "[launch_file]") {
    TempDir dir;
    std::ofstream(dir.path() + "/plain-file") << "not a directory\n";
    CHECK_THROWS_AS(write_launch_record(full_record(dir.path() + "/plain-file/r1")), agentctl::util::OperationError);
}

TEST_CASE("a missing or corrupt launch record reads as nothing", "[launch_file]") {
    TempDir dir;
    SECTION("missing") {
        CHECK_FALSE(read_launch_record(dir.path()));
        CHECK_FALSE(read_launch_record(dir.path() + "/no/such/dir"));
    }
    SECTION("not JSON") {
        std::ofstream(dir.path() + "/instance.json") << "{ this is not json";
        CHECK_FALSE(read_launch_record(dir.path()));
    }
    SECTION("JSON without the fields") {
        std::ofstream(dir.path() + "/instance.json") << R"({"version": 1, "job": "travel"})";
        CHECK_FALSE(read_launch_record(dir.path()));
    }
    SECTION("a field of the wrong type") {
        write_launch_record(full_record(dir.path()));
        std::ifstream in(dir.path() + "/instance.json");
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        auto at = text.find("\"revision\": 5");
        REQUIRE(at != std::string::npos);
        text.replace(at, 13, "\"revision\": \"five\"");
        std::ofstream(dir.path() + "/instance.json") << text;
        CHECK_FALSE(read_launch_record(dir.path()));
    }
}

TEST_CASE("a health check survives its one-line form, and bad or empty text reads as nothing", "[launch_file]") {
    spec::HealthSpec health;
    health.kind = spec::HealthKind::exec;
    health.exec = {"test", "-f", "/tmp/ready"};
    health.timeout = Millis(750);
    health.retries = 6;
    std::string text = agentctl::runners::health_check_text(health);
    CHECK(text.find('\n') == std::string::npos);
    auto back = agentctl::runners::parse_health_check(text);
    REQUIRE(back);
    CHECK(back->kind == spec::HealthKind::exec);
    CHECK(back->exec == std::vector<std::string>{"test", "-f", "/tmp/ready"});
    CHECK(back->timeout == Millis(750));
    CHECK(back->retries == 6);
    CHECK_FALSE(agentctl::runners::parse_health_check(""));
    CHECK_FALSE(agentctl::runners::parse_health_check("{\"kind\": 3"));
    CHECK_FALSE(agentctl::runners::parse_health_check("{}"));
}
