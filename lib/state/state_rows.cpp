#include "state/state_rows.hpp"

namespace agentctl::state::rows {
namespace {

std::optional<std::int64_t> pid_or_null(const util::ProcessRef& ref) {
    if (ref.empty()) return std::nullopt;
    return ref.pid;
}

std::optional<std::int64_t> start_or_null(const util::ProcessRef& ref) {
    if (ref.empty()) return std::nullopt;
    return static_cast<std::int64_t>(ref.start_time);
}

util::ProcessRef read_process(const SqliteStatement& row, int pid_column) {
    if (row.is_null(pid_column)) return {};
    return util::ProcessRef{static_cast<int>(row.int64(pid_column)),
                            static_cast<std::uint64_t>(row.int64(pid_column + 1))};
}

int read_int(const SqliteStatement& row, int column) {
    return static_cast<int>(row.int64(column));
}

}  // namespace

std::int64_t to_millis(Clock::time_point time) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

Clock::time_point from_millis(std::int64_t millis) {
    return Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::milliseconds(millis)));
}

Clock::time_point or_now(Clock::time_point time) {
    return time == Clock::time_point{} ? Clock::now() : time;
}

// Column lists are macros so that they concatenate with the rest of each SQL literal.
#define AGENTCTL_JOB_COLUMNS "name, file, spec_text, spec_hash, revision, desired, status, created_at, updated_at"
#define AGENTCTL_REVISION_COLUMNS "job, revision, file, spec_text, plan_json, outcome, started_at, finished_at"
#define AGENTCTL_INSTANCE_COLUMNS                                                                      \
    "job, instance, agent, host, target, revision, stage, shim_pid, shim_start, agent_pid, agent_start, " \
    "boot_id, container_id, url, spec_hash, status, restarts, exit_status, last_health, last_error, "     \
    "run_dir, log_path, updated_at, health_check, exits_recorded, shim_restarts"
#define AGENTCTL_EVENT_COLUMNS "id, time, job, agent, instance, kind, message"
#define AGENTCTL_LOCK_COLUMNS "owner_pid, owner_start, owner_host, boot_id, purpose, acquired_at"

const char* const k_select_job = "SELECT " AGENTCTL_JOB_COLUMNS " FROM jobs WHERE name = ?1";
const char* const k_select_jobs = "SELECT " AGENTCTL_JOB_COLUMNS " FROM jobs ORDER BY name";
const char* const k_select_instances =
    "SELECT " AGENTCTL_INSTANCE_COLUMNS " FROM instances WHERE job = ?1 ORDER BY stage, instance";
const char* const k_select_revision =
    "SELECT " AGENTCTL_REVISION_COLUMNS " FROM revisions WHERE job = ?1 AND revision = ?2";
const char* const k_select_revisions =
    "SELECT " AGENTCTL_REVISION_COLUMNS " FROM revisions WHERE job = ?1 ORDER BY revision";
const char* const k_select_events_of_job =
    "SELECT " AGENTCTL_EVENT_COLUMNS " FROM events WHERE job = ?1 AND id > ?2 ORDER BY id LIMIT ?3";
const char* const k_select_events_all =
    "SELECT " AGENTCTL_EVENT_COLUMNS " FROM events WHERE id > ?1 ORDER BY id LIMIT ?2";
const char* const k_select_latest_events =
    "SELECT " AGENTCTL_EVENT_COLUMNS " FROM events WHERE id IN "
    "(SELECT max(id) FROM events WHERE job = ?1 AND instance != '' GROUP BY instance) ORDER BY id";
const char* const k_select_lock = "SELECT " AGENTCTL_LOCK_COLUMNS " FROM locks WHERE job = ?1";

JobRecord read_job(const SqliteStatement& row) {
    JobRecord job;
    job.name = row.text(0);
    job.file = row.text(1);
    job.spec_text = row.text(2);
    job.spec_hash = row.text(3);
    job.revision = read_int(row, 4);
    job.desired = row.text(5);
    job.status = row.text(6);
    job.created_at = from_millis(row.int64(7));
    job.updated_at = from_millis(row.int64(8));
    return job;
}

