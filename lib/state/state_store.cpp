#include "state/state_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <mutex>

#include "state/crash_hook.hpp"
#include "state/schema.hpp"
#include "state/sqlite_state_store.hpp"
#include "state/state_rows.hpp"
#include "util/duration.hpp"

namespace agentctl::state {
namespace {

constexpr mode_t k_private_mode = 0600;

std::string join_path(const std::string& dir, const std::string& name) {
    if (!dir.empty() && dir.back() == '/') return dir + name;
    return dir + "/" + name;
}

// An existing file of ours is brought back to 0600 (as ensure_state_dir does for the dir);
// someone else's file is left alone and SQLite reports whatever access problem it causes.
void make_private(const std::string& path) {
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) {
        if (errno == ENOENT) return;
        throw StateError("cannot inspect " + path + ": " + std::strerror(errno));
    }
    if (!S_ISREG(info.st_mode) || info.st_uid != ::geteuid()) return;
    if ((info.st_mode & 07777) == k_private_mode) return;
    if (::chmod(path.c_str(), k_private_mode) != 0) {
        throw StateError("cannot make " + path + " private (chmod 0600): " + std::strerror(errno));
    }
}

// Created here rather than by SQLite so that the mode is 0600 whatever the umask. No
// descriptor of an existing database is ever opened and closed here: closing any descriptor
// of a file drops every POSIX lock this process holds on it, including SQLite's.
void create_private_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, k_private_mode);
    if (fd >= 0) {
        const int chmod_result = ::fchmod(fd, k_private_mode);
        const int error = errno;
        ::close(fd);
        if (chmod_result != 0) throw StateError("cannot make " + path + " private (chmod 0600): " + std::strerror(error));
        return;
    }
    if (errno != EEXIST) throw StateError("cannot create state database " + path + ": " + std::strerror(errno));
    make_private(path);
}

std::string host_name() {
    char buffer[256] = {};
    if (::gethostname(buffer, sizeof buffer - 1) != 0) return "localhost";
    return buffer;
}

// One write transaction: BEGIN IMMEDIATE on construction, ROLLBACK on destruction unless
// committed. It holds the store's mutex for its whole life, so that other threads of this
// process wait for it as other processes do.
class SqliteWriteTx final : public WriteTx {
public:
    explicit SqliteWriteTx(SqliteStateStore& store) : m_store(store), m_guard(store.mutex()) {
        if (m_store.db().in_transaction()) {
            throw StateError("state database " + m_store.path() +
                             ": a write transaction is already open on this thread (nested begin)");
        }
        try {
            retry_while_busy(k_busy_timeout, [&] { m_store.db().exec("BEGIN IMMEDIATE"); });
        } catch (const SqliteError& error) {
            throw m_store.failure(error, "beginning a write transaction");
        }
        m_active = true;
    }

    ~SqliteWriteTx() override {
        if (!m_active) return;
        try {
            m_store.db().exec("ROLLBACK");
        } catch (...) {
            // SQLite rolls back by itself when a statement fails badly enough; nothing to add.
        }
    }

    SqliteWriteTx(const SqliteWriteTx&) = delete;
    SqliteWriteTx& operator=(const SqliteWriteTx&) = delete;

    void upsert_job(const JobRecord& job) override {
        write("recording job '" + job.name + "'", [&] { rows::upsert_job(m_store.db(), job); });
    }

    void delete_job(const std::string& job) override {
        write("deleting job '" + job + "'", [&] { rows::delete_job(m_store.db(), job); });
    }

    void insert_revision(const RevisionRecord& revision) override {
        write("recording revision " + std::to_string(revision.revision) + " of job '" + revision.job + "'",
              [&] { rows::insert_revision(m_store.db(), revision); });
    }

    void finish_revision(const std::string& job, int revision, const std::string& outcome) override {
        const std::string doing = "finishing revision " + std::to_string(revision) + " of job '" + job + "'";
        bool found = false;
        write(doing, [&] { found = rows::finish_revision(m_store.db(), job, revision, outcome); });
        if (!found) throw StateError("state database " + m_store.path() + ": " + doing + " failed: no such revision");
    }

    void upsert_instance(const InstanceRecord& instance) override {
        write("recording instance '" + instance.instance + "' of job '" + instance.job + "'",
              [&] { rows::upsert_instance(m_store.db(), instance); });
    }

    void delete_instance(const std::string& job, const std::string& instance) override {
        write("deleting instance '" + instance + "' of job '" + job + "'",
              [&] { rows::delete_instance(m_store.db(), job, instance); });
    }

    void add_event(const EventRecord& event) override {
        write("recording an event of job '" + event.job + "'", [&] { rows::insert_event(m_store.db(), event); });
    }

    void commit() override {
        write("committing", [&] { retry_while_busy(k_busy_timeout, [&] { m_store.db().exec("COMMIT"); }); });
        m_active = false;
        m_guard.unlock();
        note_state_write_committed();
    }

private:
    template <class Action>
    void write(const std::string& doing, Action&& action) {
        if (!m_active) {
            throw StateError("state database " + m_store.path() + ": " + doing +
                             " failed: the write transaction has already been committed");
        }
        try {
            action();
        } catch (const SqliteError& error) {
            throw m_store.failure(error, doing);
        }
    }

    SqliteStateStore& m_store;
    std::unique_lock<std::recursive_mutex> m_guard;
    bool m_active = false;
};

}  // namespace

