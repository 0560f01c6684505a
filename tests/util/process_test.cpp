#include <catch2/catch.hpp>

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include "util/process.hpp"

using namespace agentctl::util;

TEST_CASE("process_ref identifies this process and matches it") {
    auto self = process_ref(getpid());
    REQUIRE(self.has_value());
    CHECK(self->pid == getpid());
    CHECK(self->start_time > 0);
    CHECK(process_matches(*self));
}

TEST_CASE("a different start time does not match: the pid may have been recycled") {
    auto self = process_ref(getpid());
    REQUIRE(self.has_value());
    ProcessRef other{self->pid, self->start_time + 1};
    CHECK_FALSE(process_matches(other));
    CHECK_FALSE(process_matches(ProcessRef{}));
}

TEST_CASE("an exited (zombie) child no longer matches, and a reaped one is gone") {
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        pause();
        _exit(0);
    }
    auto ref = process_ref(child);
    REQUIRE(ref.has_value());
    CHECK(process_matches(*ref));
    kill(child, SIGKILL);
    // Give the kernel a moment to turn it into a zombie; bounded wait.
    for (int i = 0; i < 200 && process_start_time(child); ++i) usleep(5000);
    CHECK_FALSE(process_matches(*ref));
    int status = 0;
    CHECK(waitpid(child, &status, 0) == child);
    CHECK_FALSE(process_start_time(child).has_value());
}

TEST_CASE("boot_id is a UUID") {
    CHECK(boot_id().size() == 36);
}
