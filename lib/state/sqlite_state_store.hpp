#pragma once
// SqliteStateStore: the StateStore on one SQLite connection (internal to lib/state). Its
// members are split by concern: state_store.cpp (open, reads, write transactions) and
// job_lock.cpp (the per-job lock).

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "state/sqlite_db.hpp"
#include "state/state_store.hpp"

namespace agentctl::state {

/// How long a writer or reader waits for another process's lock before giving up.
constexpr util::Millis k_busy_timeout{10000};

/// The SQLite implementation of StateStore.
class SqliteStateStore final : public StateStore {
public:
    /// Opens `<state_dir>/state.db` as StateStore::open documents.
    explicit SqliteStateStore(const std::string& state_dir);

    std::optional<JobRecord> job(const std::string& name) override;
    std::vector<JobRecord> jobs() override;
    std::vector<InstanceRecord> instances(const std::string& job) override;
    std::int64_t data_version() override;
    std::optional<RevisionRecord> revision(const std::string& job, int revision) override;
    std::vector<RevisionRecord> revisions(const std::string& job) override;
    std::vector<EventRecord> events(const std::string& job, std::int64_t after_id, std::size_t limit) override;
    std::vector<EventRecord> latest_events(const std::string& job) override;
    std::unique_ptr<WriteTx> begin() override;
    JobLock lock_job(const std::string& job, const std::string& purpose, Millis wait) override;
    std::optional<LockOwner> lock_owner(const std::string& job) override;

    /// The connection; use only while holding mutex().
    SqliteDb& db() { return *m_db; }
    /// Serialises this connection between threads; recursive so that a thread holding a write
    /// transaction may still read through the same store.
    std::recursive_mutex& mutex() { return m_mutex; }
    /// The database file.
    const std::string& path() const { return m_path; }

    /// The StateError for an SQLite failure while `doing` something, naming the database.
    StateError failure(const SqliteError& error, const std::string& doing) const;

protected:
    void unlock_job(const std::string& job) noexcept override;

private:
    /// Runs `read` under the mutex, retrying while the database is busy; maps SQLite failures.
    template <class Read>
    auto read(const std::string& doing, Read&& read) -> decltype(read());

    /// One attempt at taking the lock: nullopt when taken, else the live owner that holds it.
    std::optional<LockOwner> try_lock(const std::string& job, const std::string& purpose,
                                      const util::ProcessRef& self);

    std::string m_path;
    std::unique_ptr<SqliteDb> m_db;
    std::recursive_mutex m_mutex;
    std::string m_hostname;
    std::string m_boot_id;
};

template <class Read>
auto SqliteStateStore::read(const std::string& doing, Read&& read) -> decltype(read()) {
    std::lock_guard<std::recursive_mutex> guard(m_mutex);
    try {
        return retry_while_busy(k_busy_timeout, read);
    } catch (const SqliteError& error) {
        throw failure(error, doing);
    }
}

}  // namespace agentctl::state
