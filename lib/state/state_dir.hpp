#pragma once
// Where agentctl keeps its state (DESIGN.md §5) and the per-state-dir secret that keys spec
// hashes (DESIGN.md §2 "Secrets"). The lookup is a pure function of its inputs so that its
// precedence can be tested without touching the process environment.

#include <optional>
#include <string>

namespace agentctl::state {

/// Everything the state-dir lookup depends on; unset variables are nullopt.
struct StateDirInputs {
    std::string flag;                           ///< --state-dir (empty: not given)
    std::optional<std::string> agentctl_state_dir;  ///< $AGENTCTL_STATE_DIR
    std::optional<std::string> xdg_state_home;  ///< $XDG_STATE_HOME
    std::optional<std::string> home;            ///< $HOME, else the passwd entry's home
};

/// The inputs as this process sees them: `flag`, the environment, and getpwuid() when
/// $HOME is unset or empty.
StateDirInputs state_dir_inputs_from_process(std::string flag);

/// The state dir: `--state-dir`, else $AGENTCTL_STATE_DIR, else $XDG_STATE_HOME/agentctl,
/// else <home>/.local/state/agentctl. Empty variables count as unset and a relative
/// $XDG_STATE_HOME is ignored (as the XDG spec says). Throws util::OperationError when no
/// home directory is known and nothing else applies.
std::string resolve_state_dir(const StateDirInputs& inputs);

/// Creates `dir` and any missing parents with mode 0700; an existing `dir` owned by this user
/// is chmod-ed to 0700. Throws util::OperationError (with the path and strerror) on failure
/// or when `dir` exists and is not a directory.
void ensure_state_dir(const std::string& dir);

/// The state dir's secret key for spec hashes (64 hex digits): read from `<dir>/hash.key`,
/// or created there (0600, 32 bytes from /dev/urandom) when absent. Safe against a
/// concurrent creator: exactly one key wins and every caller returns it. The key is never
/// printed. Throws util::OperationError on I/O failure or a malformed key file.
std::string load_or_create_hash_key(const std::string& dir);

}  // namespace agentctl::state
