#include "state/schema.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "state/sqlite_db.hpp"
#include "state/state_store.hpp"
#include "state_test_support.hpp"

using agentctl::state::latest_version;
using agentctl::state::migrate;
using agentctl::state::MigrationStep;
using agentctl::state::SqliteDb;
using agentctl::state::StateError;
using agentctl::state::StateStore;
using agentctl::state::testing::fork_child;
using agentctl::state::testing::TempDir;
using agentctl::state::testing::wait_exit;

namespace {

constexpr std::chrono::milliseconds k_timeout{2000};

std::string table_names(SqliteDb& db) {
    return db.query_text(
        "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite_%' ORDER BY name)");
}

void write_file(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    REQUIRE(out.good());
}

}  // namespace

TEST_CASE("an empty (version 0) file is migrated to the current schema", "[migration]") {
    TempDir dir;
    write_file(dir.db(), "");
    StateStore::open(dir.path());
    SqliteDb db(dir.db(), k_timeout);
    CHECK(db.user_version() == 3);
    CHECK(table_names(db) == "events,instances,jobs,locks,revisions");
    CHECK(db.query_text("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'events_by_job'") == "1");
}

TEST_CASE("a database newer than this binary is refused and left untouched", "[migration]") {
    TempDir dir;
    {
        SqliteDb db(dir.db(), k_timeout);
        db.exec("CREATE TABLE future (x INTEGER)");
        db.set_user_version(99);
    }
    CHECK_THROWS_WITH(StateStore::open(dir.path()),
                      "state database " + dir.db() +
                          " has schema version 99, newer than this agentctl understands (3); "
                          "upgrade agentctl or use another --state-dir");
    CHECK_THROWS_AS(StateStore::open(dir.path()), StateError);
    SqliteDb db(dir.db(), k_timeout);
    CHECK(db.user_version() == 99);
    CHECK(db.query_text("PRAGMA journal_mode") == "delete");
    CHECK(table_names(db) == "future");
}

TEST_CASE("a file that is not a database is refused with its path", "[migration]") {
    TempDir dir;
    write_file(dir.db(), std::string(4096, 'x'));
    CHECK_THROWS_WITH(StateStore::open(dir.path()),
                      "state database " + dir.db() +
                          " is damaged or not an SQLite database (file is not a database); "
                          "move it aside or use another --state-dir");
}

TEST_CASE("forward migrations apply the missing steps in order and keep the data", "[migration]") {
    TempDir dir;
    const std::vector<MigrationStep> v1 = {{1, "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)"}};
    std::vector<MigrationStep> v3 = v1;
    v3.push_back({2, "ALTER TABLE notes ADD COLUMN author TEXT NOT NULL DEFAULT 'nobody'"});
    v3.push_back({3, "CREATE TABLE tags (note INTEGER, tag TEXT)"});
    CHECK(latest_version(v3) == 3);
    CHECK(latest_version({}) == 0);

    SqliteDb db(dir.db(), k_timeout);
    migrate(db, v1, k_timeout);
    CHECK(db.user_version() == 1);
    db.exec("INSERT INTO notes (text) VALUES ('kept')");

    migrate(db, v3, k_timeout);
    CHECK(db.user_version() == 3);
    CHECK(db.query_text("SELECT text || '/' || author FROM notes") == "kept/nobody");
    CHECK(table_names(db) == "notes,tags");

    // Running again is a no-op (the ALTER would fail if it ran twice).
    migrate(db, v3, k_timeout);
    CHECK(db.user_version() == 3);
    CHECK_FALSE(db.in_transaction());
}

TEST_CASE("a failing migration step leaves the database at its old version", "[migration]") {
    TempDir dir;
    const std::vector<MigrationStep> broken = {{1, "CREATE TABLE a (x INTEGER)"}, {2, "THIS IS NOT SQL"}};
    SqliteDb db(dir.db(), k_timeout);
    CHECK_THROWS(migrate(db, broken, k_timeout));
    CHECK(db.user_version() == 0);
    CHECK(table_names(db) == "");
    CHECK_FALSE(db.in_transaction());
}

TEST_CASE("processes opening a fresh state dir at once migrate it exactly once", "[migration]") {
    TempDir dir;
    std::vector<pid_t> children;
    for (int i = 0; i < 6; ++i) {
        children.push_back(fork_child([&] {
            StateStore::open(dir.path());
            return 0;
        }));
    }
    for (pid_t child : children) CHECK(wait_exit(child) == 0);
    SqliteDb db(dir.db(), k_timeout);
    CHECK(db.user_version() == 3);
    CHECK(db.query_text("PRAGMA journal_mode") == "wal");
    CHECK(table_names(db) == "events,instances,jobs,locks,revisions");
}

TEST_CASE("a version 1 database keeps its rows when migrated to version 2", "[migration]") {
    TempDir dir;
    {
        SqliteDb db(dir.db(), k_timeout);
        migrate(db, {agentctl::state::schema_migrations().at(0)}, k_timeout);
        REQUIRE(db.user_version() == 1);
        db.exec("INSERT INTO jobs VALUES ('old', '/jobs/old.yaml', 'text', 'h', 1, 'running', 'running', 1, 2)");
        db.exec("INSERT INTO instances (job, instance, agent, host, target, revision, stage, boot_id, container_id, "
                "url, spec_hash, status, last_health, last_error, run_dir, log_path, updated_at) VALUES ('old', 'web', "
                "'web', '127.0.0.1', 'localhost', 1, 0, 'b', '', 'http://127.0.0.1:9001', 'h', 'healthy', '', '', "
                "'/run/web', '/logs/web.log', 3)");
    }
    auto store = StateStore::open(dir.path());
    auto instances = store->instances("old");
    REQUIRE(instances.size() == 1);
    CHECK(instances[0].url == "http://127.0.0.1:9001");
    CHECK(instances[0].status == "healthy");
    CHECK(instances[0].health_check.empty());
    CHECK(instances[0].exits_recorded == 0);
    SqliteDb db(dir.db(), k_timeout);
    CHECK(db.user_version() == 3);
}
