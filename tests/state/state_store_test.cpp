#include "state/state_store.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <string>

#include "state/sqlite_db.hpp"
#include "state_test_support.hpp"

using agentctl::state::Clock;
using agentctl::state::EventRecord;
using agentctl::state::InstanceRecord;
using agentctl::state::JobRecord;
using agentctl::state::RevisionRecord;
using agentctl::state::SqliteDb;
using agentctl::state::StateError;
using agentctl::state::StateStore;
using agentctl::state::testing::TempDir;

namespace {

Clock::time_point at_millis(long long millis) {
    return Clock::time_point(std::chrono::milliseconds(millis));
}

long long millis_of(Clock::time_point time) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

int mode_of(const std::string& path) {
    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    return static_cast<int>(info.st_mode & 07777);
}

JobRecord travel_job() {
    JobRecord job;
    job.name = "travel";
    job.file = "/home/ana/jobs/travel.yaml";
    job.spec_text = "name: travel\nagents: []\n";
    job.spec_hash = "9f2c";
    job.revision = 3;
    job.desired = "running";
    job.status = "degraded";
    job.created_at = at_millis(1714555800123);
    job.updated_at = at_millis(1714555900456);
    return job;
}

InstanceRecord maps_instance() {
    InstanceRecord instance;
    instance.job = "travel";
    instance.instance = "maps@h2";
    instance.agent = "maps";
    instance.host = "h2";
    instance.target = "remote";
    instance.revision = 3;
    instance.stage = 1;
    instance.shim = agentctl::util::ProcessRef{4242, 998877};
    instance.agent_process = agentctl::util::ProcessRef{4243, 998880};
    instance.boot_id = "0b6c5d2e-boot";
    instance.container_id = "c0ffee";
    instance.url = "http://10.0.0.2:9002";
    instance.spec_hash = "a1b2";
    instance.status = "unhealthy";
    instance.restarts = 2;
    instance.exit_status = 137;
    instance.last_health = "HTTP 503 in 4ms";
    instance.last_error = "health check failed";
    instance.run_dir = "/run/agentctl/travel/maps@h2";
    instance.log_path = "/logs/travel/maps@h2.log";
    instance.updated_at = at_millis(1714555901000);
    instance.health_check = R"({"kind":"tcp"})";
    return instance;
}

EventRecord event(const std::string& job, const std::string& kind) {
    EventRecord record;
    record.job = job;
    record.agent = "maps";
    record.instance = "maps";
    record.kind = kind;
    record.message = kind + " message";
    record.time = at_millis(1714555800000);
    return record;
}

void commit_job(StateStore& store, const JobRecord& job) {
    auto tx = store.begin();
    tx->upsert_job(job);
    tx->commit();
}

}  // namespace

TEST_CASE("open creates a private database in WAL mode, whatever the umask", "[state_store]") {
    TempDir dir;
    const mode_t old_umask = ::umask(0);
    auto store = StateStore::open(dir.path());
    ::umask(old_umask);
    commit_job(*store, travel_job());

    CHECK(mode_of(dir.db()) == 0600);
    CHECK(mode_of(dir.db() + "-wal") == 0600);
    CHECK(mode_of(dir.db() + "-shm") == 0600);
    SqliteDb raw(dir.db(), std::chrono::milliseconds(1000));
    CHECK(raw.query_text("PRAGMA journal_mode") == "wal");
    CHECK(raw.user_version() == 3);
    CHECK(StateStore::schema_version() == 3);
}

TEST_CASE("open makes an existing world-readable database private again", "[state_store]") {
    TempDir dir;
    StateStore::open(dir.path());
    REQUIRE(::chmod(dir.db().c_str(), 0644) == 0);
    StateStore::open(dir.path());
    CHECK(mode_of(dir.db()) == 0600);
}

TEST_CASE("open of a missing state dir names the database path", "[state_store]") {
    TempDir dir;
    const std::string missing = dir.path() + "/nope";
    CHECK_THROWS_WITH(StateStore::open(missing),
                      "cannot create state database " + missing + "/state.db: No such file or directory");
}

TEST_CASE("re-opening keeps the data", "[state_store]") {
    TempDir dir;
    commit_job(*StateStore::open(dir.path()), travel_job());
    auto again = StateStore::open(dir.path());
    const auto job = again->job("travel");
    REQUIRE(job);
    CHECK(job->spec_hash == "9f2c");
}