RevisionRecord read_revision(const SqliteStatement& row) {
    RevisionRecord revision;
    revision.job = row.text(0);
    revision.revision = read_int(row, 1);
    revision.file = row.text(2);
    revision.spec_text = row.text(3);
    revision.plan_json = row.text(4);
    revision.outcome = row.text(5);
    revision.started_at = from_millis(row.int64(6));
    if (!row.is_null(7)) revision.finished_at = from_millis(row.int64(7));
    return revision;
}

InstanceRecord read_instance(const SqliteStatement& row) {
    InstanceRecord instance;
    instance.job = row.text(0);
    instance.instance = row.text(1);
    instance.agent = row.text(2);
    instance.host = row.text(3);
    instance.target = row.text(4);
    instance.revision = read_int(row, 5);
    instance.stage = read_int(row, 6);
    instance.shim = read_process(row, 7);
    instance.agent_process = read_process(row, 9);
    instance.boot_id = row.text(11);
    instance.container_id = row.text(12);
    instance.url = row.text(13);
    instance.spec_hash = row.text(14);
    instance.status = row.text(15);
    instance.restarts = read_int(row, 16);
    if (!row.is_null(17)) instance.exit_status = read_int(row, 17);
    instance.last_health = row.text(18);
    instance.last_error = row.text(19);
    instance.run_dir = row.text(20);
    instance.log_path = row.text(21);
    instance.updated_at = from_millis(row.int64(22));
    instance.health_check = row.text(23);
    instance.exits_recorded = read_int(row, 24);
    instance.shim_restarts = read_int(row, 25);
    return instance;
}

EventRecord read_event(const SqliteStatement& row) {
    EventRecord event;
    event.id = row.int64(0);
    event.time = from_millis(row.int64(1));
    event.job = row.text(2);
    event.agent = row.text(3);
    event.instance = row.text(4);
    event.kind = row.text(5);
    event.message = row.text(6);
    return event;
}

LockOwner read_lock(const SqliteStatement& row) {
    LockOwner owner;
    owner.process = util::ProcessRef{static_cast<int>(row.int64(0)), static_cast<std::uint64_t>(row.int64(1))};
    owner.host = row.text(2);
    owner.boot_id = row.text(3);
    owner.purpose = row.text(4);
    owner.acquired_at = from_millis(row.int64(5));
    return owner;
}

void upsert_job(SqliteDb& db, const JobRecord& job) {
    // ON CONFLICT DO UPDATE, not INSERT OR REPLACE: a REPLACE deletes the row first, which
    // would cascade to the job's instances and revisions.
    auto statement = db.prepare(
        "INSERT INTO jobs (" AGENTCTL_JOB_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
        "ON CONFLICT (name) DO UPDATE SET file = excluded.file, spec_text = excluded.spec_text, "
        "spec_hash = excluded.spec_hash, revision = excluded.revision, desired = excluded.desired, "
        "status = excluded.status, updated_at = excluded.updated_at");
    statement.bind(1, job.name).bind(2, job.file).bind(3, job.spec_text).bind(4, job.spec_hash);
    statement.bind(5, std::int64_t{job.revision}).bind(6, job.desired).bind(7, job.status);
    statement.bind(8, to_millis(or_now(job.created_at))).bind(9, to_millis(or_now(job.updated_at)));
    statement.run();
}

void upsert_instance(SqliteDb& db, const InstanceRecord& instance) {
    auto statement = db.prepare(
        "INSERT INTO instances (" AGENTCTL_INSTANCE_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
        "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26) "
        "ON CONFLICT (job, instance) DO UPDATE SET agent = excluded.agent, host = excluded.host, "
        "target = excluded.target, revision = excluded.revision, stage = excluded.stage, "
        "shim_pid = excluded.shim_pid, shim_start = excluded.shim_start, agent_pid = excluded.agent_pid, "
        "agent_start = excluded.agent_start, boot_id = excluded.boot_id, "
        "container_id = excluded.container_id, url = excluded.url, spec_hash = excluded.spec_hash, "
        "status = excluded.status, restarts = excluded.restarts, exit_status = excluded.exit_status, "
        "last_health = excluded.last_health, last_error = excluded.last_error, run_dir = excluded.run_dir, "
        "log_path = excluded.log_path, updated_at = excluded.updated_at, health_check = excluded.health_check, "
        "exits_recorded = excluded.exits_recorded, shim_restarts = excluded.shim_restarts");
    statement.bind(1, instance.job).bind(2, instance.instance).bind(3, instance.agent);
    statement.bind(4, instance.host).bind(5, instance.target);
    statement.bind(6, std::int64_t{instance.revision}).bind(7, std::int64_t{instance.stage});
    statement.bind(8, pid_or_null(instance.shim)).bind(9, start_or_null(instance.shim));
    statement.bind(10, pid_or_null(instance.agent_process)).bind(11, start_or_null(instance.agent_process));
    statement.bind(12, instance.boot_id).bind(13, instance.container_id).bind(14, instance.url);
    statement.bind(15, instance.spec_hash).bind(16, instance.status);
    statement.bind(17, std::int64_t{instance.restarts});
    std::optional<std::int64_t> exit_status;
    if (instance.exit_status) exit_status = *instance.exit_status;
    statement.bind(18, exit_status).bind(19, instance.last_health).bind(20, instance.last_error);
    statement.bind(21, instance.run_dir).bind(22, instance.log_path);
    statement.bind(23, to_millis(or_now(instance.updated_at))).bind(24, instance.health_check);
    statement.bind(25, std::int64_t{instance.exits_recorded}).bind(26, std::int64_t{instance.shim_restarts});
    statement.run();
}

