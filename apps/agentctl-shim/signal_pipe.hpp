#pragma once
// Signals turned into bytes on a pipe (the self-pipe trick), so the main loop's poll() sees
// them and no work is done inside a handler.

#include <vector>

namespace agentctl::shim {

/// The signals the shim forwards to the agent's process group.
const std::vector<int>& forwarded_signals();

/// The self-pipe: one per process.
class SignalPipe {
public:
    /// Creates the pipe and installs handlers for the forwarded signals and SIGCHLD; ignores
    /// SIGPIPE. Returns false (errno set) on failure.
    bool install();

    /// The read end, for poll().
    int fd() const { return m_read_fd; }

    /// The signals received since the last call, in order (reads without blocking).
    std::vector<int> take();

private:
    int m_read_fd = -1;
};

/// In a freshly forked child: every signal the shim handles or ignores back to its default,
/// and the mask cleared, so the agent starts as if launched directly.
void reset_signals_for_child();

}  // namespace agentctl::shim
