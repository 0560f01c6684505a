#pragma once
// The per-instance launch record: everything a later stop, restart or rollback needs to act on an
// instance without the job file — argv, environment (secrets included), workdir, stop, restart
// and health settings. Kept at <run_dir>/instance.json, owner-only (0600), as systemd and Docker
// keep theirs; never in the database, never printed.

#include <optional>
#include <string>

#include "runners/runner.hpp"

namespace agentctl::runners {

/// What is launched, and how it is checked and stopped.
struct LaunchRecord {
    LaunchRequest request;
    spec::HealthSpec health;
    std::string url;        ///< the URL agentctl probes
    int revision = 0;
    int stage = 0;
};

/// Writes `record` to <request.run_dir>/instance.json (0600, written to a temporary name and
/// renamed into place). Throws util::OperationError on I/O failure.
void write_launch_record(const LaunchRecord& record);

/// A health check as one line of compact JSON (the form the state's instances table keeps, so
/// that `status` need not read every launch record), and back; nullopt for empty or bad text.
std::string health_check_text(const spec::HealthSpec& health);
std::optional<spec::HealthSpec> parse_health_check(const std::string& text);

/// Reads <run_dir>/instance.json; nullopt when it is missing or unreadable.
std::optional<LaunchRecord> read_launch_record(const std::string& run_dir);

}  // namespace agentctl::runners
