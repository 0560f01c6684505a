// agentctl-shim, driven as a real process (the built binary, AGENTCTL_SHIM_PATH).

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <cstring>
#include <regex>
#include <string>
#include <vector>

#include "runners/runner_test_support.hpp"
#include "runners/shim_status.hpp"

extern char** environ;

namespace {

using agentctl::test::eventually;
using agentctl::test::read_lines;
using agentctl::test::read_text;
using agentctl::test::stat_field;
using agentctl::test::TempDir;

// The stamp alone: std::regex recurses per character and would overflow on a 64 KiB line.
const std::regex k_stamp(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z )");

// One shim run: its pid, the handshake line, and (once waited for) its exit code.
struct ShimRun {
    int pid = -1;
    std::string handshake;
    int exit_code = -1;
    std::vector<std::string> handshake_words() const {
        std::vector<std::string> words;
        std::istringstream in(handshake);
        for (std::string word; in >> word;) words.push_back(word);
        return words;
    }
};

// Spawns the shim with `args` and `extra_env` over the test's environment; reads the handshake
// line (at most 5 s).
ShimRun run_shim(const std::vector<std::string>& args, const std::vector<std::string>& extra_env = {}) {
    std::vector<std::string> argv_storage = {AGENTCTL_SHIM_PATH};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& arg : argv_storage) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_storage;
    // An entry of `extra_env` replaces the test's own of that name (getenv finds the first).
    auto overridden = [&](const std::string& entry) {
        auto name = entry.substr(0, entry.find('=') + 1);
        return std::any_of(extra_env.begin(), extra_env.end(), [&](const std::string& e) { return e.rfind(name, 0) == 0; });
    };
    for (char** entry = environ; *entry; ++entry) {
        if (!overridden(*entry)) env_storage.emplace_back(*entry);
    }
    env_storage.insert(env_storage.end(), extra_env.begin(), extra_env.end());
    std::vector<char*> env;
    for (auto& entry : env_storage) env.push_back(entry.data());
    env.push_back(nullptr);

    int out[2];
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    ShimRun run;
    run.pid = ::fork();
    if (run.pid == 0) {
        int null_fd = ::open("/dev/null", O_RDWR);
        ::dup2(null_fd, 0);
        ::dup2(out[1], 1);
        ::dup2(null_fd, 2);
        ::execve(argv[0], argv.data(), env.data());
        ::_exit(126);
    }
    ::close(out[1]);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    char c;
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd watch{out[0], POLLIN, 0};
        if (::poll(&watch, 1, 100) <= 0) continue;
        if (::read(out[0], &c, 1) != 1 || c == '\n') break;
        run.handshake += c;
    }
    ::close(out[0]);
    return run;
}

// Waits (at most `timeout`) for the shim to exit; its exit code, or -1.
int wait_exit(ShimRun& run, std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) {
    int status = 0;
    bool done = eventually([&] { return ::waitpid(run.pid, &status, WNOHANG) == run.pid; }, timeout);
    if (!done) {
        ::kill(run.pid, SIGKILL);
        ::waitpid(run.pid, &status, 0);
        return -1;
    }
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return run.exit_code;
}

// The texts of the stamped lines of a log (every line must carry a stamp).
std::vector<std::string> log_texts(const std::string& path) {
    std::vector<std::string> texts;
    for (const auto& line : read_lines(path)) {
        REQUIRE(line.size() >= 28);
        REQUIRE(std::regex_match(line.substr(0, 28), k_stamp));
        texts.push_back(line.substr(28));
    }
    return texts;
}

// Kills the agent's group and the shim at the end of a test, whatever happened.
struct ShimCleanup {
    ShimRun& run;
    ~ShimCleanup() {
        auto words = run.handshake_words();
        if (words.size() == 5 && words[0] == "ok") {
            int agent = std::stoi(words[3]);
            if (stat_field(agent, 22) == words[4]) ::kill(-agent, SIGKILL);
        }
        if (run.exit_code < 0 && run.pid > 0) {
            ::kill(run.pid, SIGKILL);
            ::waitpid(run.pid, nullptr, 0);
        }
    }
};

}  // namespace