SqliteStateStore::SqliteStateStore(const std::string& state_dir)
    : m_path(join_path(state_dir, "state.db")), m_hostname(host_name()), m_boot_id(util::boot_id()) {
    create_private_file(m_path);
    try {
        m_db = std::make_unique<SqliteDb>(m_path, k_busy_timeout);
        m_db->exec("PRAGMA foreign_keys = ON");
        m_db->exec("PRAGMA synchronous = NORMAL");
        // Migrating first means a database newer than this binary is refused before anything
        // about it (even its journal mode) is changed.
        migrate(*m_db, schema_migrations(), k_busy_timeout);
        const std::string mode =
            retry_while_busy(k_busy_timeout, [&] { return m_db->query_text("PRAGMA journal_mode = WAL"); });
        if (mode != "wal") {
            throw StateError("state database " + m_path + " cannot use write-ahead logging (journal mode stays '" +
                             mode + "'); put the state dir on a local file system");
        }
    } catch (const SqliteError& error) {
        throw failure(error, "opening");
    }
    // SQLite gives the -wal and -shm files the database's mode; this covers files left by an
    // older, more permissive umask.
    make_private(m_path + "-wal");
    make_private(m_path + "-shm");
}

StateError SqliteStateStore::failure(const SqliteError& error, const std::string& doing) const {
    if (error.is_busy()) {
        return StateError("state database " + m_path + " is busy: another agentctl kept it locked for more than " +
                          util::format_duration(k_busy_timeout) + " while " + doing + "; try again");
    }
    if (error.is_corrupt()) {
        return StateError("state database " + m_path + " is damaged or not an SQLite database (" + error.what() +
                          "); move it aside or use another --state-dir");
    }
    return StateError("state database " + m_path + ": " + doing + " failed: " + error.what());
}

std::optional<JobRecord> SqliteStateStore::job(const std::string& name) {
    return read("reading job '" + name + "'", [&]() -> std::optional<JobRecord> {
        auto statement = m_db->prepare(rows::k_select_job);
        statement.bind(1, name);
        if (!statement.step()) return std::nullopt;
        return rows::read_job(statement);
    });
}

std::int64_t SqliteStateStore::data_version() {
    return read("reading the data version", [&]() -> std::int64_t {
        auto statement = m_db->prepare("PRAGMA data_version");
        return statement.step() ? statement.int64(0) : 0;
    });
}

std::vector<JobRecord> SqliteStateStore::jobs() {
    return read("reading jobs", [&] {
        std::vector<JobRecord> result;
        auto statement = m_db->prepare(rows::k_select_jobs);
        while (statement.step()) result.push_back(rows::read_job(statement));
        return result;
    });
}

std::vector<InstanceRecord> SqliteStateStore::instances(const std::string& job) {
    return read("reading instances of job '" + job + "'", [&] {
        std::vector<InstanceRecord> result;
        auto statement = m_db->prepare(rows::k_select_instances);
        statement.bind(1, job);
        while (statement.step()) result.push_back(rows::read_instance(statement));
        return result;
    });
}

std::optional<RevisionRecord> SqliteStateStore::revision(const std::string& job, int revision) {
    return read("reading revision " + std::to_string(revision) + " of job '" + job + "'",
                [&]() -> std::optional<RevisionRecord> {
                    auto statement = m_db->prepare(rows::k_select_revision);
                    statement.bind(1, job).bind(2, std::int64_t{revision});
                    if (!statement.step()) return std::nullopt;
                    return rows::read_revision(statement);
                });
}

std::vector<RevisionRecord> SqliteStateStore::revisions(const std::string& job) {
    return read("reading revisions of job '" + job + "'", [&] {
        std::vector<RevisionRecord> result;
        auto statement = m_db->prepare(rows::k_select_revisions);
        statement.bind(1, job);
        while (statement.step()) result.push_back(rows::read_revision(statement));
        return result;
    });
}

std::vector<EventRecord> SqliteStateStore::events(const std::string& job, std::int64_t after_id, std::size_t limit) {
    const auto max_limit = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
    const auto sql_limit = static_cast<std::int64_t>(limit < max_limit ? limit : max_limit);
    return read("reading events", [&] {
        std::vector<EventRecord> result;
        auto statement = m_db->prepare(job.empty() ? rows::k_select_events_all : rows::k_select_events_of_job);
        if (job.empty()) {
            statement.bind(1, after_id).bind(2, sql_limit);
        } else {
            statement.bind(1, job).bind(2, after_id).bind(3, sql_limit);
        }
        while (statement.step()) result.push_back(rows::read_event(statement));
        return result;
    });
}

std::vector<EventRecord> SqliteStateStore::latest_events(const std::string& job) {
    return read("reading events", [&] {
        std::vector<EventRecord> result;
        auto statement = m_db->prepare(rows::k_select_latest_events);
        statement.bind(1, job);
        while (statement.step()) result.push_back(rows::read_event(statement));
        return result;
    });
}

std::unique_ptr<WriteTx> SqliteStateStore::begin() {
    return std::make_unique<SqliteWriteTx>(*this);
}

std::unique_ptr<StateStore> StateStore::open(const std::string& state_dir) {
    return std::make_unique<SqliteStateStore>(state_dir);
}

int StateStore::schema_version() {
    return latest_version(schema_migrations());
}

}  // namespace agentctl::state
