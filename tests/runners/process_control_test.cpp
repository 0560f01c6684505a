// Signal names and waiting for processes by identity.

#include "runners/process_control.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

using agentctl::runners::signal_number;
using agentctl::runners::wait_until_gone;

TEST_CASE("signal_number accepts the spellings of a stop signal", "[signals]") {
    CHECK(signal_number("SIGTERM") == SIGTERM);
    CHECK(signal_number("TERM") == SIGTERM);
    CHECK(signal_number("sigint") == SIGINT);
    CHECK(signal_number("SIGKILL") == 9);
    CHECK(signal_number("SIGUSR1") == SIGUSR1);
    CHECK(signal_number("15") == 15);
    CHECK_FALSE(signal_number("SIGNOPE"));
    CHECK_FALSE(signal_number(""));
    CHECK_FALSE(signal_number("0"));
    CHECK_FALSE(signal_number("999"));
}

TEST_CASE("wait_until_gone reaps this process's own exited child", "[signals]") {
    pid_t pid = ::fork();
    if (pid == 0) {
        ::pause();
        ::_exit(0);
    }
    REQUIRE(pid > 0);
    auto ref = agentctl::util::process_ref(pid);
    REQUIRE(ref.has_value());
    CHECK_FALSE(wait_until_gone(*ref, std::chrono::milliseconds(50)));
    ::kill(pid, SIGKILL);
    CHECK(wait_until_gone(*ref, std::chrono::milliseconds(5000)));
    // Reaped: no zombie left behind for waitpid to find.
    CHECK(::waitpid(pid, nullptr, WNOHANG) == -1);
}
