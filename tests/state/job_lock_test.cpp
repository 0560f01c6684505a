#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <ctime>
#include <string>

#include "state/sqlite_db.hpp"
#include "state/state_store.hpp"
#include "state_test_support.hpp"
#include "util/process.hpp"

using agentctl::state::LockedError;
using agentctl::state::SqliteDb;
using agentctl::state::StateStore;
using agentctl::state::testing::fork_child;
using agentctl::state::testing::Pipe;
using agentctl::state::testing::TempDir;
using agentctl::state::testing::wait_exit;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using Catch::Matchers::StartsWith;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

namespace {

std::string this_host() {
    char buffer[256] = {};
    REQUIRE(::gethostname(buffer, sizeof buffer - 1) == 0);
    return buffer;
}

long long elapsed_ms(SteadyClock::time_point since) {
    return std::chrono::duration_cast<milliseconds>(SteadyClock::now() - since).count();
}

// Milliseconds since the epoch of a local wall-clock time.
long long local_millis(int year, int month, int day, int hour, int minute, int second) {
    std::tm local{};
    local.tm_year = year - 1900;
    local.tm_mon = month - 1;
    local.tm_mday = day;
    local.tm_hour = hour;
    local.tm_min = minute;
    local.tm_sec = second;
    local.tm_isdst = -1;
    return static_cast<long long>(std::mktime(&local)) * 1000;
}

void insert_lock_row(const std::string& db_path, const std::string& job, long long pid, long long start,
                     const std::string& host, const std::string& boot, long long acquired_ms) {
    SqliteDb db(db_path, milliseconds(2000));
    auto statement = db.prepare(
        "INSERT INTO locks (job, owner_pid, owner_start, owner_host, boot_id, purpose, acquired_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, 'deploy', ?6)");
    statement.bind(1, job).bind(2, std::int64_t{pid}).bind(3, std::int64_t{start});
    statement.bind(4, host).bind(5, boot).bind(6, std::int64_t{acquired_ms});
    statement.run();
}

// A child that takes the lock of `job`, tells `taken`, and releases it once `release` arrives
// (or holds it until killed when `release` never comes).
pid_t child_holding_lock(const std::string& state_dir, const std::string& job, const Pipe& taken,
                         const Pipe& release, int release_delay_ms = 0) {
    return fork_child([&] {
        auto store = StateStore::open(state_dir);
        auto lock = store->lock_job(job, "deploy", milliseconds(0));
        taken.send();
        if (!release.receive(30000)) return 2;
        ::usleep(static_cast<useconds_t>(release_delay_ms) * 1000);
        lock.release();
        return 0;
    });
}

}  // namespace

TEST_CASE("a lock records its owner and is released by its destructor", "[job_lock]") {
    TempDir dir;
    auto store = StateStore::open(dir.path());
    const auto self = agentctl::util::process_ref(::getpid());
    REQUIRE(self);
    {
        auto lock = store->lock_job("travel", "stop", milliseconds(0));
        const auto owner = store->lock_owner("travel");
        REQUIRE(owner);
        CHECK(owner->process.pid == ::getpid());
        CHECK(owner->process.start_time == self->start_time);
        CHECK(owner->host == this_host());
        CHECK(owner->boot_id == agentctl::util::boot_id());
        CHECK(owner->purpose == "stop");
        auto moved = std::move(lock);
        CHECK(store->lock_owner("travel"));
    }
    CHECK_FALSE(store->lock_owner("travel"));
    auto again = store->lock_job("travel", "deploy", milliseconds(0));
    again.release();
    again.release();
    CHECK_FALSE(store->lock_owner("travel"));
}

TEST_CASE("the same process taking a lock it holds is refused (no re-entrancy)", "[job_lock]") {
    TempDir dir;
    auto store = StateStore::open(dir.path());
    auto lock = store->lock_job("travel", "deploy", milliseconds(0));
    CHECK_THROWS_WITH(store->lock_job("travel", "deploy", milliseconds(0)),
                      StartsWith("job 'travel' is locked by agentctl pid " + std::to_string(::getpid()) +
                                 " on host " + this_host() + " (deploy, since "));
}

TEST_CASE("a lock held by another process fails at once with wait 0, naming its pid", "[job_lock]") {
    TempDir dir;
    StateStore::open(dir.path());
    Pipe taken;
    Pipe release;
    const pid_t child = child_holding_lock(dir.path(), "travel", taken, release);
    REQUIRE(taken.receive());

    auto store = StateStore::open(dir.path());
    const auto started = SteadyClock::now();
    try {
        store->lock_job("travel", "deploy", milliseconds(0));
        FAIL("the lock was taken although another process holds it");
    } catch (const LockedError& error) {
        CHECK_THAT(error.what(), StartsWith("job 'travel' is locked by agentctl pid " + std::to_string(child) +
                                            " on host " + this_host() + " (deploy, since "));
        CHECK_THAT(error.what(), EndsWith("); wait with --lock-wait 30s or try again later"));
        CHECK(error.exit_code() == agentctl::util::ExitCode::locked);
    }
    CHECK(elapsed_ms(started) < 1000);
    release.send();
    CHECK(wait_exit(child) == 0);
}

