#pragma once
// StateStore: agentctl's SQLite state (DESIGN.md §5) — the only code in the project that speaks
// SQL. Every deploy step is recorded before it acts (intent) and confirmed after, so that a
// kill -9 at any moment leaves state that `status` can reconcile and `deploy` can converge from.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/duration.hpp"
#include "util/errors.hpp"
#include "util/process.hpp"

namespace agentctl::state {

using Clock = std::chrono::system_clock;
using util::Millis;

/// A job as recorded. Secrets never reach these fields: `spec_text` is the job file's text as
/// written (its `${VAR}` references, never their values).
struct JobRecord {
    std::string name;
    std::string file;          ///< absolute path of the job file it was deployed from
    std::string spec_text;     ///< the job file's text at the current revision
    std::string spec_hash;     ///< keyed hash of the whole plan
    int revision = 0;          ///< the current revision (0: none succeeded yet)
    std::string desired;       ///< "running" | "stopped"
    std::string status;        ///< "deploying" | "running" | "degraded" | "failed" | "stopping" | "stopped"
    Clock::time_point created_at{};
    Clock::time_point updated_at{};
};

/// One deploy attempt.
struct RevisionRecord {
    std::string job;
    int revision = 0;
    std::string file;
    std::string spec_text;
    std::string plan_json;     ///< plan::plan_to_json (no secrets)
    std::string outcome;       ///< "pending" | "succeeded" | "failed" | "rolled-back" | "interrupted"
    Clock::time_point started_at{};
    std::optional<Clock::time_point> finished_at;
};

/// One instance of an agent (the agent itself, or one fleet host).
struct InstanceRecord {
    std::string job;
    std::string instance;      ///< "id" or "id@host"; unique within the job
    std::string agent;
    std::string host;
    std::string target;        ///< "localhost" | "remote" | "container" | "kubernetes"
    int revision = 0;          ///< the revision that started it
    int stage = 0;
    util::ProcessRef shim;     ///< empty when not (yet) known
    util::ProcessRef agent_process;
    std::string boot_id;       ///< the boot the start times belong to
    std::string container_id;
    std::string url;
    std::string spec_hash;
    std::string status;        ///< "starting" | "healthy" | "running" | "unhealthy" | "exited" | "failed" | "stopping" | "stopped"
    int restarts = 0;
    std::optional<int> exit_status;
    std::string last_health;   ///< e.g. "HTTP 200 in 3ms", "connection refused"
    std::string last_error;
    std::string run_dir;       ///< where the shim keeps its status file and launch file
    std::string log_path;
    Clock::time_point updated_at{};
    /// The instance's health check as compact JSON (runners::health_check_text), so that
    /// `status` probes without reading every launch record; empty in rows of schema version 1.
    std::string health_check;
    /// How many exits of the current shim (its status file's exit numbers) already have their
    /// events; schema version 3 (older rows: 0).
    int exits_recorded = 0;
    /// How many of the current shim's restarts are already counted in `restarts` (schema 3).
    int shim_restarts = 0;
};

/// One event row.
struct EventRecord {
    std::int64_t id = 0;
    Clock::time_point time{};
    std::string job;
    std::string agent;         ///< may be empty (job-level event)
    std::string instance;      ///< may be empty
    std::string kind;          ///< e.g. "deploy-started", "instance-starting", "instance-ready", "instance-stopped", "rollback"
    std::string message;
};

/// Thrown when the state cannot be used: a database newer than this binary, a corrupt file, an I/O error.
class StateError : public util::Error {
public:
    /// Builds a state error (exit 1).
    explicit StateError(const std::string& message) : util::Error(message, util::ExitCode::failed) {}
};

/// Thrown when another live agentctl holds the job's lock (exit 3).
class LockedError : public util::Error {
public:
    /// Builds a lock error naming the owner.
    explicit LockedError(const std::string& message) : util::Error(message, util::ExitCode::locked) {}
};

/// Who holds a job's lock.
struct LockOwner {
    util::ProcessRef process;
    std::string host;          ///< hostname
    std::string boot_id;
    std::string purpose;       ///< "deploy" | "stop" | "restart" | "monitor-restart"
    Clock::time_point acquired_at{};
};

class StateStore;

/// A held per-job lock; released by its destructor (or by the owner's death: stale locks are taken over).
class JobLock {
public:
    JobLock(JobLock&&) noexcept;
    JobLock& operator=(JobLock&&) noexcept;
    JobLock(const JobLock&) = delete;
    JobLock& operator=(const JobLock&) = delete;
    ~JobLock();
    /// Releases the lock now (idempotent).
    void release();

private:
    friend class StateStore;
    JobLock(StateStore* store, std::string job);
    StateStore* m_store = nullptr;
    std::string m_job;
};

/// A write transaction (BEGIN IMMEDIATE). All mutations go through one; commit() makes them
/// durable and counts as one "state write" for the crash test hook.
class WriteTx {
public:
    virtual ~WriteTx() = default;
    virtual void upsert_job(const JobRecord& job) = 0;
    virtual void delete_job(const std::string& job) = 0;  ///< with its instances, revisions and events
    virtual void insert_revision(const RevisionRecord& revision) = 0;
    virtual void finish_revision(const std::string& job, int revision, const std::string& outcome) = 0;
    virtual void upsert_instance(const InstanceRecord& instance) = 0;
    virtual void delete_instance(const std::string& job, const std::string& instance) = 0;
    virtual void add_event(const EventRecord& event) = 0;  ///< id and (if unset) time are filled in
    /// Commits; until then nothing is visible to other processes. Destruction without commit rolls back.
    virtual void commit() = 0;
};

/// The state of one state dir.
class StateStore {
public:
    /// Opens (creating it 0600 in the existing 0700 `state_dir`) `<state_dir>/state.db`:
    /// WAL mode, a busy timeout, schema migrations up to the current version. Throws StateError
    /// for a database whose schema is newer than this binary, naming both versions.
    static std::unique_ptr<StateStore> open(const std::string& state_dir);
    virtual ~StateStore() = default;