TEST_CASE("a job round-trips field by field", "[state_store]") {
    TempDir dir;
    auto store = StateStore::open(dir.path());
    commit_job(*store, travel_job());
    const auto job = store->job("travel");
    REQUIRE(job);
    CHECK(job->name == "travel");
    CHECK(job->file == "/home/ana/jobs/travel.yaml");
    CHECK(job->spec_text == "name: travel\nagents: []\n");
    CHECK(job->spec_hash == "9f2c");
    CHECK(job->revision == 3);
    CHECK(job->desired == "running");
    CHECK(job->status == "degraded");
    CHECK(millis_of(job->created_at) == 1714555800123);
    CHECK(millis_of(job->updated_at) == 1714555900456);
    CHECK_FALSE(store->job("other"));
}

TEST_CASE("upserting a job updates it but keeps its creation time", "[state_store]") {
    TempDir dir;
    auto store = StateStore::open(dir.path());
    commit_job(*store, travel_job());
    JobRecord changed = travel_job();
    changed.revision = 4;
    changed.status = "running";
    changed.created_at = at_millis(1800000000000);
    changed.updated_at = at_millis(1800000000001);
    commit_job(*store, changed);
    const auto job = store->job("travel");
    REQUIRE(job);
    CHECK(job->revision == 4);
    CHECK(job->status == "running");
    CHECK(millis_of(job->created_at) == 1714555800123);
    CHECK(millis_of(job->updated_at) == 1800000000001);
}

TEST_CASE("unset times are filled in with the current time", "[state_store]") {
    TempDir dir;
    auto store = StateStore::open(dir.path());
    JobRecord job = travel_job();
    job.created_at = {};
    job.updated_at = {};
    const auto before = millis_of(Clock::now());
    commit_job(*store, job);
    const auto after = millis_of(Clock::now());
    const auto stored = store->job("travel");
    REQUIRE(stored);
    CHECK(millis_of(stored->created_at) >= before);
    CHECK(millis_of(stored->created_at) <= after);
    CHECK(millis_of(stored->updated_at) >= before);
}

TEST_CASE("jobs are listed by name", "[state_store]") {
    TempDir dir;
    auto store = StateStore::open(dir.path());
    auto tx = store->begin();
    for (const char* name : {"zeta", "alpha", "mid"}) {
        JobRecord job = travel_job();
        job.name = name;
        tx->upsert_job(job);
    }
    tx->commit();
    const auto jobs = store->jobs();
    REQUIRE(jobs.size() == 3);
    CHECK(jobs[0].name == "alpha");
    CHECK(jobs[1].name == "mid");
    CHECK(jobs[2].name == "zeta");
}

TEST_CASE("a revision round-trips and is finished", "[state_store]") {
    TempDir dir;
    auto store = StateStore::open(dir.path());
    auto tx = store->begin();
    tx->upsert_job(travel_job());
    RevisionRecord revision;
    revision.job = "travel";
    revision.revision = 2;
    revision.file = "/home/ana/jobs/travel.yaml";
    revision.spec_text = "name: travel\n";
    revision.plan_json = "{\"job\":\"travel\"}";
    revision.outcome = "pending";
    revision.started_at = at_millis(1714555800500);
    tx->insert_revision(revision);
    revision.revision = 1;
    revision.outcome = "succeeded";
    revision.finished_at = at_millis(1714555700000);
    tx->insert_revision(revision);
    tx->commit();

    const auto stored = store->revision("travel", 2);
    REQUIRE(stored);
    CHECK(stored->job == "travel");
    CHECK(stored->revision == 2);
    CHECK(stored->file == "/home/ana/jobs/travel.yaml");
    CHECK(stored->spec_text == "name: travel\n");
    CHECK(stored->plan_json == "{\"job\":\"travel\"}");
    CHECK(stored->outcome == "pending");
    CHECK(millis_of(stored->started_at) == 1714555800500);
    CHECK_FALSE(stored->finished_at);

    const auto all = store->revisions("travel");
    REQUIRE(all.size() == 2);
    CHECK(all[0].revision == 1);
    CHECK(all[0].outcome == "succeeded");
    REQUIRE(all[0].finished_at);
    CHECK(millis_of(*all[0].finished_at) == 1714555700000);
    CHECK(all[1].revision == 2);

    const auto before = millis_of(Clock::now());
    auto finish = store->begin();
    finish->finish_revision("travel", 2, "rolled-back");
    finish->commit();
    const auto finished = store->revision("travel", 2);
    REQUIRE(finished);
    CHECK(finished->outcome == "rolled-back");
    REQUIRE(finished->finished_at);
    CHECK(millis_of(*finished->finished_at) >= before);
    CHECK_FALSE(store->revision("travel", 3));
}

