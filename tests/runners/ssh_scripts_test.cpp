// The SSH runner's remote scripts, run by this machine's real /bin/sh (what an SSH host's
// shell does with them), with the remote state dir pointed at a temporary directory.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "runners/local_exec.hpp"
#include "runners/ssh_runner_support.hpp"
#include "runners/ssh_scripts.hpp"
#include "util/process.hpp"

using namespace agentctl::runners;

namespace {

struct TempState {
    std::filesystem::path dir;
    TempState() {
        char pattern[] = "/tmp/agentctl-ssh-scripts-XXXXXX";
        dir = ::mkdtemp(pattern);
    }
    ~TempState() { std::filesystem::remove_all(dir); }
};

std::string run_sh(const std::string& script, const TempState& state) {
    LocalCommand command;
    command.argv = {"/bin/sh", "-c", script};
    command.environment = {{"XDG_STATE_HOME", state.dir.string(), false, {}}};
    command.max_output = 1 << 16;
    ExecResult result = run_local_command(command);
    REQUIRE(result.exit_status == 0);
    return result.output;
}

}  // namespace

TEST_CASE("env_file_text: hostile values survive sourcing by sh byte-exact", "[ssh_scripts]") {
    TempState state;
    const std::string hostile = "it's \"q\" $(touch PWNED) `touch PWNED2` ; echo x\nline2 \xc3\xbc \\ $HOME";
    std::ofstream(state.dir / "env") << env_file_text({{"ODD", hostile, true, {}}, {"PLAIN", "v", false, {}}});
    std::string out = run_sh("cd " + state.dir.string() + " && set -a && . ./env && printf '%s|%s' \"$ODD\" \"$PLAIN\"", state);
    CHECK(out == hostile + "|v");
    CHECK_FALSE(std::filesystem::exists(state.dir / "PWNED"));
    CHECK_FALSE(std::filesystem::exists(state.dir / "PWNED2"));
}

TEST_CASE("inspect_script: alive, reused and gone, by pid and start time", "[ssh_scripts]") {
    TempState state;
    auto self = agentctl::util::process_ref(::getpid());
    REQUIRE(self);
    std::filesystem::create_directories(state.dir / "agentctl/job/a/r1");
    std::ofstream(state.dir / "agentctl/job/a/r1/status.json") << "{\"version\":1}";
    agentctl::util::ProcessRef other{self->pid, self->start_time + 1};
    agentctl::util::ProcessRef none{999999, 1};
    std::string out = run_sh(inspect_script({{*self, none, "job/a/r1/status.json"},
                                             {other, none, "job/a/r1/status.json"},
                                             {none, none, "job/b/r1/status.json"}}),
                             state);
    auto answer = parse_answer(out);
    CHECK(answer["i0"] == "alive");
    CHECK(answer["s0"] == "{\"version\":1}");
    CHECK(answer["i1"] == "reused");
    CHECK(answer["i2"] == "gone");
    CHECK(answer["s2"].empty());
}

TEST_CASE("launch_script: starts nothing and says so when the shim is missing", "[ssh_scripts]") {
    TempState state;
    RemoteLaunch launch;
    launch.run_dir = "job/a/r1";
    launch.log_path = "job/a/agent.log";
    launch.argv = {"touch", (state.dir / "STARTED").string()};
    std::string out = run_sh(launch_script("bin/agentctl-shim-x", {launch}), state);
    CHECK(parse_answer(out).count("noshim") == 1);
    CHECK_FALSE(std::filesystem::exists(state.dir / "agentctl/job/a/r1"));
}