TEST_CASE("shim: handshake names the shim and the agent with their start times", "[shim]") {
    TempDir dir;
    ShimRun run = run_shim({"--log", dir / "a.log", "--status", dir / "status.json", "--", "sleep", "30"});
    ShimCleanup cleanup{run};
    auto words = run.handshake_words();
    REQUIRE(words.size() == 5);
    CHECK(words[0] == "ok");
    CHECK(std::stoi(words[1]) == run.pid);
    CHECK(words[2] == stat_field(run.pid, 22));
    int agent = std::stoi(words[3]);
    CHECK(words[4] == stat_field(agent, 22));
    CHECK(stat_field(agent, 4) == std::to_string(run.pid));  // the shim is the agent's parent
    CHECK(read_text("/proc/" + std::to_string(agent) + "/comm") == "sleep\n");
}

TEST_CASE("shim: the status file records a running agent", "[shim]") {
    TempDir dir;
    ShimRun run = run_shim({"--log", dir / "a.log", "--status", dir / "status.json", "--", "sleep", "30"});
    ShimCleanup cleanup{run};
    auto words = run.handshake_words();
    REQUIRE(words.size() == 5);
    std::string status = read_text(dir / "status.json");
    CHECK(status.find("\"version\":1") != std::string::npos);
    CHECK(status.find("\"shim_pid\":" + words[1] + ",") != std::string::npos);
    CHECK(status.find("\"shim_start\":" + words[2] + ",") != std::string::npos);
    CHECK(status.find("\"agent_pid\":" + words[3] + ",") != std::string::npos);
    CHECK(status.find("\"agent_start\":" + words[4] + ",") != std::string::npos);
    CHECK(status.find("\"state\":\"running\"") != std::string::npos);
    CHECK(status.find("\"exit_status\":null,\"signal\":null,\"exited_at\":null,\"error\":null") != std::string::npos);
    CHECK(std::regex_search(status, std::regex(R"("started_at":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")")));
    struct stat info {};
    REQUIRE(::stat((dir / "status.json").c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);
    REQUIRE(::stat((dir / "a.log").c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);
}

TEST_CASE("shim: stdout and stderr lines are stamped and kept in order", "[shim]") {
    TempDir dir;
    ShimRun run = run_shim({"--log", dir / "logs/job/a.log", "--status", dir / "status.json", "--", "sh", "-c",
                            "echo one; echo two >&2; echo three; echo four >&2"});
    ShimCleanup cleanup{run};
    REQUIRE(wait_exit(run) == 0);
    auto texts = log_texts(dir / "logs/job/a.log");
    REQUIRE(texts.size() == 6);
    CHECK(texts[0].rfind("[agentctl-shim] started sh as pid ", 0) == 0);
    CHECK(texts[1] == "one");
    CHECK(texts[2] == "two");
    CHECK(texts[3] == "three");
    CHECK(texts[4] == "four");
    CHECK(texts[5] == "[agentctl-shim] agent exited with status 0");
    // Stamps never go backwards.
    auto lines = read_lines(dir / "logs/job/a.log");
    for (std::size_t i = 1; i < lines.size(); ++i) CHECK(lines[i - 1].substr(0, 27) <= lines[i].substr(0, 27));
    struct stat info {};
    REQUIRE(::stat((dir / "logs/job").c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0700);
}

TEST_CASE("shim: the agent leads its own process group, the shim its own session", "[shim]") {
    TempDir dir;
    ShimRun run = run_shim({"--log", dir / "a.log", "--status", dir / "s.json", "--", "sleep", "30"});
    ShimCleanup cleanup{run};
    auto words = run.handshake_words();
    REQUIRE(words.size() == 5);
    std::string agent = words[3];
    CHECK(stat_field(std::stoi(agent), 5) == agent);                       // pgrp == agent pid
    CHECK(stat_field(run.pid, 5) == std::to_string(run.pid));              // the shim's own group
    CHECK(stat_field(run.pid, 6) == std::to_string(run.pid));              // session leader
    CHECK(stat_field(std::stoi(agent), 5) != stat_field(run.pid, 5));
}

TEST_CASE("shim: SIGTERM to the shim reaches the agent and is recorded as 143", "[shim]") {
    TempDir dir;
    ShimRun run = run_shim({"--log", dir / "a.log", "--status", dir / "s.json", "--", "sleep", "30"});
    ShimCleanup cleanup{run};
    REQUIRE(run.handshake_words().size() == 5);
    REQUIRE(::kill(run.pid, SIGTERM) == 0);
    CHECK(wait_exit(run, std::chrono::milliseconds(5000)) == 143);
    std::string status = read_text(dir / "s.json");
    CHECK(status.find("\"state\":\"exited\"") != std::string::npos);
    CHECK(status.find("\"exit_status\":143,\"signal\":15,") != std::string::npos);
    CHECK(std::regex_search(status, std::regex(R"("exited_at":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")")));
    auto texts = log_texts(dir / "a.log");
    REQUIRE(texts.size() == 3);
    CHECK(texts[1] == "[agentctl-shim] forwarding SIGTERM to process group " + run.handshake_words()[3]);
    CHECK(texts[2] == "[agentctl-shim] agent killed by SIGTERM (exit status 143)");
}

TEST_CASE("shim: the agent's exit code is recorded and becomes the shim's", "[shim]") {
    TempDir dir;
    ShimRun run = run_shim({"--log", dir / "a.log", "--status", dir / "s.json", "--", "sh", "-c", "exit 3"});
    ShimCleanup cleanup{run};
    CHECK(run.handshake_words().size() == 5);
    CHECK(wait_exit(run) == 3);
    std::string status = read_text(dir / "s.json");
    CHECK(status.find("\"state\":\"exited\"") != std::string::npos);
    CHECK(status.find("\"exit_status\":3,\"signal\":null,") != std::string::npos);
    auto texts = log_texts(dir / "a.log");
    REQUIRE(!texts.empty());
    CHECK(texts.back() == "[agentctl-shim] agent exited with status 3");
}

TEST_CASE("shim: a program that cannot be executed gives an error handshake and exit 127", "[shim]") {
    TempDir dir;
    ShimRun run = run_shim({"--log", dir / "a.log", "--status", dir / "s.json", "--", "./nope"});
    ShimCleanup cleanup{run};
    CHECK(run.handshake == "error exec ./nope: No such file or directory");
    CHECK(wait_exit(run) == 127);
    std::string status = read_text(dir / "s.json");
    CHECK(status.find("\"agent_pid\":0,") != std::string::npos);
    CHECK(status.find("\"state\":\"exited\"") != std::string::npos);
    CHECK(status.find("\"exit_status\":127,") != std::string::npos);
    CHECK(status.find("\"error\":\"exec ./nope: No such file or directory\"") != std::string::npos);
}

TEST_CASE("shim: a missing workdir is a start error", "[shim]") {
    TempDir dir;
    ShimRun run = run_shim({"--log", dir / "a.log", "--status", dir / "s.json", "--workdir", dir / "absent", "--",
                            "true"});
    ShimCleanup cleanup{run};
    CHECK(run.handshake == "error workdir " + (dir / "absent") + ": No such file or directory");
    CHECK(wait_exit(run) == 127);
}

TEST_CASE("shim: a bad command line is a usage error", "[shim]") {
    TempDir dir;
    ShimRun run = run_shim({"--log", dir / "a.log", "--", "true"});
    ShimCleanup cleanup{run};
    CHECK(run.handshake == "error usage: --status is required");
    CHECK(wait_exit(run) == 2);
}

TEST_CASE("shim: size rotation keeps --log-keep files", "[shim]") {
    TempDir dir;
    // 40 lines of 27 + 1 + 8 + 1 bytes: far more than 3 files of 200 bytes hold.
    ShimRun run = run_shim({"--log", dir / "a.log", "--status", dir / "s.json", "--log-max-bytes", "200",
                            "--log-keep", "2", "--", "sh", "-c",
                            "i=10; while [ $i -lt 50 ]; do echo \"line-$i\"; i=$((i+1)); done"});
    ShimCleanup cleanup{run};
    REQUIRE(wait_exit(run) == 0);
    CHECK(::access((dir / "a.log").c_str(), F_OK) == 0);
    CHECK(::access((dir / "a.log.1").c_str(), F_OK) == 0);
    CHECK(::access((dir / "a.log.2").c_str(), F_OK) == 0);
    CHECK(::access((dir / "a.log.3").c_str(), F_OK) != 0);
    for (const char* name : {"a.log", "a.log.1", "a.log.2"}) {
        struct stat info {};
        REQUIRE(::stat((dir / name).c_str(), &info) == 0);
        CHECK(info.st_size <= 200);
        CHECK((info.st_mode & 0777) == 0600);
    }
    // Oldest to newest: a.log.2, a.log.1, a.log, with no line lost or repeated inside them.
    std::vector<std::string> texts;
    for (const char* name : {"a.log.2", "a.log.1", "a.log"}) {
        auto part = log_texts(dir / name);
        texts.insert(texts.end(), part.begin(), part.end());
    }
    REQUIRE(texts.size() >= 3);
    CHECK(texts[texts.size() - 1] == "[agentctl-shim] agent exited with status 0");
    CHECK(texts[texts.size() - 2] == "line-49");
    for (std::size_t i = 0; i + 2 < texts.size(); ++i) {
        if (texts[i].rfind("line-", 0) == 0 && texts[i + 1].rfind("line-", 0) == 0) {
            CHECK(std::stoi(texts[i + 1].substr(5)) == std::stoi(texts[i].substr(5)) + 1);
        }
    }
}

TEST_CASE("shim: the agent's stdin is /dev/null", "[shim]") {
    TempDir dir;
    ShimRun run = run_shim({"--log", dir / "a.log", "--status", dir / "s.json", "--", "sh", "-c",
                            "readlink /proc/self/fd/0; cat; echo cat-done"});
    ShimCleanup cleanup{run};
    REQUIRE(wait_exit(run) == 0);
    auto texts = log_texts(dir / "a.log");
    REQUIRE(texts.size() == 4);
    CHECK(texts[1] == "/dev/null");
    CHECK(texts[2] == "cat-done");
}

TEST_CASE("shim: the environment and the workdir reach the agent", "[shim]") {
    TempDir dir;
    ::mkdir((dir / "work").c_str(), 0700);
    ShimRun run = run_shim({"--log", dir / "a.log", "--status", dir / "s.json", "--workdir", dir / "work", "--", "sh",
                            "-c", "echo \"foo=$SHIM_TEST_FOO\"; pwd"},
                           {"SHIM_TEST_FOO=bar baz"});
    ShimCleanup cleanup{run};
    REQUIRE(wait_exit(run) == 0);
    auto texts = log_texts(dir / "a.log");
    REQUIRE(texts.size() == 4);
    CHECK(texts[1] == "foo=bar baz");
    CHECK(texts[2] == dir / "work");
}

TEST_CASE("shim: a partial line is written once the output is idle, long lines are split", "[shim]") {
    TempDir dir;
    ShimRun run = run_shim({"--log", dir / "a.log", "--status", dir / "s.json", "--", "sh", "-c",
                            "printf partial; sleep 0.6; echo rest; head -c 70000 /dev/zero | tr '\\0' x; echo"});
    ShimCleanup cleanup{run};
    // While the agent sleeps, the partial line is already in the log.
    CHECK(eventually([&] { return read_text(dir / "a.log").find(" partial\n") != std::string::npos; },
                     std::chrono::milliseconds(500)));
    REQUIRE(wait_exit(run) == 0);
    auto texts = log_texts(dir / "a.log");
    REQUIRE(texts.size() == 6);
    CHECK(texts[1] == "partial");
    CHECK(texts[2] == "rest");
    CHECK(texts[3] == std::string(65536, 'x'));
    CHECK(texts[4] == std::string(70000 - 65536, 'x'));
}

TEST_CASE("shim: a grandchild holding the output open delays the shim by at most about 1 s", "[shim]") {
    TempDir dir;
    ShimRun run = run_shim({"--log", dir / "a.log", "--status", dir / "s.json", "--", "sh", "-c",
                            "sleep 20 & echo started-grandchild; exit 4"});
    ShimCleanup cleanup{run};
    auto words = run.handshake_words();
    REQUIRE(words.size() == 5);
    auto started = std::chrono::steady_clock::now();
    CHECK(wait_exit(run, std::chrono::milliseconds(5000)) == 4);
    auto waited = std::chrono::steady_clock::now() - started;
    CHECK(waited < std::chrono::milliseconds(3000));
    // The grandchild is in the agent's group: the stop path's kill(-pgid) reaches it.
    ::kill(-std::stoi(words[3]), SIGKILL);
    CHECK(read_text(dir / "s.json").find("\"exit_status\":4,") != std::string::npos);
}

TEST_CASE("shim: start-up time (spawn to handshake)", "[shim]") {
    TempDir dir;
    const int runs = 20;
    auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < runs; ++i) {
        ShimRun run = run_shim({"--log", dir / "a.log", "--status", dir / "s.json", "--", "true"});
        ShimCleanup cleanup{run};
        REQUIRE(run.handshake_words().size() == 5);
        REQUIRE(wait_exit(run) == 0);
    }
    auto total = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
    double per_run_ms = static_cast<double>(total.count()) / runs / 1000.0;
    WARN("agentctl-shim: spawn -> handshake -> exit of `true`: " << per_run_ms << " ms per run (" << runs << " runs)");
    CHECK(per_run_ms < 100.0);
}

// ---- restart policies (README.md "Restarts") ----

namespace {

using agentctl::runners::read_shim_status;

std::vector<std::string> restart_args(const std::string& dir, const std::string& policy, int max_restarts,
                                      int backoff_ms, int max_backoff_ms) {
    return {"--log", dir + "/a.log", "--status", dir + "/s.json", "--restart", policy, "--max-restarts",
            std::to_string(max_restarts), "--backoff-ms", std::to_string(backoff_ms), "--max-backoff-ms",
            std::to_string(max_backoff_ms), "--stop-file", dir + "/stop-requested"};
}

std::vector<std::string> with_command(std::vector<std::string> args, const std::vector<std::string>& command) {
    args.push_back("--");
    args.insert(args.end(), command.begin(), command.end());
    return args;
}

long long millis_between(const agentctl::runners::Clock::time_point& a, const agentctl::runners::Clock::time_point& b) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
}

}  // namespace

TEST_CASE("shim: on-failure restarts a SIGKILLed agent as a new pid and records it", "[shim][restart]") {
    TempDir dir;
    ShimRun run = run_shim(with_command(restart_args(dir.path(), "on-failure", 5, 100, 1000), {"sleep", "30"}));
    ShimCleanup cleanup{run};
    auto words = run.handshake_words();
    REQUIRE(words.size() == 5);
    int first = std::stoi(words[3]);
    REQUIRE(::kill(first, SIGKILL) == 0);
    REQUIRE(eventually([&] {
        auto status = read_shim_status(dir / "s.json");
        return status && status->restarts == 1 && !status->exited;
    }));
    auto status = read_shim_status(dir / "s.json");
    CHECK(status->agent.pid != first);
    CHECK(stat_field(status->agent.pid, 22) == std::to_string(status->agent.start_time));
    CHECK(stat_field(status->agent.pid, 4) == std::to_string(run.pid));
    CHECK(status->last_exit_status == 137);
    REQUIRE(status->history.size() == 1);
    CHECK(status->history[0].number == 1);
    CHECK(status->history[0].pid == first);
    CHECK(status->history[0].exit_status == 137);
    CHECK(status->history[0].action == "restart");
    CHECK(status->history[0].new_pid == status->agent.pid);
    REQUIRE(status->history[0].exited_at.has_value());
    REQUIRE(status->history[0].restarted_at.has_value());
    long long waited = millis_between(*status->history[0].exited_at, *status->history[0].restarted_at);
    CHECK(waited >= 98);
    CHECK(waited < 3000);

    // A stop (SIGTERM to the shim) is never followed by a restart.
    REQUIRE(::kill(run.pid, SIGTERM) == 0);
    CHECK(wait_exit(run) == 143);
    status = read_shim_status(dir / "s.json");
    CHECK(status->exited);
    CHECK(status->restarts == 1);
    REQUIRE(status->history.size() == 2);
    CHECK(status->history[1].action == "stop");
    auto texts = log_texts(dir / "a.log");
    CHECK(std::find(texts.begin(), texts.end(), "[agentctl-shim] restarting in 100ms (restart 1 of 5)") != texts.end());
}

TEST_CASE("shim: policy no records the exit and does not restart", "[shim][restart]") {
    TempDir dir;
    ShimRun run = run_shim(with_command(restart_args(dir.path(), "no", 5, 100, 1000), {"sh", "-c", "exit 3"}));
    ShimCleanup cleanup{run};
    CHECK(wait_exit(run) == 3);
    auto status = read_shim_status(dir / "s.json");
    REQUIRE(status.has_value());
    CHECK(status->exited);
    CHECK(status->restarts == 0);
    CHECK_FALSE(status->failed);
    REQUIRE(status->history.size() == 1);
    CHECK(status->history[0].action == "none");
    CHECK(status->history[0].exit_status == 3);
}

TEST_CASE("shim: on-failure leaves a clean exit alone, always restarts it", "[shim][restart]") {
    TempDir clean;
    ShimRun once = run_shim(with_command(restart_args(clean.path(), "on-failure", 5, 50, 50), {"true"}));
    ShimCleanup cleanup_once{once};
    CHECK(wait_exit(once) == 0);
    CHECK(read_shim_status(clean / "s.json")->restarts == 0);

    TempDir always;
    ShimRun again = run_shim(with_command(restart_args(always.path(), "always", 2, 50, 50), {"true"}));
    ShimCleanup cleanup_again{again};
    CHECK(wait_exit(again) == 0);
    auto status = read_shim_status(always / "s.json");
    CHECK(status->restarts == 2);
    CHECK(status->failed);
}

TEST_CASE("shim: max_restarts exhausted marks the instance failed, and the backoff doubles", "[shim][restart]") {
    TempDir dir;
    ShimRun run = run_shim(with_command(restart_args(dir.path(), "on-failure", 3, 200, 400), {"sh", "-c", "exit 4"}));
    ShimCleanup cleanup{run};
    CHECK(wait_exit(run, std::chrono::milliseconds(15000)) == 4);
    auto status = read_shim_status(dir / "s.json");
    REQUIRE(status.has_value());
    CHECK(status->exited);
    CHECK(status->failed);
    CHECK(status->restarts == 3);
    REQUIRE(status->history.size() == 4);
    CHECK(status->history[0].action == "restart");
    CHECK(status->history[2].action == "restart");
    CHECK(status->history[3].action == "give-up");
    CHECK(status->history[3].number == 4);
    // 200 ms, 400 ms, then capped at 400 ms: each wait at least that, generously bounded above.
    const long long expected[] = {200, 400, 400};
    for (int i = 0; i < 3; ++i) {
        REQUIRE(status->history[i].restarted_at.has_value());
        long long waited = millis_between(*status->history[i].exited_at, *status->history[i].restarted_at);
        CHECK(waited >= expected[i] - 2);
        CHECK(waited < expected[i] + 3000);
    }
    auto texts = log_texts(dir / "a.log");
    REQUIRE(texts.size() >= 2);
    CHECK(texts[texts.size() - 2] == "[agentctl-shim] agent exited with status 4");
    CHECK(texts.back() == "[agentctl-shim] not restarting: max_restarts (3) reached");
}

TEST_CASE("shim: a stop file, or a stop during the backoff, prevents the restart", "[shim][restart]") {
    TempDir dir;
    ShimRun run = run_shim(with_command(restart_args(dir.path(), "always", 5, 50, 50), {"sleep", "30"}));
    ShimCleanup cleanup{run};
    auto words = run.handshake_words();
    REQUIRE(words.size() == 5);
    { std::ofstream touch(dir / "stop-requested"); }
    REQUIRE(::kill(std::stoi(words[3]), SIGKILL) == 0);
    CHECK(wait_exit(run) == 137);
    CHECK(read_shim_status(dir / "s.json")->restarts == 0);
    CHECK(read_shim_status(dir / "s.json")->history.at(0).action == "stop");

    TempDir slow;
    ShimRun waiting = run_shim(with_command(restart_args(slow.path(), "on-failure", 5, 20000, 20000), {"sleep", "30"}));
    ShimCleanup cleanup_waiting{waiting};
    words = waiting.handshake_words();
    REQUIRE(words.size() == 5);
    REQUIRE(::kill(std::stoi(words[3]), SIGKILL) == 0);
    REQUIRE(eventually([&] {
        auto status = read_shim_status(slow / "s.json");
        return status && status->restarting;
    }));
    auto asked = std::chrono::steady_clock::now();
    REQUIRE(::kill(waiting.pid, SIGTERM) == 0);
    CHECK(wait_exit(waiting, std::chrono::milliseconds(5000)) == 137);
    CHECK(std::chrono::steady_clock::now() - asked < std::chrono::seconds(3));
    auto status = read_shim_status(slow / "s.json");
    CHECK(status->restarts == 0);
    CHECK_FALSE(status->restarting);
    CHECK(status->history.at(0).action == "stop");
}

TEST_CASE("shim: bad restart options are usage errors", "[shim][restart]") {
    TempDir dir;
    ShimRun run = run_shim({"--log", dir / "a.log", "--status", dir / "s.json", "--restart", "sometimes", "--", "true"});
    ShimCleanup cleanup{run};
    CHECK(run.handshake == "error usage: --restart needs no, on-failure or always");
    CHECK(wait_exit(run) == 2);
    ShimRun negative = run_shim({"--log", dir / "a.log", "--status", dir / "s.json", "--backoff-ms", "-5", "--", "true"});
    ShimCleanup cleanup_negative{negative};
    CHECK(negative.handshake == "error usage: --backoff-ms needs milliseconds from 0 to 86400000");
    CHECK(wait_exit(negative) == 2);
}

TEST_CASE("shim: a restart that cannot exec counts as an exit with status 127", "[shim][restart]") {
    TempDir dir;
    const std::string script = dir / "agent.sh";
    {
        std::ofstream out(script);
        out << "#!/bin/sh\nrm -- \"$0\"\nexit 1\n";
    }
    REQUIRE(::chmod(script.c_str(), 0700) == 0);
    ShimRun run = run_shim(with_command(restart_args(dir.path(), "on-failure", 2, 50, 50), {script}));
    ShimCleanup cleanup{run};
    CHECK(wait_exit(run) == 127);
    auto status = read_shim_status(dir / "s.json");
    REQUIRE(status.has_value());
    CHECK(status->failed);
    CHECK(status->restarts == 2);
    CHECK(status->error.find("exec " + script + ": No such file or directory") != std::string::npos);
    REQUIRE(status->history.size() == 3);
    CHECK(status->history[0].exit_status == 1);
    CHECK(status->history[1].exit_status == 127);
    CHECK(status->history[1].pid == 0);
    CHECK(status->history[2].action == "give-up");
}

TEST_CASE("shim: long program names, arguments, paths and lines are never cut", "[shim]") {
    TempDir dir;
    // A program path of ~3.3 KB (each component short enough to exist as a name).
    std::string program = "./";
    for (int i = 0; i < 300; ++i) program += "abcdefghij/";
    program += "prog";
    ShimRun missing = run_shim({"--log", dir / "a.log", "--status", dir / "s.json", "--", program});
    ShimCleanup cleanup_missing{missing};
    CHECK(missing.handshake == "error exec " + program + ": No such file or directory");
    CHECK(wait_exit(missing) == 127);
    CHECK(read_text(dir / "s.json").find("\"error\":\"exec " + program + ": No such file or directory\"") !=
          std::string::npos);

    // A log ~2 KB deep in directories that do not exist yet, and a 100000-byte argument the
    // agent prints: it reaches the log whole, cut only into the documented 64 KiB pieces.
    std::string log_dir = dir.path();
    for (int i = 0; i < 180; ++i) log_dir += "/d123456789";
    const std::string argument(100000, 'y');
    ShimRun run = run_shim({"--log", log_dir + "/a.log", "--status", dir / "s2.json", "--", "sh", "-c",
                            "printf '%s\\n' \"$1\"", "sh", argument});
    ShimCleanup cleanup{run};
    REQUIRE(run.handshake_words().size() == 5);
    CHECK(wait_exit(run) == 0);
    auto texts = log_texts(log_dir + "/a.log");
    REQUIRE(texts.size() == 4);
    CHECK(texts[1] == std::string(65536, 'y'));
    CHECK(texts[2] == std::string(100000 - 65536, 'y'));
    CHECK(texts[3] == "[agentctl-shim] agent exited with status 0");
}

TEST_CASE("shim: PROGRAM is looked up in PATH as execvp does, a script without #! runs under /bin/sh",
          "[shim]") {
    TempDir dir;
    ::mkdir((dir / "denied").c_str(), 0700);
    ::mkdir((dir / "bin").c_str(), 0700);
    {
        std::ofstream out(dir / "denied/tool");
        out << "echo never\n";
        std::ofstream script(dir / "bin/tool");
        script << "echo \"from sh: $1 $2\"\n";  // no "#!": the kernel says ENOEXEC
    }
    REQUIRE(::chmod((dir / "denied/tool").c_str(), 0600) == 0);
    REQUIRE(::chmod((dir / "bin/tool").c_str(), 0700) == 0);

    // Found in the second PATH entry (the first holds a non-executable file of that name).
    const std::string path = "PATH=" + (dir / "denied") + ":" + (dir / "bin") + ":/usr/bin:/bin";
    ShimRun run = run_shim({"--log", dir / "a.log", "--status", dir / "s.json", "--", "tool", "one", "two words"},
                           {path});
    ShimCleanup cleanup{run};
    REQUIRE(run.handshake_words().size() == 5);
    CHECK(wait_exit(run) == 0);
    auto texts = log_texts(dir / "a.log");
    REQUIRE(texts.size() == 3);
    CHECK(texts[1] == "from sh: one two words");

    // Only a non-executable match: EACCES, not "not found".
    ShimRun denied = run_shim({"--log", dir / "b.log", "--status", dir / "t.json", "--", "tool"},
                              {"PATH=" + (dir / "denied") + ":" + (dir / "nowhere")});
    ShimCleanup cleanup_denied{denied};
    CHECK(denied.handshake == "error exec tool: Permission denied");
    CHECK(wait_exit(denied) == 127);
}

TEST_CASE("shim: start errors use the C library's usual wording whatever libc the shim is built with",
          "[shim]") {
    TempDir dir;
    // musl would say "Symbolic link loop" and "Filename too long".
    REQUIRE(::symlink((dir / "loop").c_str(), (dir / "loop").c_str()) == 0);
    ShimRun loop = run_shim({"--log", dir / "a.log", "--status", dir / "s.json", "--workdir", dir / "loop", "--",
                             "true"});
    ShimCleanup cleanup_loop{loop};
    CHECK(loop.handshake == "error workdir " + (dir / "loop") + ": Too many levels of symbolic links");
    CHECK(wait_exit(loop) == 127);

    const std::string long_name(300, 'n');
    ShimRun named = run_shim({"--log", dir / "b.log", "--status", dir / "t.json", "--", long_name});
    ShimCleanup cleanup_named{named};
    CHECK(named.handshake == "error exec " + long_name + ": File name too long");
    CHECK(wait_exit(named) == 127);
}