TEST_CASE("finishing an unknown revision or inserting one twice is a state error", "[state_store]") {
    TempDir dir;
    auto store = StateStore::open(dir.path());
    auto tx = store->begin();
    tx->upsert_job(travel_job());
    CHECK_THROWS_WITH(tx->finish_revision("travel", 9, "failed"),
                      "state database " + dir.db() + ": finishing revision 9 of job 'travel' failed: no such revision");
    RevisionRecord revision;
    revision.job = "travel";
    revision.revision = 1;
    tx->insert_revision(revision);
    CHECK_THROWS_AS(tx->insert_revision(revision), StateError);
}

TEST_CASE("an instance round-trips field by field", "[state_store]") {
    TempDir dir;
    auto store = StateStore::open(dir.path());
    auto tx = store->begin();
    tx->upsert_job(travel_job());
    tx->upsert_instance(maps_instance());
    tx->commit();

    const auto instances = store->instances("travel");
    REQUIRE(instances.size() == 1);
    const InstanceRecord& got = instances[0];
    CHECK(got.job == "travel");
    CHECK(got.instance == "maps@h2");
    CHECK(got.agent == "maps");
    CHECK(got.host == "h2");
    CHECK(got.target == "remote");
    CHECK(got.revision == 3);
    CHECK(got.stage == 1);
    CHECK(got.shim.pid == 4242);
    CHECK(got.shim.start_time == 998877);
    CHECK(got.agent_process.pid == 4243);
    CHECK(got.agent_process.start_time == 998880);
    CHECK(got.boot_id == "0b6c5d2e-boot");
    CHECK(got.container_id == "c0ffee");
    CHECK(got.url == "http://10.0.0.2:9002");
    CHECK(got.spec_hash == "a1b2");
    CHECK(got.status == "unhealthy");
    CHECK(got.restarts == 2);
    REQUIRE(got.exit_status);
    CHECK(*got.exit_status == 137);
    CHECK(got.last_health == "HTTP 503 in 4ms");
    CHECK(got.last_error == "health check failed");
    CHECK(got.run_dir == "/run/agentctl/travel/maps@h2");
    CHECK(got.log_path == "/logs/travel/maps@h2.log");
    CHECK(got.health_check == R"({"kind":"tcp"})");
    CHECK(millis_of(got.updated_at) == 1714555901000);
}

TEST_CASE("an instance without processes or exit status keeps them empty", "[state_store]") {
    TempDir dir;
    auto store = StateStore::open(dir.path());
    InstanceRecord instance = maps_instance();
    instance.shim = {};
    instance.agent_process = {};
    instance.exit_status.reset();
    auto tx = store->begin();
    tx->upsert_job(travel_job());
    tx->upsert_instance(instance);
    tx->commit();
    const auto got = store->instances("travel");
    REQUIRE(got.size() == 1);
    CHECK(got[0].shim.empty());
    CHECK(got[0].shim.start_time == 0);
    CHECK(got[0].agent_process.empty());
    CHECK_FALSE(got[0].exit_status);
}

TEST_CASE("instances are ordered by stage, then name, and can be updated and deleted", "[state_store]") {
    TempDir dir;
    auto store = StateStore::open(dir.path());
    auto tx = store->begin();
    tx->upsert_job(travel_job());
    const std::pair<const char*, int> rows[] = {{"weather", 1}, {"controller", 2}, {"maps", 1}, {"aaa", 3}};
    for (const auto& [name, stage] : rows) {
        InstanceRecord instance = maps_instance();
        instance.instance = name;
        instance.stage = stage;
        tx->upsert_instance(instance);
    }
    InstanceRecord updated = maps_instance();
    updated.instance = "maps";
    updated.stage = 1;
    updated.status = "healthy";
    tx->upsert_instance(updated);
    tx->delete_instance("travel", "aaa");
    tx->commit();

    const auto instances = store->instances("travel");
    REQUIRE(instances.size() == 3);
    CHECK(instances[0].instance == "maps");
    CHECK(instances[0].status == "healthy");
    CHECK(instances[1].instance == "weather");
    CHECK(instances[2].instance == "controller");
}

TEST_CASE("an instance of a job that was never recorded is refused at commit", "[state_store]") {
    TempDir dir;
    auto store = StateStore::open(dir.path());
    auto tx = store->begin();
    tx->upsert_instance(maps_instance());
    CHECK_THROWS_WITH(tx->commit(), "state database " + dir.db() +
                                        ": committing failed: FOREIGN KEY constraint failed");
    tx.reset();
    CHECK(store->instances("travel").empty());
}

