#include <catch2/catch.hpp>
#include <csignal>
#include <cstdlib>
#include <string>

#include "state/state_store.hpp"
#include "state_test_support.hpp"

using agentctl::state::EventRecord;
using agentctl::state::StateStore;
using agentctl::state::state_writes_committed;
using agentctl::state::testing::fork_child;
using agentctl::state::testing::TempDir;
using agentctl::state::testing::wait_exit;

namespace {

// A child that opens the store, sets the hook variable to `crash_at` (unset when empty) and
// commits three writes, one event each ("w1", "w2", "w3"); exit 0 when all three are done.
int child_writing_three(const std::string& state_dir, const char* crash_at) {
    if (crash_at != nullptr) ::setenv("AGENTCTL_CRASH_AT_WRITE", crash_at, 1);
    auto store = StateStore::open(state_dir);
    for (int i = 1; i <= 3; ++i) {
        auto tx = store->begin();
        EventRecord event;
        event.job = "travel";
        event.kind = "w" + std::to_string(i);
        tx->add_event(event);
        tx->commit();
    }
    return 0;
}

std::string kinds(StateStore& store) {
    std::string result;
    // Only the child's events: the parent's own write (job "") is not one of them.
    for (const auto& event : store.events("travel", 0, 100)) result += event.kind + ";";
    return result;
}

}  // namespace

TEST_CASE("AGENTCTL_CRASH_AT_WRITE=2 kills the process right after its second commit", "[crash_hook]") {
    TempDir dir;
    {
        // The parent commits first, so it has read the (unset) variable and counted a write
        // before the fork: the child must still read its own setting and count from zero.
        auto store = StateStore::open(dir.path());
        auto tx = store->begin();
        tx->add_event(EventRecord{});
        tx->commit();
        REQUIRE(state_writes_committed() > 0);
    }
    const pid_t child = fork_child([&] { return child_writing_three(dir.path(), "2"); });
    CHECK(wait_exit(child) == -SIGKILL);
    auto store = StateStore::open(dir.path());
    CHECK(kinds(*store) == "w1;w2;");
}

TEST_CASE("AGENTCTL_CRASH_AT_WRITE=1 keeps exactly the first write", "[crash_hook]") {
    TempDir dir;
    StateStore::open(dir.path());
    const pid_t child = fork_child([&] { return child_writing_three(dir.path(), "1"); });
    CHECK(wait_exit(child) == -SIGKILL);
    CHECK(kinds(*StateStore::open(dir.path())) == "w1;");
}

TEST_CASE("without the variable, or with a malformed one, nothing is killed", "[crash_hook]") {
    TempDir dir;
    StateStore::open(dir.path());
    const pid_t unset = fork_child([&] {
        ::unsetenv("AGENTCTL_CRASH_AT_WRITE");
        return child_writing_three(dir.path(), nullptr);
    });
    CHECK(wait_exit(unset) == 0);
    const pid_t malformed = fork_child([&] { return child_writing_three(dir.path(), "two"); });
    CHECK(wait_exit(malformed) == 0);
    const pid_t beyond = fork_child([&] { return child_writing_three(dir.path(), "4"); });
    CHECK(wait_exit(beyond) == 0);
    CHECK(kinds(*StateStore::open(dir.path())) == "w1;w2;w3;w1;w2;w3;w1;w2;w3;");
}

TEST_CASE("each commit and each lock taken or released counts as one state write", "[crash_hook]") {
    TempDir dir;
    auto store = StateStore::open(dir.path());
    const auto start = state_writes_committed();
    {
        auto tx = store->begin();
        EventRecord event;
        event.job = "travel";
        event.kind = "counted";
        tx->add_event(event);
        tx->add_event(event);
        tx->commit();
    }
    CHECK(state_writes_committed() == start + 1);
    {
        auto dropped = store->begin();
        EventRecord event;
        event.job = "travel";
        event.kind = "rolled back";
        dropped->add_event(event);
    }
    CHECK(state_writes_committed() == start + 1);
    {
        auto lock = store->lock_job("travel", "deploy", std::chrono::milliseconds(0));
        CHECK(state_writes_committed() == start + 2);
    }
    CHECK(state_writes_committed() == start + 3);
}
