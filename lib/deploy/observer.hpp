#pragma once
// Progress of deploys and stops goes through this observer, never through printf deep in the
// library: a live console on a TTY, plain lines in CI, JSON lines with --progress json.

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "util/duration.hpp"

namespace agentctl::deploy {

/// What happened to one instance.
enum class InstanceStep {
    keeping,    ///< unchanged, alive and healthy: left alone
    starting,   ///< being started
    started,    ///< process/container started, not ready yet
    ready,      ///< passed its readiness check
    failed,     ///< did not start or did not become ready
    stopping,   ///< being stopped (replace, remove, stop, rollback)
    stopped,    ///< stopped
    restoring   ///< being started again from the previous revision (rollback)
};
/// The spelling used in plain and JSON progress ("keeping", "starting", ...).
const char* instance_step_name(InstanceStep step);

/// Receives progress; implementations must not throw.
class Observer {
public:
    virtual ~Observer() = default;
    /// A deploy/stop of `job` begins (`action`: "deploy", "stop", "restart", "rollback").
    virtual void begin(const std::string& action, const std::string& job, int revision) = 0;
    /// Wave `index` (0-based) of `count` starts with these instances.
    virtual void wave(std::size_t index, std::size_t count, const std::vector<std::string>& instances) = 0;
    /// One instance changed step; `detail` says why or how long ("ready in 120ms", "exit status 3").
    virtual void instance(const std::string& instance, InstanceStep step, const std::string& detail) = 0;
    /// Free text for the user: a warning, or the log tail of a failed agent.
    virtual void note(const std::string& text) = 0;
    /// The whole action ended.
    virtual void end(bool ok, const std::string& summary, util::Millis took) = 0;
};

enum class ProgressStyle { console, plain, json, quiet };

/// An observer writing to `out`: console (colours when `color`), plain lines, JSON lines, or nothing.
std::unique_ptr<Observer> make_observer(ProgressStyle style, std::ostream& out, bool color);

}  // namespace agentctl::deploy