TEST_CASE("delete_job removes the job with its instances, revisions and events", "[state_store]") {
    TempDir dir;
    auto store = StateStore::open(dir.path());
    auto tx = store->begin();
    for (const char* name : {"travel", "other"}) {
        JobRecord job = travel_job();
        job.name = name;
        tx->upsert_job(job);
        InstanceRecord instance = maps_instance();
        instance.job = name;
        tx->upsert_instance(instance);
        RevisionRecord revision;
        revision.job = name;
        revision.revision = 1;
        tx->insert_revision(revision);
        tx->add_event(event(name, "deploy-started"));
    }
    tx->commit();

    auto remove = store->begin();
    remove->delete_job("travel");
    remove->commit();

    CHECK_FALSE(store->job("travel"));
    CHECK(store->instances("travel").empty());
    CHECK(store->revisions("travel").empty());
    CHECK(store->events("travel", 0, 100).empty());
    CHECK(store->job("other"));
    CHECK(store->instances("other").size() == 1);
    CHECK(store->revisions("other").size() == 1);
    CHECK(store->events("other", 0, 100).size() == 1);
}

TEST_CASE("events are read after an id, per job or for all jobs, up to a limit", "[state_store]") {
    TempDir dir;
    auto store = StateStore::open(dir.path());
    auto tx = store->begin();
    tx->add_event(event("travel", "deploy-started"));
    tx->add_event(event("other", "deploy-started"));
    tx->add_event(event("travel", "instance-starting"));
    tx->add_event(event("travel", "instance-ready"));
    EventRecord untimed = event("travel", "rollback");
    untimed.time = {};
    untimed.agent = "";
    untimed.instance = "";
    tx->add_event(untimed);
    tx->commit();

    const auto all_travel = store->events("travel", 0, 100);
    REQUIRE(all_travel.size() == 4);
    CHECK(all_travel[0].id == 1);
    CHECK(all_travel[0].kind == "deploy-started");
    CHECK(all_travel[0].message == "deploy-started message");
    CHECK(all_travel[0].agent == "maps");
    CHECK(all_travel[0].instance == "maps");
    CHECK(millis_of(all_travel[0].time) == 1714555800000);
    CHECK(all_travel[1].id == 3);
    CHECK(all_travel[2].id == 4);
    CHECK(all_travel[3].id == 5);
    CHECK(all_travel[3].agent.empty());
    CHECK(millis_of(all_travel[3].time) > 1714555800000);

    const auto after = store->events("travel", 3, 1);
    REQUIRE(after.size() == 1);
    CHECK(after[0].id == 4);
    CHECK(after[0].kind == "instance-ready");

    const auto everyone = store->events("", 1, 2);
    REQUIRE(everyone.size() == 2);
    CHECK(everyone[0].id == 2);
    CHECK(everyone[0].job == "other");
    CHECK(everyone[1].id == 3);
    CHECK(store->events("travel", 5, 100).empty());
}

TEST_CASE("a write transaction is invisible until committed and rolled back when dropped", "[state_store]") {
    TempDir dir;
    auto writer = StateStore::open(dir.path());
    auto reader = StateStore::open(dir.path());
    {
        auto tx = writer->begin();
        tx->upsert_job(travel_job());
        CHECK_FALSE(reader->job("travel"));
    }
    CHECK_FALSE(writer->job("travel"));
    auto tx = writer->begin();
    tx->upsert_job(travel_job());
    tx->commit();
    CHECK(reader->job("travel"));
    CHECK_THROWS_WITH(tx->add_event(event("travel", "late")),
                      "state database " + dir.db() +
                          ": recording an event of job 'travel' failed: the write transaction has already been committed");
}

TEST_CASE("a nested begin on the same store is refused", "[state_store]") {
    TempDir dir;
    auto store = StateStore::open(dir.path());
    auto tx = store->begin();
    CHECK_THROWS_WITH(store->begin(), "state database " + dir.db() +
                                          ": a write transaction is already open on this thread (nested begin)");
}

TEST_CASE("data_version changes when another connection commits", "[state_store]") {
    TempDir dir;
    auto watcher = StateStore::open(dir.path());
    auto writer = StateStore::open(dir.path());
    const auto before = watcher->data_version();
    CHECK(watcher->data_version() == before);  // nothing committed meanwhile
    const auto own_writes = agentctl::state::state_writes_committed();
    commit_job(*writer, travel_job());
    CHECK(agentctl::state::state_writes_committed() == own_writes + 1);
    CHECK(watcher->data_version() != before);
}
