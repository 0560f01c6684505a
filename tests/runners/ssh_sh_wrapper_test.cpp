// The POSIX sh stand-in for agentctl-shim (ssh_sh_wrapper.hpp), started by the real launch
// script under this machine's /bin/sh as on a host of another architecture: handshake, status
// file at start and exit, log, signal forwarding, refusal of restart policies.

#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "runners/local_exec.hpp"
#include "runners/shim_handshake.hpp"
#include "runners/shim_status.hpp"
#include "runners/ssh_scripts.hpp"
#include "runners/ssh_sh_wrapper.hpp"
#include "util/process.hpp"

using namespace agentctl::runners;

namespace {

// A remote state dir with the wrapper installed, as SshRunner leaves it on a host.
struct WrapperHost {
    std::filesystem::path dir;
    std::vector<int> started;  ///< wrapper and agent pids, killed at the end whatever happens
    WrapperHost() {
        char pattern[] = "/tmp/agentctl-shwrap-XXXXXX";
        dir = ::mkdtemp(pattern);
        std::filesystem::create_directories(dir / "agentctl/bin");
        const auto wrapper = dir / "agentctl/bin" / sh_wrapper_name();
        std::ofstream(wrapper) << sh_wrapper_text();
        std::filesystem::permissions(wrapper, std::filesystem::perms::owner_all);
    }
    ~WrapperHost() {
        for (int pid : started) ::kill(pid, SIGKILL);
        std::filesystem::remove_all(dir);
    }

    // Runs the launch script for one agent; returns its handshake.
    Handshake launch(const std::vector<std::string>& argv,
                     agentctl::spec::RestartPolicy policy = agentctl::spec::RestartPolicy::no) {
        RemoteLaunch launch;
        launch.run_dir = "job/a/r1";
        launch.log_path = "job/a/agent.log";
        launch.argv = argv;
        launch.environment = {{"GREETING", "it's \"quoted\"", true, {}}};
        launch.restart.policy = policy;
        LocalCommand command;
        command.argv = {"/bin/sh", "-c", launch_script("bin/" + sh_wrapper_name(), {launch})};
        command.environment = {{"XDG_STATE_HOME", dir.string(), false, {}}};
        ExecResult result = run_local_command(command);
        REQUIRE(result.exit_status == 0);
        Handshake handshake = parse_handshake(parse_launch(result.output, 1)[0]);
        if (handshake.kind == Handshake::Kind::ok) {
            started.push_back(handshake.agent.pid);
            started.push_back(handshake.shim.pid);
        }
        return handshake;
    }

    std::string status_path() const { return (dir / "agentctl/job/a/r1/status.json").string(); }

    // The status file once it says "exited" (5 s at most).
    std::optional<ShimStatus> exited_status() const {
        for (int i = 0; i < 250; ++i) {
            auto status = read_shim_status(status_path());
            if (status && status->exited) return status;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return std::nullopt;
    }

    std::string log() const {
        std::ifstream in(dir / "agentctl/job/a/agent.log");
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }
};

}  // namespace

TEST_CASE("sh wrapper: handshake with pids and start times, environment, log and exit status", "[ssh][wrapper]") {
    WrapperHost host;
    Handshake handshake = host.launch({"sh", "-c", "echo \"hello $GREETING\"; sleep 0.3; exit 3"});
    REQUIRE(handshake.kind == Handshake::Kind::ok);
    // pid + start time as the shim reports them (field 22 of /proc/PID/stat).
    auto agent = agentctl::util::process_ref(handshake.agent.pid);
    REQUIRE(agent);
    CHECK(agent->start_time == handshake.agent.start_time);
    auto wrapper = agentctl::util::process_ref(handshake.shim.pid);
    REQUIRE(wrapper);
    CHECK(wrapper->start_time == handshake.shim.start_time);
    // The agent leads its own session and process group (stop signals the group).
    CHECK(::getpgid(handshake.agent.pid) == handshake.agent.pid);
    CHECK(::getsid(handshake.agent.pid) == handshake.agent.pid);
    auto running = read_shim_status(host.status_path());
    REQUIRE(running);
    CHECK_FALSE(running->exited);
    CHECK(running->agent.pid == handshake.agent.pid);
    CHECK(running->shim.pid == handshake.shim.pid);

    auto exited = host.exited_status();
    REQUIRE(exited);
    CHECK(exited->exit_status == 3);
    CHECK_FALSE(exited->signal);
    REQUIRE(exited->history.size() == 1);
    CHECK(exited->history[0].action == "none");
    CHECK(host.log().find("hello it's \"quoted\"\n") != std::string::npos);
}

TEST_CASE("sh wrapper: a killed agent is recorded as 128 + signal, and TERM to the wrapper reaches the agent",
          "[ssh][wrapper]") {
    {
        WrapperHost host;
        Handshake handshake = host.launch({"sleep", "30"});
        REQUIRE(handshake.kind == Handshake::Kind::ok);
        ::kill(handshake.agent.pid, SIGKILL);
        auto exited = host.exited_status();
        REQUIRE(exited);
        CHECK(exited->exit_status == 137);
        CHECK(exited->signal == 9);
    }
    {
        WrapperHost host;
        Handshake handshake = host.launch({"sleep", "30"});
        REQUIRE(handshake.kind == Handshake::Kind::ok);
        ::kill(handshake.shim.pid, SIGTERM);
        auto exited = host.exited_status();
        REQUIRE(exited);
        CHECK(exited->exit_status == 143);
        CHECK(exited->signal == 15);
    }
}

TEST_CASE("sh wrapper: a restart policy or a missing command is refused like a failed start", "[ssh][wrapper]") {
    WrapperHost host;
    Handshake refused = host.launch({"sleep", "30"}, agentctl::spec::RestartPolicy::on_failure);
    REQUIRE(refused.kind == Handshake::Kind::error);
    CHECK(refused.message == "restart policy on-failure is not supported by the sh wrapper");
    Handshake missing = host.launch({"no-such-command-4711"});
    REQUIRE(missing.kind == Handshake::Kind::error);
    CHECK(missing.message == "no-such-command-4711: command not found");
    auto status = read_shim_status(host.status_path());
    REQUIRE(status);
    CHECK(status->exited);
    CHECK(status->exit_status == 127);
    CHECK(status->error == "no-such-command-4711: command not found");
}

TEST_CASE("sh wrapper: restart policies are refused for hosts that need it, naming host and arch", "[ssh][wrapper]") {
    agentctl::spec::RestartSpec restart;
    CHECK(sh_wrapper_refusal(restart, "h1", "aarch64").empty());
    restart.policy = agentctl::spec::RestartPolicy::always;
    CHECK(sh_wrapper_refusal(restart, "h1", "aarch64").rfind(
              "restart policy always is not supported on h1: it is aarch64, where a POSIX sh wrapper", 0) == 0);
}
