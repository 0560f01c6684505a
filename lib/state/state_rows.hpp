#pragma once
// The mapping between state_store.hpp's records and the rows of the state tables (internal to
// lib/state): one SELECT column list and one reader per record type, and the write statements.
// Times are integer milliseconds since the Unix epoch; an empty ProcessRef is stored as NULLs.

#include <cstdint>

#include "state/sqlite_db.hpp"
#include "state/state_store.hpp"

namespace agentctl::state::rows {

/// Milliseconds since the epoch of `time` (sub-millisecond precision is dropped).
std::int64_t to_millis(Clock::time_point time);
/// The time point `millis` milliseconds after the epoch.
Clock::time_point from_millis(std::int64_t millis);
/// `time`, or now when it is unset (the epoch).
Clock::time_point or_now(Clock::time_point time);

/// SELECT statements; each returns the columns its reader below expects.
extern const char* const k_select_job;        ///< ?1 = name
extern const char* const k_select_jobs;       ///< ordered by name
extern const char* const k_select_instances;  ///< ?1 = job; by stage, then instance
extern const char* const k_select_revision;   ///< ?1 = job, ?2 = revision
extern const char* const k_select_revisions;  ///< ?1 = job; oldest first
extern const char* const k_select_events_of_job;  ///< ?1 = job, ?2 = after id, ?3 = limit
extern const char* const k_select_events_all;     ///< ?1 = after id, ?2 = limit
extern const char* const k_select_latest_events;  ///< ?1 = job: the newest event of each instance
extern const char* const k_select_lock;       ///< ?1 = job

/// The record in the current row of a statement above.
JobRecord read_job(const SqliteStatement& row);
RevisionRecord read_revision(const SqliteStatement& row);
InstanceRecord read_instance(const SqliteStatement& row);
EventRecord read_event(const SqliteStatement& row);
LockOwner read_lock(const SqliteStatement& row);

/// Writes: insert-or-update a job (created_at of an existing row is kept) or an instance.
void upsert_job(SqliteDb& db, const JobRecord& job);
void upsert_instance(SqliteDb& db, const InstanceRecord& instance);
/// Inserts a revision (an existing job + revision pair is an SqliteError).
void insert_revision(SqliteDb& db, const RevisionRecord& revision);
/// Sets a revision's outcome and finished_at (now); returns false when there is no such row.
bool finish_revision(SqliteDb& db, const std::string& job, int revision, const std::string& outcome);
/// Inserts an event (id assigned by SQLite, time now when unset).
void insert_event(SqliteDb& db, const EventRecord& event);
/// Deletes a job with its instances, revisions and events.
void delete_job(SqliteDb& db, const std::string& job);
/// Deletes one instance row.
void delete_instance(SqliteDb& db, const std::string& job, const std::string& instance);
/// Inserts or replaces the lock row of `job`.
void write_lock(SqliteDb& db, const std::string& job, const LockOwner& owner);

}  // namespace agentctl::state::rows