    /// The schema version this binary writes (PRAGMA user_version).
    static int schema_version();

    // Reads (each a consistent snapshot).
    virtual std::optional<JobRecord> job(const std::string& name) = 0;
    virtual std::vector<JobRecord> jobs() = 0;  ///< ordered by name
    virtual std::vector<InstanceRecord> instances(const std::string& job) = 0;  ///< by stage, then instance
    virtual std::optional<RevisionRecord> revision(const std::string& job, int revision) = 0;
    virtual std::vector<RevisionRecord> revisions(const std::string& job) = 0;  ///< oldest first
    /// Events of `job` (all jobs when empty) after id `after_id`, oldest first, at most `limit`.
    virtual std::vector<EventRecord> events(const std::string& job, std::int64_t after_id, std::size_t limit) = 0;
    /// The newest event of each instance of `job` (instance-level events only), oldest first.
    virtual std::vector<EventRecord> latest_events(const std::string& job) = 0;
    /// SQLite's PRAGMA data_version: it changes when another connection has committed a change
    /// since this connection last looked (this process's own commits: state_writes_committed()).
    /// A caller that polls the state (the monitor) reads it again only when either changed.
    virtual std::int64_t data_version() = 0;

    /// Begins a write transaction (BEGIN IMMEDIATE, retried under the busy timeout).
    virtual std::unique_ptr<WriteTx> begin() = 0;

    /// Takes the job's lock, waiting up to `wait` (0: fail at once) for a live owner to let go;
    /// a lock whose owner process is gone (same host and boot, pid + start time no longer match)
    /// is taken over. Throws LockedError naming the owner's pid, host and purpose.
    virtual JobLock lock_job(const std::string& job, const std::string& purpose, Millis wait) = 0;
    /// The current owner of the job's lock, if any (live or stale).
    virtual std::optional<LockOwner> lock_owner(const std::string& job) = 0;

protected:
    friend class JobLock;
    virtual void unlock_job(const std::string& job) noexcept = 0;
    /// Wraps a lock the implementation has just taken for `job` in the JobLock that releases it
    /// (JobLock's constructor is private to StateStore, and friendship is not inherited).
    static JobLock make_job_lock(StateStore* store, std::string job);
};

/// The crash test hook (DESIGN.md §5): when the environment variable AGENTCTL_CRASH_AT_WRITE=N is
/// set, the process SIGKILLs itself right after the N-th committed state write (1-based, counted per
/// process). Returns the number of writes committed so far by this process.
std::uint64_t state_writes_committed();

}  // namespace agentctl::state
