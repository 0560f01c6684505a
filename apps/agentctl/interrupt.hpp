#pragma once
// Ctrl-C and SIGTERM while agentctl acts (deploy, stop, restart, logs -f): the handler only
// counts the signal; the work polls `interrupt_requested()` between steps and winds down
// cleanly (a deploy rolls back and exits 130, `logs -f` ends with 0).

namespace agentctl::cli {

/// While alive, SIGINT and SIGTERM are counted instead of killing the process; a third signal
/// leaves at once with exit status 130 (for a user who will not wait for a rollback). The
/// previous handlers are restored on destruction. One scope at a time.
class InterruptScope {
public:
    InterruptScope();
    ~InterruptScope();
    InterruptScope(const InterruptScope&) = delete;
    InterruptScope& operator=(const InterruptScope&) = delete;
};

/// True once SIGINT or SIGTERM arrived inside an InterruptScope (async-signal-safe flag).
bool interrupt_requested();

}  // namespace agentctl::cli
