#include "state/schema.hpp"

#include "state/sqlite_db.hpp"
#include "state/state_store.hpp"

namespace agentctl::state {
namespace {

// Version 1. Times are integer milliseconds since the Unix epoch (UTC). Instances and
// revisions belong to a job row (deferred, so a transaction may write them in any order, and
// deleting the job deletes them); events and locks do not, because a job-level event or a
// lock may exist before the job has ever been recorded.
const char* const k_schema_v1 = R"sql(
CREATE TABLE jobs (
    name        TEXT PRIMARY KEY NOT NULL,
    file        TEXT NOT NULL,
    spec_text   TEXT NOT NULL,
    spec_hash   TEXT NOT NULL,
    revision    INTEGER NOT NULL DEFAULT 0,
    desired     TEXT NOT NULL,
    status      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE TABLE revisions (
    job         TEXT NOT NULL REFERENCES jobs(name) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    revision    INTEGER NOT NULL,
    file        TEXT NOT NULL,
    spec_text   TEXT NOT NULL,
    plan_json   TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    PRIMARY KEY (job, revision)
);
CREATE TABLE instances (
    job           TEXT NOT NULL REFERENCES jobs(name) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    instance      TEXT NOT NULL,
    agent         TEXT NOT NULL,
    host          TEXT NOT NULL,
    target        TEXT NOT NULL,
    revision      INTEGER NOT NULL,
    stage         INTEGER NOT NULL,
    shim_pid      INTEGER,
    shim_start    INTEGER,
    agent_pid     INTEGER,
    agent_start   INTEGER,
    boot_id       TEXT NOT NULL,
    container_id  TEXT NOT NULL,
    url           TEXT NOT NULL,
    spec_hash     TEXT NOT NULL,
    status        TEXT NOT NULL,
    restarts      INTEGER NOT NULL DEFAULT 0,
    exit_status   INTEGER,
    last_health   TEXT NOT NULL,
    last_error    TEXT NOT NULL,
    run_dir       TEXT NOT NULL,
    log_path      TEXT NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (job, instance)
);
CREATE TABLE events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    time      INTEGER NOT NULL,
    job       TEXT NOT NULL,
    agent     TEXT NOT NULL,
    instance  TEXT NOT NULL,
    kind      TEXT NOT NULL,
    message   TEXT NOT NULL
);
CREATE INDEX events_by_job ON events (job, id);
CREATE TABLE locks (
    job          TEXT PRIMARY KEY NOT NULL,
    owner_pid    INTEGER NOT NULL,
    owner_start  INTEGER NOT NULL,
    owner_host   TEXT NOT NULL,
    boot_id      TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    acquired_at  INTEGER NOT NULL
);
)sql";

// Version 2: the health check of each instance, read by every `status` (schema v1 rows: empty,
// and status falls back to the instance's launch record).
const char* const k_schema_v2 = R"sql(
ALTER TABLE instances ADD COLUMN health_check TEXT NOT NULL DEFAULT '';
)sql";

// Version 3: how many of an instance's exits and restarts (counted by its shim, which restarts
// it under its restart policy) are already in the events table and in `restarts`, so that each
// becomes exactly one event and is counted once.
const char* const k_schema_v3 = R"sql(
ALTER TABLE instances ADD COLUMN exits_recorded INTEGER NOT NULL DEFAULT 0;
ALTER TABLE instances ADD COLUMN shim_restarts INTEGER NOT NULL DEFAULT 0;
)sql";

void rollback_quietly(SqliteDb& db) noexcept {
    try {
        if (db.in_transaction()) db.exec("ROLLBACK");
    } catch (...) {
        // The connection is being abandoned by the error already propagating.
    }
}

[[noreturn]] void refuse_newer(const SqliteDb& db, int found, int known) {
    throw StateError("state database " + db.path() + " has schema version " + std::to_string(found) +
                     ", newer than this agentctl understands (" + std::to_string(known) +
                     "); upgrade agentctl or use another --state-dir");
}

}  // namespace

const std::vector<MigrationStep>& schema_migrations() {
    static const std::vector<MigrationStep> steps = {
        {1, k_schema_v1},
        {2, k_schema_v2},
        {3, k_schema_v3},
    };
    return steps;
}

int latest_version(const std::vector<MigrationStep>& steps) {
    return steps.empty() ? 0 : steps.back().version;
}

void migrate(SqliteDb& db, const std::vector<MigrationStep>& steps, util::Millis busy_timeout) {
    const int target = latest_version(steps);
    const int before = retry_while_busy(busy_timeout, [&] { return db.user_version(); });
    if (before > target) refuse_newer(db, before, target);
    if (before == target) return;

    retry_while_busy(busy_timeout, [&] { db.exec("BEGIN IMMEDIATE"); });
    try {
        // Another process may have migrated between our first look and taking the write lock.
        const int current = db.user_version();
        if (current > target) refuse_newer(db, current, target);
        for (const MigrationStep& step : steps) {
            if (step.version > current) db.exec(step.sql);
        }
        db.set_user_version(target);
        db.exec("COMMIT");
    } catch (...) {
        rollback_quietly(db);
        throw;
    }
}

}  // namespace agentctl::state