TEST_CASE("probe_script: arch, absolute state dir, shim presence and file hashes", "[ssh_scripts]") {
    TempState state;
    std::filesystem::create_directories(state.dir / "agentctl/bin");
    std::ofstream(state.dir / "agentctl/bin/agentctl-shim-x") << "#!/bin/sh\n";
    std::filesystem::permissions(state.dir / "agentctl/bin/agentctl-shim-x", std::filesystem::perms::owner_all);
    std::ofstream(state.dir / "hello.txt") << "hello\n";
    ProbeRequest request;
    request.shim_name = "agentctl-shim-x";
    request.file_dests = {(state.dir / "hello.txt").string(), (state.dir / "missing.txt").string()};
    auto probe = parse_probe(run_sh(probe_script(request), state), request);
    REQUIRE(probe);
    CHECK_FALSE(probe->arch.empty());
    CHECK(probe->state_dir == (state.dir / "agentctl").string());
    CHECK(probe->shim_present);
    // sha256 of "hello\n", as sha256sum prints it.
    CHECK(probe->file_hashes[0] == "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
    CHECK(probe->file_hashes[1].empty());
}

TEST_CASE("parse_answer: only AGENTCTL lines count, noise from a login shell is ignored", "[ssh_scripts]") {
    auto answer = parse_answer("Welcome!\nAGENTCTL state /x y\nAGENTCTL state /other\nAGENTCTL flag\nxAGENTCTL bad 1\n");
    CHECK(answer.size() == 2);
    CHECK(answer["state"] == "/x y");
    CHECK(answer["flag"].empty());
}

TEST_CASE("preflight_script: workdir, command on PATH, executable file, interpreter and module", "[ssh_scripts]") {
    TempState state;
    std::filesystem::create_directories(state.dir / "pkg");
    std::ofstream(state.dir / "pkg/__init__.py") << "";
    std::ofstream(state.dir / "plain.txt") << "x";
    const std::string dir = state.dir.string();
    std::string out = run_sh(preflight_script({{dir, {"sh", "-c", "true"}},
                                               {dir + "/nope", {"sh"}},
                                               {dir, {"no-such-command-4711"}},
                                               {dir, {"./plain.txt"}},
                                               {dir, {"/usr/bin/python3", "-m", "pkg"}},
                                               {dir, {"/usr/bin/python3", "-m", "no_such_module_4711"}},
                                               {dir, {"no-python-4711", "-m", "pkg"}}}),
                             state);
    auto answer = parse_answer(out);
    CHECK(answer["arch"] == local_arch());
    CHECK(answer.count("check0") == 0);
    CHECK(answer["check1"] == "working directory " + dir + "/nope does not exist");
    CHECK(answer["check2"] == "command no-such-command-4711 not found on PATH");
    CHECK(answer["check3"] == "./plain.txt is not an executable file");
    CHECK(answer.count("check4") == 0);
    CHECK(answer["check5"] == "module no_such_module_4711 cannot be imported by /usr/bin/python3");
    CHECK(answer["check6"] == "interpreter no-python-4711 not found on PATH");
}

TEST_CASE("launch_script: the remote shim gets the restart policy and a fresh stop file", "[ssh_scripts]") {
    TempState state;
    // A stand-in shim that writes down its arguments, one a line, and answers no handshake.
    std::filesystem::create_directories(state.dir / "agentctl/bin");
    const auto args_file = state.dir / "args.txt";
    std::ofstream(state.dir / "agentctl/bin/agentctl-shim-x") << "#!/bin/sh\nprintf '%s\\n' \"$@\" > '"
                                                              << args_file.string() << "'\n";
    std::filesystem::permissions(state.dir / "agentctl/bin/agentctl-shim-x", std::filesystem::perms::owner_all);
    std::filesystem::create_directories(state.dir / "agentctl/job/a/r1");
    std::ofstream(state.dir / "agentctl/job/a/r1/stop-requested") << "";  // left by an earlier stop
    RemoteLaunch launch;
    launch.run_dir = "job/a/r1";
    launch.log_path = "job/a/agent.log";
    launch.argv = {"my agent"};
    launch.restart.policy = agentctl::spec::RestartPolicy::on_failure;
    launch.restart.max_restarts = 3;
    launch.restart.backoff = std::chrono::milliseconds(250);
    launch.restart.max_backoff = std::chrono::milliseconds(4000);
    run_sh(launch_script("bin/agentctl-shim-x", {launch}), state);
    std::ifstream in(args_file);
    std::stringstream text;
    text << in.rdbuf();
    const std::string rd = (state.dir / "agentctl/job/a/r1").string();
    CHECK(text.str() == "--log\n" + (state.dir / "agentctl/job/a/agent.log").string() + "\n--status\n" + rd +
                            "/status.json\n--log-max-bytes\n10485760\n--log-keep\n3\n--restart\non-failure\n"
                            "--max-restarts\n3\n--backoff-ms\n250\n--max-backoff-ms\n4000\n--stop-file\n" + rd +
                            "/stop-requested\n--\nmy agent\n");
    CHECK_FALSE(std::filesystem::exists(rd + "/stop-requested"));
}

TEST_CASE("inspect_script: the shim's state and the live start time of the agent its status names", "[ssh_scripts]") {
    TempState state;
    auto self = agentctl::util::process_ref(::getpid());
    REQUIRE(self);
    agentctl::util::ProcessRef gone{999999, 1};
    std::filesystem::create_directories(state.dir / "agentctl/job/a/r1");
    std::filesystem::create_directories(state.dir / "agentctl/job/b/r1");
    const std::string pid = std::to_string(self->pid);
    // A restarted agent (this process) named by the status file.
    std::ofstream(state.dir / "agentctl/job/a/r1/status.json")
        << "{\"version\":1,\"shim_pid\":" << pid << ",\"shim_start\":" << self->start_time
        << ",\"agent_pid\":" << pid << ",\"agent_start\":5,\"state\":\"running\"}";
    // Hostile text further on never counts as the agent pid.
    std::ofstream(state.dir / "agentctl/job/b/r1/status.json")
        << "{\"version\":1,\"shim_pid\":1,\"shim_start\":1,\"agent_pid\":999999,\"agent_start\":5,"
        << "\"error\":\"\\\"agent_pid\\\":" << pid << ",$(touch PWNED)\"}";
    std::string out = run_sh(inspect_script({{gone, *self, "job/a/r1/status.json"},
                                             {gone, gone, "job/b/r1/status.json"},
                                             {gone, gone, "job/c/r1/status.json"}}),
                             state);
    auto answer = parse_answer(out);
    CHECK(answer["i0"] == "gone");
    CHECK(answer["h0"] == "alive");
    CHECK(answer["c0"] == pid + " " + std::to_string(self->start_time));
    CHECK(answer["h1"] == "gone");
    CHECK(answer["c1"] == "999999 ");
    CHECK(answer.count("c2") == 0);
    CHECK_FALSE(std::filesystem::exists(state.dir / "PWNED"));
}

TEST_CASE("stop_script: writes the stop request before anything else, also when the agent is gone", "[ssh_scripts]") {
    TempState state;
    std::filesystem::create_directories(state.dir / "agentctl/job/a/r1");
    agentctl::util::ProcessRef gone{999999, 1};
    auto answer = parse_answer(run_sh(stop_script(gone, gone, "TERM", std::chrono::milliseconds(100), "job/a/r1"), state));
    CHECK(answer.count("gone") == 1);
    CHECK(std::filesystem::exists(state.dir / "agentctl/job/a/r1/stop-requested"));
    // No run dir (never started there): nothing is created.
    answer = parse_answer(run_sh(stop_script(gone, gone, "TERM", std::chrono::milliseconds(100), "job/z/r1"), state));
    CHECK(answer.count("gone") == 1);
    CHECK_FALSE(std::filesystem::exists(state.dir / "agentctl/job/z"));
}
