#pragma once
// The crash test hook (DESIGN.md §5), internal to the state layer: every committed state write
// is counted, and AGENTCTL_CRASH_AT_WRITE=N makes the process SIGKILL itself right after the
// N-th one, so that tests can stop agentctl at every state-write boundary in turn.

namespace agentctl::state {

/// Counts one committed state write; if it is the N-th one and AGENTCTL_CRASH_AT_WRITE=N
/// (read once, at the first commit of this process), raises SIGKILL before returning.
void note_state_write_committed();

}  // namespace agentctl::state
