#include <catch2/catch.hpp>

#include <csignal>
#include <vector>
#include <sys/wait.h>
#include <unistd.h>

#include "util/process_watch.hpp"

using namespace agentctl::util;

namespace {

// A child that waits to be killed; the test reaps it.
pid_t sleeping_child() {
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        pause();
        _exit(0);
    }
    return child;
}

// Waits (bounded) until the killed `child` is a zombie, as /proc tells.
void wait_until_exited(pid_t child) {
    for (int i = 0; i < 400 && process_start_time(child); ++i) usleep(5000);
}

}  // namespace

TEST_CASE("a watched process matches through its pidfd until it exits") {
    pid_t child = sleeping_child();
    auto ref = process_ref(child);
    REQUIRE(ref.has_value());
    ProcessWatch watch(16);
    CHECK(watch.matches(*ref));
    CHECK(watch.watched() == 1);
    CHECK(watch.matches(*ref));
    CHECK(watch.watched() == 1);

    kill(child, SIGKILL);
    wait_until_exited(child);
    // A zombie no longer matches (as process_matches says), and its pidfd is let go.
    CHECK_FALSE(watch.matches(*ref));
    CHECK(watch.watched() == 0);
    int status = 0;
    CHECK(waitpid(child, &status, 0) == child);
    CHECK_FALSE(watch.matches(*ref));
}

TEST_CASE("a watch never matches another start time for the same pid") {
    pid_t child = sleeping_child();
    auto ref = process_ref(child);
    REQUIRE(ref.has_value());
    ProcessWatch watch(16);
    REQUIRE(watch.matches(*ref));
    CHECK_FALSE(watch.matches(ProcessRef{ref->pid, ref->start_time + 1}));
    CHECK(watch.watched() == 0);
    CHECK(watch.matches(*ref));  // proven again from /proc
    CHECK_FALSE(watch.matches(ProcessRef{}));
    kill(child, SIGKILL);
    int status = 0;
    CHECK(waitpid(child, &status, 0) == child);
}

TEST_CASE("past its limit a watch answers from /proc alone") {
    pid_t child = sleeping_child();
    auto ref = process_ref(child);
    REQUIRE(ref.has_value());
    ProcessWatch watch(0);
    CHECK(watch.matches(*ref));
    CHECK(watch.watched() == 0);
    kill(child, SIGKILL);
    wait_until_exited(child);
    CHECK_FALSE(watch.matches(*ref));
    int status = 0;
    CHECK(waitpid(child, &status, 0) == child);
}

TEST_CASE("a full watch lets go of processes that exited without being asked about again") {
    pid_t first = sleeping_child();
    pid_t second = sleeping_child();
    auto first_ref = process_ref(first);
    auto second_ref = process_ref(second);
    REQUIRE(first_ref.has_value());
    REQUIRE(second_ref.has_value());
    ProcessWatch watch(1);
    REQUIRE(watch.matches(*first_ref));
    CHECK(watch.watched() == 1);
    // Full, and its one process alive: the second is answered from /proc alone.
    CHECK(watch.matches(*second_ref));
    CHECK(watch.watched() == 1);
    kill(first, SIGKILL);
    wait_until_exited(first);
    // The first exited (never asked about again): its place goes to the second.
    CHECK(watch.matches(*second_ref));
    CHECK(watch.watched() == 1);
    CHECK_FALSE(watch.matches(*first_ref));
    kill(second, SIGKILL);
    int status = 0;
    CHECK(waitpid(first, &status, 0) == first);
    CHECK(waitpid(second, &status, 0) == second);
}

TEST_CASE("with a batch window one poll answers a round of questions, never past the window") {
    std::vector<pid_t> children;
    std::vector<ProcessRef> refs;
    for (int i = 0; i < 20; ++i) {
        children.push_back(sleeping_child());
        auto ref = process_ref(children.back());
        REQUIRE(ref.has_value());
        refs.push_back(*ref);
    }
    ProcessWatch watch(64, std::chrono::milliseconds(200));
    for (const auto& ref : refs) REQUIRE(watch.matches(ref));  // proven from /proc, pidfds opened
    CHECK(watch.batch_polls() == 0);
    // A round: the first question polls every pidfd, the other nineteen are answered by it.
    for (const auto& ref : refs) CHECK(watch.matches(ref));
    CHECK(watch.batch_polls() == 1);

    kill(children[0], SIGKILL);
    wait_until_exited(children[0]);
    usleep(250 * 1000);  // past the window: the next question polls again and sees the exit
    CHECK_FALSE(watch.matches(refs[0]));
    CHECK(watch.batch_polls() == 2);
    for (std::size_t i = 1; i < refs.size(); ++i) CHECK(watch.matches(refs[i]));
    CHECK(watch.batch_polls() == 2);
    CHECK(watch.watched() == refs.size() - 1);

    for (pid_t child : children) kill(child, SIGKILL);
    int status = 0;
    for (pid_t child : children) CHECK(waitpid(child, &status, 0) == child);
}
