// The per-job lock (DESIGN.md §5): one deploy/stop per job at a time, stale locks of dead
// owners taken over. The lock is a row in the `locks` table, read and written inside one
// IMMEDIATE transaction so that two processes can never both see the job as free.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <thread>

#include "state/crash_hook.hpp"
#include "state/sqlite_state_store.hpp"
#include "state/state_rows.hpp"
#include "util/duration.hpp"

namespace agentctl::state {
namespace {

constexpr util::Millis k_poll_interval{50};

// "09:30:00" for a lock taken today, "2024-05-01 09:30:00" for an older one (local time).
std::string format_since(Clock::time_point when) {
    const std::time_t then = Clock::to_time_t(when);
    const std::time_t now = Clock::to_time_t(Clock::now());
    std::tm then_local{};
    std::tm now_local{};
    ::localtime_r(&then, &then_local);
    ::localtime_r(&now, &now_local);
    const bool today = then_local.tm_year == now_local.tm_year && then_local.tm_yday == now_local.tm_yday;
    char buffer[32];
    std::strftime(buffer, sizeof buffer, today ? "%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &then_local);
    return buffer;
}

std::string locked_message(const std::string& job, const LockOwner& owner, util::Millis waited) {
    std::string message = "job '" + job + "' is locked by agentctl pid " + std::to_string(owner.process.pid) +
                          " on host " + owner.host + " (" + owner.purpose + ", since " +
                          format_since(owner.acquired_at) + ")";
    if (waited.count() <= 0) return message + "; wait with --lock-wait 30s or try again later";
    return message + "; still locked after waiting " + util::format_duration(waited) +
           "; try a longer --lock-wait or try again later";
}

void rollback_quietly(SqliteDb& db) noexcept {
    try {
        if (db.in_transaction()) db.exec("ROLLBACK");
    } catch (...) {
        // Nothing more can be done; the error that brought us here is what the caller sees.
    }
}

}  // namespace

JobLock::JobLock(StateStore* store, std::string job) : m_store(store), m_job(std::move(job)) {}

JobLock::JobLock(JobLock&& other) noexcept : m_store(other.m_store), m_job(std::move(other.m_job)) {
    other.m_store = nullptr;
}

JobLock& JobLock::operator=(JobLock&& other) noexcept {
    if (this != &other) {
        release();
        m_store = other.m_store;
        m_job = std::move(other.m_job);
        other.m_store = nullptr;
    }
    return *this;
}

JobLock::~JobLock() {
    release();
}

void JobLock::release() {
    if (m_store == nullptr) return;
    StateStore* store = m_store;
    m_store = nullptr;
    store->unlock_job(m_job);
}

JobLock StateStore::make_job_lock(StateStore* store, std::string job) {
    return JobLock(store, std::move(job));
}

std::optional<LockOwner> SqliteStateStore::try_lock(const std::string& job, const std::string& purpose,
                                                    const util::ProcessRef& self) {
    std::lock_guard<std::recursive_mutex> guard(m_mutex);
    if (m_db->in_transaction()) {
        throw StateError("state database " + m_path + ": locking job '" + job +
                         "' failed: a write transaction is open on this thread");
    }
    try {
        retry_while_busy(k_busy_timeout, [&] { m_db->exec("BEGIN IMMEDIATE"); });
        try {
            std::optional<LockOwner> current;
            {
                auto statement = m_db->prepare(rows::k_select_lock);
                statement.bind(1, job);
                if (statement.step()) current = rows::read_lock(statement);
            }
            // A lock is stale only when its owner is provably gone: on this host, either another
            // boot, or a pid whose start time no longer matches. Another host's owner cannot be
            // checked from here, so it counts as alive.
            const bool stale = current && current->host == m_hostname &&
                               (current->boot_id != m_boot_id || !util::process_matches(current->process));
            if (current && !stale) {
                m_db->exec("ROLLBACK");
                return current;
            }
            rows::write_lock(*m_db, job, LockOwner{self, m_hostname, m_boot_id, purpose, Clock::now()});
            retry_while_busy(k_busy_timeout, [&] { m_db->exec("COMMIT"); });
        } catch (...) {
            rollback_quietly(*m_db);
            throw;
        }
    } catch (const SqliteError& error) {
        throw failure(error, "locking job '" + job + "'");
    }
    note_state_write_committed();
    return std::nullopt;
}

JobLock SqliteStateStore::lock_job(const std::string& job, const std::string& purpose, Millis wait) {
    const auto self = util::process_ref(static_cast<int>(::getpid()));
    if (!self) throw StateError("cannot lock job '" + job + "': this process's start time is unreadable in /proc");
    const auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
        const auto owner = try_lock(job, purpose, *self);
        if (!owner) return make_job_lock(this, job);
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) throw LockedError(locked_message(job, *owner, wait));
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(k_poll_interval, deadline - now));
    }
}

std::optional<LockOwner> SqliteStateStore::lock_owner(const std::string& job) {
    return read("reading the lock of job '" + job + "'", [&]() -> std::optional<LockOwner> {
        auto statement = m_db->prepare(rows::k_select_lock);
        statement.bind(1, job);
        if (!statement.step()) return std::nullopt;
        return rows::read_lock(statement);
    });
}

void SqliteStateStore::unlock_job(const std::string& job) noexcept {
    const auto self = util::process_ref(static_cast<int>(::getpid()));
    if (!self) return;
    std::lock_guard<std::recursive_mutex> guard(m_mutex);
    // Released while a write transaction of this thread is open (an unusual order): the delete
    // joins that transaction instead of failing to begin a second one.
    const bool joined = m_db->in_transaction();
    try {
        if (!joined) retry_while_busy(k_busy_timeout, [&] { m_db->exec("BEGIN IMMEDIATE"); });
        // Only our own row: a lock taken over after we were presumed dead is no longer ours.
        auto statement = m_db->prepare(
            "DELETE FROM locks WHERE job = ?1 AND owner_pid = ?2 AND owner_start = ?3 AND owner_host = ?4");
        statement.bind(1, job).bind(2, std::int64_t{self->pid});
        statement.bind(3, static_cast<std::int64_t>(self->start_time)).bind(4, m_hostname);
        const int deleted = statement.run();
        if (joined) return;
        retry_while_busy(k_busy_timeout, [&] { m_db->exec("COMMIT"); });
        if (deleted > 0) note_state_write_committed();
    } catch (...) {
        // A lock that cannot be deleted stays behind as a stale lock that the next taker
        // recognises once this process is gone.
        if (!joined) rollback_quietly(*m_db);
    }
}

}  // namespace agentctl::state
