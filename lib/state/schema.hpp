#pragma once
// The state database's schema and its forward migrations, keyed by PRAGMA user_version.
// Version N is reached from N-1 by exactly one step; steps are never edited once released,
// only appended, so any older database can be brought forward.

#include <string>
#include <vector>

#include "util/duration.hpp"

namespace agentctl::state {

class SqliteDb;

/// One forward migration: the SQL that takes a database from `version - 1` to `version`.
struct MigrationStep {
    int version = 0;
    std::string sql;
};

/// The migrations of agentctl's state schema, in order (version 1 = the first schema).
const std::vector<MigrationStep>& schema_migrations();

/// The version the last step of `steps` reaches (0 when there are none).
int latest_version(const std::vector<MigrationStep>& steps);

/// Brings `db` forward to latest_version(steps), all missing steps in one IMMEDIATE
/// transaction (waiting up to `busy_timeout` for other writers), so that concurrent openers
/// migrate exactly once. Throws StateError when the database's version is newer than the
/// steps know, naming `db.path()` and both versions; SqliteError on an SQLite failure.
void migrate(SqliteDb& db, const std::vector<MigrationStep>& steps, util::Millis busy_timeout);

}  // namespace agentctl::state
