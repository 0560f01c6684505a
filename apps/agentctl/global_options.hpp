#pragma once
// The flags every verb accepts, before or after the verb (DESIGN.md §6 "Global flags").

#include <string>

namespace CLI {
class App;
}

namespace agentctl::cli {

/// The parsed global flags; filled by CLI11 when the command line is parsed.
struct GlobalOptions {
    std::string state_dir;       ///< --state-dir (empty: $AGENTCTL_STATE_DIR, XDG, ~/.local/state)
    std::string output = "table";  ///< -o/--output/--format as typed (any case)
    bool no_color = false;       ///< --no-color
    bool quiet = false;          ///< -q/--quiet
    bool verbose = false;        ///< -v/--verbose
    std::string known_hosts;     ///< --known-hosts or $AGENTCTL_KNOWN_HOSTS
    std::string ssh_config;      ///< --ssh-config or $AGENTCTL_SSH_CONFIG
    bool accept_new_host_keys = false;  ///< --accept-new-host-keys: unknown SSH host keys are added
    int parallel = 16;           ///< --parallel N: SSH hosts acted on at once
};

/// Adds the global flags to `app`, storing into `options` (which must outlive the parse).
void add_global_options(CLI::App& app, GlobalOptions& options);

}  // namespace agentctl::cli