void insert_revision(SqliteDb& db, const RevisionRecord& revision) {
    auto statement = db.prepare("INSERT INTO revisions (" AGENTCTL_REVISION_COLUMNS
                                ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    statement.bind(1, revision.job).bind(2, std::int64_t{revision.revision}).bind(3, revision.file);
    statement.bind(4, revision.spec_text).bind(5, revision.plan_json).bind(6, revision.outcome);
    statement.bind(7, to_millis(or_now(revision.started_at)));
    std::optional<std::int64_t> finished;
    if (revision.finished_at) finished = to_millis(*revision.finished_at);
    statement.bind(8, finished);
    statement.run();
}

bool finish_revision(SqliteDb& db, const std::string& job, int revision, const std::string& outcome) {
    auto statement =
        db.prepare("UPDATE revisions SET outcome = ?1, finished_at = ?2 WHERE job = ?3 AND revision = ?4");
    statement.bind(1, outcome).bind(2, to_millis(Clock::now())).bind(3, job).bind(4, std::int64_t{revision});
    return statement.run() > 0;
}

void insert_event(SqliteDb& db, const EventRecord& event) {
    auto statement = db.prepare(
        "INSERT INTO events (time, job, agent, instance, kind, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    statement.bind(1, to_millis(or_now(event.time))).bind(2, event.job).bind(3, event.agent);
    statement.bind(4, event.instance).bind(5, event.kind).bind(6, event.message);
    statement.run();
}

void delete_job(SqliteDb& db, const std::string& job) {
    // Explicit deletes rather than relying on the foreign keys' cascade alone: events have no
    // foreign key, and the result must not depend on a connection's PRAGMA foreign_keys.
    db.prepare("DELETE FROM events WHERE job = ?1").bind(1, job).run();
    db.prepare("DELETE FROM instances WHERE job = ?1").bind(1, job).run();
    db.prepare("DELETE FROM revisions WHERE job = ?1").bind(1, job).run();
    db.prepare("DELETE FROM jobs WHERE name = ?1").bind(1, job).run();
}

void delete_instance(SqliteDb& db, const std::string& job, const std::string& instance) {
    db.prepare("DELETE FROM instances WHERE job = ?1 AND instance = ?2").bind(1, job).bind(2, instance).run();
}

void write_lock(SqliteDb& db, const std::string& job, const LockOwner& owner) {
    auto statement = db.prepare("INSERT OR REPLACE INTO locks (job, " AGENTCTL_LOCK_COLUMNS
                                ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    statement.bind(1, job).bind(2, std::int64_t{owner.process.pid});
    statement.bind(3, static_cast<std::int64_t>(owner.process.start_time));
    statement.bind(4, owner.host).bind(5, owner.boot_id).bind(6, owner.purpose);
    statement.bind(7, to_millis(owner.acquired_at));
    statement.run();
}

#undef AGENTCTL_JOB_COLUMNS
#undef AGENTCTL_REVISION_COLUMNS
#undef AGENTCTL_INSTANCE_COLUMNS
#undef AGENTCTL_EVENT_COLUMNS
#undef AGENTCTL_LOCK_COLUMNS

}  // namespace agentctl::state::rows
