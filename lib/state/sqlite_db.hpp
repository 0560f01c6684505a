#pragma once
// A thin handle on one SQLite connection: open, pragmas, exec, cached prepared statements.
// SQLiteCpp stays inside sqlite_db.cpp; everything above this file sees only these types.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "util/duration.hpp"

namespace agentctl::state {

/// An SQLite failure, with the primary and extended result codes SQLite gave.
class SqliteError : public std::runtime_error {
public:
    /// Builds the error from SQLite's message and result codes.
    SqliteError(const std::string& message, int code, int extended_code)
        : std::runtime_error(message), m_code(code), m_extended_code(extended_code) {}
    /// The primary result code (SQLITE_BUSY, SQLITE_NOTADB, ...).
    int code() const noexcept { return m_code; }
    /// The extended result code (SQLITE_BUSY_SNAPSHOT, ...).
    int extended_code() const noexcept { return m_extended_code; }
    /// True when another connection holds a lock we need: retrying later may succeed.
    bool is_busy() const noexcept;
    /// True when the file is not an SQLite database or is damaged.
    bool is_corrupt() const noexcept;

private:
    int m_code;
    int m_extended_code;
};

/// A prepared statement borrowed from SqliteDb's cache; reset (and its bindings cleared) when
/// this handle goes away, so that no statement keeps a read snapshot open by accident.
class SqliteStatement {
public:
    struct Impl;
    /// Wraps a cached statement (used by SqliteDb).
    explicit SqliteStatement(Impl* impl) : m_impl(impl) {}
    SqliteStatement(SqliteStatement&& other) noexcept : m_impl(other.m_impl) { other.m_impl = nullptr; }
    SqliteStatement& operator=(SqliteStatement&&) = delete;
    SqliteStatement(const SqliteStatement&) = delete;
    SqliteStatement& operator=(const SqliteStatement&) = delete;
    ~SqliteStatement();

    /// Binds parameter `index` (1-based) to an integer.
    SqliteStatement& bind(int index, std::int64_t value);
    /// Binds parameter `index` (1-based) to a text value (copied).
    SqliteStatement& bind(int index, const std::string& value);
    /// Binds parameter `index` (1-based) to NULL.
    SqliteStatement& bind_null(int index);
    /// Binds parameter `index` to the integer, or NULL when absent.
    SqliteStatement& bind(int index, const std::optional<std::int64_t>& value);

    /// Steps once; true when a result row is available.
    bool step();
    /// Runs the statement to completion; returns the number of rows it changed.
    int run();

    /// Column `index` (0-based) of the current row as an integer (0 for NULL).
    std::int64_t int64(int index) const;
    /// Column `index` (0-based) of the current row as text ("" for NULL).
    std::string text(int index) const;
    /// True when column `index` (0-based) of the current row is NULL.
    bool is_null(int index) const;

private:
    Impl* m_impl;
};

/// One read-write connection to an SQLite database file.
class SqliteDb {
public:
    /// Opens (creating if absent) the database at `path` read-write, with SQLite's busy
    /// handler waiting up to `busy_timeout` for other connections' locks.
    SqliteDb(const std::string& path, util::Millis busy_timeout);
    ~SqliteDb();
    SqliteDb(const SqliteDb&) = delete;
    SqliteDb& operator=(const SqliteDb&) = delete;

    /// The file this connection was opened on.
    const std::string& path() const;
    /// Runs one or more SQL statements that return no rows of interest.
    void exec(const std::string& sql);
    /// Runs a statement returning one text value (e.g. a PRAGMA) and returns it ("" if no row).
    std::string query_text(const std::string& sql);
    /// A cached prepared statement for `sql`, ready to bind.
    SqliteStatement prepare(const std::string& sql);
    /// PRAGMA user_version.
    int user_version();
    /// Sets PRAGMA user_version (transactional, like any other write).
    void set_user_version(int version);
    /// True while a transaction is open on this connection.
    bool in_transaction() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// Calls `attempt` again (every few milliseconds) while it throws a busy SqliteError, until
/// `timeout` has passed since the first call; then the last busy error propagates. SQLite's own
/// busy handler covers most waits; this covers the cases where SQLite returns SQLITE_BUSY at once
/// (WAL recovery, a journal-mode change racing another connection).
template <class Attempt>
auto retry_while_busy(util::Millis timeout, Attempt&& attempt) -> decltype(attempt()) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        try {
            return attempt();
        } catch (const SqliteError& error) {
            if (!error.is_busy() || std::chrono::steady_clock::now() >= deadline) throw;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

}  // namespace agentctl::state
