// The local Host: argv commands with stdin, separate stdout/stderr, exit statuses, timeouts
// that end the whole process group, and files written whole with their mode.

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "runners/host.hpp"

using agentctl::runners::HostCommand;
using agentctl::runners::make_local_host;

TEST_CASE("local host runs argv with stdin and keeps stdout and stderr apart", "[local_host]") {
    auto host = make_local_host();
    CHECK(host->is_local());
    HostCommand command;
    command.argv = {"/bin/sh", "-c", "cat; echo to-err >&2; exit 7"};
    command.input = "from stdin\n";
    auto result = host->run(command);
    CHECK(result.exit_status == 7);
    CHECK(result.out == "from stdin\n");
    CHECK(result.err == "to-err\n");
    CHECK_FALSE(result.timed_out);
}

TEST_CASE("local host: a command that does not read its input neither hangs nor kills agentctl", "[local_host]") {
    HostCommand command;
    command.argv = {"/bin/true"};
    command.input.assign(4 << 20, 'x');
    auto result = make_local_host()->run(command);
    CHECK(result.exit_status == 0);
    CHECK_FALSE(result.timed_out);
}

TEST_CASE("local host: an argument is never split or interpreted by a shell", "[local_host]") {
    auto host = make_local_host();
    HostCommand command;
    command.argv = {"/bin/echo", "a b; echo injected", "$(id)"};
    auto result = host->run(command);
    CHECK(result.exit_status == 0);
    CHECK(result.out == "a b; echo injected $(id)\n");
}

TEST_CASE("local host: a missing program is exit status 127 with the reason", "[local_host]") {
    auto result = make_local_host()->run({{"/nonexistent/prog"}, {}, agentctl::util::Millis(5000), 1 << 20});
    CHECK(result.exit_status == 127);
    CHECK(result.err == "exec /nonexistent/prog: No such file or directory");
}

TEST_CASE("local host: the timeout kills the whole process group", "[local_host]") {
    auto host = make_local_host();
    HostCommand command;
    command.argv = {"/bin/sh", "-c", "sleep 30 & sleep 30"};
    command.timeout = agentctl::util::Millis(300);
    auto began = std::chrono::steady_clock::now();
    auto result = host->run(command);
    auto took = std::chrono::steady_clock::now() - began;
    CHECK(result.timed_out);
    CHECK(result.exit_status == -1);
    CHECK(took < std::chrono::seconds(5));
}

TEST_CASE("local host writes a file whole, with its mode and parent directories", "[local_host]") {
    char dir_template[] = "/tmp/agentctl-local-host-XXXXXX";
    std::string dir = ::mkdtemp(dir_template);
    std::string path = dir + "/a/b/env";
    make_local_host()->write_file(path, "KEY=value\n", 0600);
    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    CHECK(text.str() == "KEY=value\n");
    std::string cleanup = "rm -rf '" + dir + "'";
    CHECK(std::system(cleanup.c_str()) == 0);
}
