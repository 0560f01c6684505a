// The pure parts of the Docker runner: names, the docker create argv, the env file, and what
// is parsed from the CLI's answers (literal docker outputs).

#include <catch2/catch.hpp>

#include "runners/docker_cli.hpp"
#include "runners/docker_ssh.hpp"
#include "util/errors.hpp"

namespace docker = agentctl::runners::docker;
using agentctl::runners::HostResult;
using agentctl::runners::LaunchRequest;

namespace {

LaunchRequest web_request() {
    LaunchRequest request;
    request.job = "shop";
    request.agent = "web";
    request.instance = "web";
    request.spec_hash = "abc123";
    request.port = 8080;
    request.stop.signal = "SIGINT";
    request.stop.timeout = agentctl::util::Millis(2500);
    request.deployment.image = "busybox:e2e";
    request.argv = {"/bin/busybox", "httpd", "-f", "-p", "8080"};
    return request;
}

}  // namespace

TEST_CASE("container and network names default to <job>-<agent> and agentctl-<job>", "[docker]") {
    LaunchRequest request = web_request();
    CHECK(docker::container_name(request) == "shop-web");
    CHECK(docker::network_name(request) == "agentctl-shop");
    request.deployment.container_name = "frontend";
    request.deployment.network = "backplane";
    CHECK(docker::container_name(request) == "frontend");
    CHECK(docker::network_name(request) == "backplane");
}

TEST_CASE("docker create argv: labels, network alias, host gateway, env file, resources, command", "[docker]") {
    LaunchRequest request = web_request();
    request.resources.cpu = 1.5;
    request.resources.memory_bytes = 536870912;
    request.resources.gpu = 1;
    request.deployment.volumes = {"/srv/data:/data:ro"};
    request.deployment.publish = "127.0.0.1:19000";
    std::vector<std::string> expected = {
        "create", "--name", "shop-web",
        "--label", "agentctl.job=shop", "--label", "agentctl.agent=web", "--label", "agentctl.instance=web",
        "--label", "agentctl.spec-hash=abc123", "--restart=no", "--network", "agentctl-shop",
        "--network-alias", "web", "--add-host", "host.docker.internal:host-gateway",
        "--env-file", "/state/run/web/container.env", "--stop-signal", "SIGINT", "--stop-timeout", "3",
        "--publish", "127.0.0.1:19000:8080", "--volume", "/srv/data:/data:ro",
        "--cpus", "1.5", "--memory", "536870912", "--gpus", "1",
        "busybox:e2e", "/bin/busybox", "httpd", "-f", "-p", "8080"};
    CHECK(docker::create_args(request, "/state/run/web/container.env") == expected);
}

TEST_CASE("publish defaults to 127.0.0.1:<port> and maps to config.port", "[docker]") {
    LaunchRequest request = web_request();
    CHECK(docker::publish_arg(request) == "127.0.0.1:8080:8080");
    request.deployment.publish = "19001";
    CHECK(docker::publish_arg(request) == "19001:8080");
    request.deployment.publish = "0.0.0.0:19002";
    CHECK(docker::publish_arg(request) == "0.0.0.0:19002:8080");
    request.port.reset();
    CHECK(docker::publish_arg(request) == "0.0.0.0:19002:19002");
    request.deployment.publish.clear();
    CHECK(docker::publish_arg(request).empty());
}

TEST_CASE("on a remote engine publish defaults to the address agentctl reaches the host at", "[docker]") {
    LaunchRequest request = web_request();
    CHECK(docker::publish_arg(request, "10.0.0.5") == "10.0.0.5:8080:8080");
    CHECK(docker::publish_arg(request, "") == "8080:8080");
    request.deployment.publish = "127.0.0.1:19000";
    CHECK(docker::publish_arg(request, "10.0.0.5") == "127.0.0.1:19000:8080");
}

TEST_CASE("the default publish address of a remote engine is its HostName when that is an IP", "[docker]") {
    using agentctl::runners::default_publish_address;
    CHECK(default_publish_address("10.0.0.5") == "10.0.0.5");
    CHECK(default_publish_address("127.0.0.1") == "127.0.0.1");
    CHECK(default_publish_address("fd00::5") == "[fd00::5]");
    CHECK(default_publish_address("build.example.com").empty());
    using agentctl::runners::is_loopback_address;
    CHECK(is_loopback_address("127.0.0.1"));
    CHECK(is_loopback_address("127.0.0.2"));
    CHECK(is_loopback_address("localhost"));
    CHECK(is_loopback_address("[::1]"));
    CHECK_FALSE(is_loopback_address("10.0.0.5"));
    CHECK_FALSE(is_loopback_address("0.0.0.0"));
    CHECK_FALSE(is_loopback_address(""));
}

