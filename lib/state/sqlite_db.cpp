#include "state/sqlite_db.hpp"

#include <sqlite3.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>

#include <map>
#include <utility>

namespace agentctl::state {

bool SqliteError::is_busy() const noexcept {
    return m_code == SQLITE_BUSY || m_code == SQLITE_LOCKED;
}

bool SqliteError::is_corrupt() const noexcept {
    return m_code == SQLITE_NOTADB || m_code == SQLITE_CORRUPT;
}

namespace {

// SQLiteCpp reports a failure with the generic code -1 when it has no SQLite code to give.
[[noreturn]] void rethrow(const SQLite::Exception& error) {
    throw SqliteError(error.what(), error.getErrorCode(), error.getExtendedErrorCode());
}

}  // namespace

struct SqliteStatement::Impl {
    Impl(SQLite::Database& db, const std::string& sql) : statement(db, sql) {}
    SQLite::Statement statement;
};

SqliteStatement::~SqliteStatement() {
    if (m_impl == nullptr) return;
    // tryReset cannot throw; a failed step has already reported its error to the caller.
    m_impl->statement.tryReset();
    try {
        m_impl->statement.clearBindings();
    } catch (const SQLite::Exception&) {
        // sqlite3_clear_bindings cannot fail in practice; a destructor must not throw anyway.
    }
}

SqliteStatement& SqliteStatement::bind(int index, std::int64_t value) {
    try {
        m_impl->statement.bind(index, static_cast<int64_t>(value));
    } catch (const SQLite::Exception& error) {
        rethrow(error);
    }
    return *this;
}

SqliteStatement& SqliteStatement::bind(int index, const std::string& value) {
    try {
        m_impl->statement.bind(index, value);
    } catch (const SQLite::Exception& error) {
        rethrow(error);
    }
    return *this;
}

SqliteStatement& SqliteStatement::bind_null(int index) {
    try {
        m_impl->statement.bind(index);
    } catch (const SQLite::Exception& error) {
        rethrow(error);
    }
    return *this;
}

SqliteStatement& SqliteStatement::bind(int index, const std::optional<std::int64_t>& value) {
    return value ? bind(index, *value) : bind_null(index);
}

bool SqliteStatement::step() {
    try {
        return m_impl->statement.executeStep();
    } catch (const SQLite::Exception& error) {
        rethrow(error);
    }
}

int SqliteStatement::run() {
    try {
        while (m_impl->statement.executeStep()) {
        }
        return m_impl->statement.getChanges();
    } catch (const SQLite::Exception& error) {
        rethrow(error);
    }
}

std::int64_t SqliteStatement::int64(int index) const {
    try {
        return m_impl->statement.getColumn(index).getInt64();
    } catch (const SQLite::Exception& error) {
        rethrow(error);
    }
}

std::string SqliteStatement::text(int index) const {
    try {
        return m_impl->statement.getColumn(index).getString();
    } catch (const SQLite::Exception& error) {
        rethrow(error);
    }
}

bool SqliteStatement::is_null(int index) const {
    try {
        return m_impl->statement.getColumn(index).isNull();
    } catch (const SQLite::Exception& error) {
        rethrow(error);
    }
}

struct SqliteDb::Impl {
    Impl(const std::string& file, util::Millis busy_timeout)
        : path(file),
          db(file, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOFOLLOW,
             static_cast<int>(busy_timeout.count())) {}
    std::string path;
    SQLite::Database db;
    // Statements are prepared once per connection and reused: the same few run thousands of times.
    std::map<std::string, std::unique_ptr<SqliteStatement::Impl>> statements;
};

SqliteDb::SqliteDb(const std::string& path, util::Millis busy_timeout) {
    try {
        m_impl = std::make_unique<Impl>(path, busy_timeout);
    } catch (const SQLite::Exception& error) {
        rethrow(error);
    }
}

SqliteDb::~SqliteDb() = default;

const std::string& SqliteDb::path() const {
    return m_impl->path;
}

void SqliteDb::exec(const std::string& sql) {
    try {
        m_impl->db.exec(sql);
    } catch (const SQLite::Exception& error) {
        rethrow(error);
    }
}

std::string SqliteDb::query_text(const std::string& sql) {
    try {
        SQLite::Statement statement(m_impl->db, sql);
        if (!statement.executeStep()) return "";
        return statement.getColumn(0).getString();
    } catch (const SQLite::Exception& error) {
        rethrow(error);
    }
}

SqliteStatement SqliteDb::prepare(const std::string& sql) {
    auto found = m_impl->statements.find(sql);
    if (found == m_impl->statements.end()) {
        try {
            found = m_impl->statements.emplace(sql, std::make_unique<SqliteStatement::Impl>(m_impl->db, sql)).first;
        } catch (const SQLite::Exception& error) {
            rethrow(error);
        }
    }
    return SqliteStatement(found->second.get());
}

int SqliteDb::user_version() {
    return std::stoi(query_text("PRAGMA user_version"));
}

void SqliteDb::set_user_version(int version) {
    exec("PRAGMA user_version = " + std::to_string(version));
}

bool SqliteDb::in_transaction() const {
    return sqlite3_get_autocommit(m_impl->db.getHandle()) == 0;
}

}  // namespace agentctl::state