TEST_CASE("a waiting lock succeeds when the owner releases within the wait", "[job_lock]") {
    TempDir dir;
    StateStore::open(dir.path());
    Pipe taken;
    Pipe release;
    const pid_t child = child_holding_lock(dir.path(), "travel", taken, release, 300);
    REQUIRE(taken.receive());

    auto store = StateStore::open(dir.path());
    const auto started = SteadyClock::now();
    release.send();
    auto lock = store->lock_job("travel", "deploy", milliseconds(10000));
    const auto waited = elapsed_ms(started);
    CHECK(waited >= 250);
    CHECK(waited < 5000);
    const auto owner = store->lock_owner("travel");
    REQUIRE(owner);
    CHECK(owner->process.pid == ::getpid());
    CHECK(wait_exit(child) == 0);
}

TEST_CASE("a waiting lock gives up after its wait with a message saying so", "[job_lock]") {
    TempDir dir;
    StateStore::open(dir.path());
    insert_lock_row(dir.db(), "travel", 4242, 1, "h1", "other-boot", local_millis(2024, 5, 1, 9, 30, 0));
    auto store = StateStore::open(dir.path());
    const auto started = SteadyClock::now();
    CHECK_THROWS_WITH(store->lock_job("travel", "deploy", milliseconds(120)),
                      "job 'travel' is locked by agentctl pid 4242 on host h1 (deploy, since 2024-05-01 09:30:00); "
                      "still locked after waiting 120ms; try a longer --lock-wait or try again later");
    CHECK(elapsed_ms(started) >= 120);
}

TEST_CASE("a lock held on another host is never taken over", "[job_lock]") {
    TempDir dir;
    StateStore::open(dir.path());
    insert_lock_row(dir.db(), "travel", 4242, 1, "h1", "b", local_millis(2024, 5, 1, 9, 30, 0));
    auto store = StateStore::open(dir.path());
    CHECK_THROWS_WITH(store->lock_job("travel", "deploy", milliseconds(0)),
                      "job 'travel' is locked by agentctl pid 4242 on host h1 (deploy, since 2024-05-01 09:30:00); "
                      "wait with --lock-wait 30s or try again later");
    const auto owner = store->lock_owner("travel");
    REQUIRE(owner);
    CHECK(owner->process.pid == 4242);
    CHECK(owner->host == "h1");
}

TEST_CASE("a stale lock of a killed process is taken over", "[job_lock]") {
    TempDir dir;
    StateStore::open(dir.path());
    Pipe taken;
    Pipe never;
    const pid_t child = child_holding_lock(dir.path(), "travel", taken, never);
    REQUIRE(taken.receive());
    REQUIRE(::kill(child, SIGKILL) == 0);
    CHECK(wait_exit(child) == -SIGKILL);

    auto store = StateStore::open(dir.path());
    const auto before = store->lock_owner("travel");
    REQUIRE(before);
    CHECK(before->process.pid == child);
    auto lock = store->lock_job("travel", "stop", milliseconds(0));
    const auto after = store->lock_owner("travel");
    REQUIRE(after);
    CHECK(after->process.pid == ::getpid());
    CHECK(after->purpose == "stop");
}

TEST_CASE("a lock from an earlier boot of this host is taken over", "[job_lock]") {
    TempDir dir;
    StateStore::open(dir.path());
    // Our own pid and start time, but another boot: the numbers mean nothing any more.
    const auto self = agentctl::util::process_ref(::getpid());
    REQUIRE(self);
    insert_lock_row(dir.db(), "travel", ::getpid(), static_cast<long long>(self->start_time), this_host(),
                    "an-earlier-boot", local_millis(2024, 5, 1, 9, 30, 0));
    auto store = StateStore::open(dir.path());
    auto lock = store->lock_job("travel", "deploy", milliseconds(0));
    const auto owner = store->lock_owner("travel");
    REQUIRE(owner);
    CHECK(owner->boot_id == agentctl::util::boot_id());
}

TEST_CASE("releasing a lock that was taken over leaves the new owner's row alone", "[job_lock]") {
    TempDir dir;
    auto store = StateStore::open(dir.path());
    auto lock = store->lock_job("travel", "deploy", milliseconds(0));
    {
        SqliteDb db(dir.db(), milliseconds(2000));
        db.exec("UPDATE locks SET owner_pid = 4242, owner_host = 'h9' WHERE job = 'travel'");
    }
    lock.release();
    const auto owner = store->lock_owner("travel");
    REQUIRE(owner);
    CHECK(owner->host == "h9");
}

TEST_CASE("different jobs lock independently", "[job_lock]") {
    TempDir dir;
    StateStore::open(dir.path());
    Pipe taken;
    Pipe release;
    const pid_t child = child_holding_lock(dir.path(), "travel", taken, release);
    REQUIRE(taken.receive());
    auto store = StateStore::open(dir.path());
    auto weather = store->lock_job("weather", "deploy", milliseconds(0));
    auto maps = store->lock_job("maps", "deploy", milliseconds(0));
    CHECK_THROWS_AS(store->lock_job("travel", "deploy", milliseconds(0)), LockedError);
    CHECK(store->lock_owner("weather")->process.pid == ::getpid());
    CHECK(store->lock_owner("travel")->process.pid == child);
    release.send();
    CHECK(wait_exit(child) == 0);
    CHECK_FALSE(store->lock_owner("travel"));
}