TEST_CASE("the env file holds NAME=value lines and refuses a line break", "[docker]") {
    std::vector<agentctl::spec::EnvVar> environment = {{"A", "1", false, {}}, {"TOKEN", "x y=z", true, {}}};
    CHECK(docker::env_file_text("web", environment) == "A=1\nTOKEN=x y=z\n");
    environment.push_back({"BAD", "one\ntwo", true, {}});
    CHECK_THROWS_MATCHES(docker::env_file_text("web", environment), agentctl::util::OperationError,
                         Catch::Message("environment variable BAD of container agent 'web' holds a line break, which "
                                        "docker's --env-file cannot carry; remove the line break from its value"));
}

TEST_CASE("container state JSON", "[docker]") {
    auto exited = docker::parse_state(
        R"({"Status":"exited","Running":false,"OOMKilled":false,"ExitCode":3,"FinishedAt":"2026-12-04T15:13:45.5Z"})");
    REQUIRE(exited);
    CHECK(exited->status == "exited");
    CHECK(exited->exit_code == 3);
    REQUIRE(exited->finished_at);
    CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(exited->finished_at->time_since_epoch()).count() ==
          1796397225500LL);
    auto running = docker::parse_state(R"({"Status":"running","ExitCode":0,"FinishedAt":"0001-01-01T00:00:00Z"})");
    REQUIRE(running);
    CHECK_FALSE(running->finished_at);
    CHECK_FALSE(docker::parse_state("not json"));
}

TEST_CASE("docker logs --timestamps lines", "[docker]") {
    auto lines = docker::parse_log_lines("2026-12-04T15:13:45.123456789Z agent up\n"
                                         "2026-12-04T15:13:46.000000000Z second line\n");
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].text == "agent up");
    CHECK(lines[1].text == "second line");
    CHECK(lines[1].time - lines[0].time ==
          std::chrono::duration_cast<agentctl::runners::Clock::duration>(std::chrono::microseconds(876544)));
}

TEST_CASE("missing images and engine problems are told apart", "[docker]") {
    CHECK(docker::missing_images("Error: No such image: app:v1\nError: No such image: db:v2\n") ==
          std::vector<std::string>{"app:v1", "db:v2"});
    CHECK(docker::is_no_such("Error: No such container: shop-web"));
    // What docker 28's CLI (/usr/local/bin/docker here, reached over SSH) says instead.
    CHECK(docker::missing_images("Error response from daemon: no such image: app: No such image: app:latest\n"
                                 "Error response from daemon: no such image: db:v2: No such image: db:v2\n") ==
          std::vector<std::string>{"app", "db:v2"});
    CHECK(docker::is_no_such("Error response from daemon: network agentctl-shop not found"));
    CHECK_FALSE(docker::is_no_such("sh: 1: docker: not found"));
    CHECK_FALSE(docker::is_no_such("Error response from daemon: conflict"));

    HostResult down;
    down.exit_status = 1;
    down.err = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n";
    CHECK(docker::engine_problem(down, "127.0.0.1") ==
          "the Docker daemon is not running on this machine (Cannot connect to the Docker daemon at "
          "unix:///var/run/docker.sock. Is the docker daemon running?); start it (systemctl start docker, or dockerd) "
          "and try again");
    HostResult denied;
    denied.exit_status = 1;
    denied.err = "Got permission denied while trying to connect to the Docker daemon socket at "
                 "unix:///var/run/docker.sock: Get \"http://%2Fvar%2Frun%2Fdocker.sock/v1.24/info\": dial unix "
                 "/var/run/docker.sock: connect: permission denied\n";
    CHECK(docker::engine_problem(denied, "build1").rfind("permission denied on the Docker socket on build1 (", 0) == 0);
    CHECK(docker::engine_problem(denied, "build1").find("add this user to the 'docker' group") != std::string::npos);
    HostResult conflict;
    conflict.exit_status = 1;
    conflict.err = "Error response from daemon: Conflict. The container name \"/x\" is already in use\n";
    CHECK(docker::engine_problem(conflict, "127.0.0.1").empty());
}
