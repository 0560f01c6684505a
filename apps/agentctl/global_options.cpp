#include "global_options.hpp"

#include <CLI/CLI.hpp>

#include "output_format.hpp"

namespace agentctl::cli {

void add_global_options(CLI::App& app, GlobalOptions& options) {
    const std::string group = "Global options";
    app.add_option("--state-dir", options.state_dir,
                   "State directory (default: $AGENTCTL_STATE_DIR, $XDG_STATE_HOME/agentctl, ~/.local/state/agentctl)")
        ->type_name("DIR")
        ->group(group);
    app.add_option("-o,--output,--format", options.output, "Output format: table, json, yaml (dot on plan, wide on status)")
        ->type_name("FORMAT")
        ->check(CLI::IsMember(output_format_names(), CLI::ignore_case))
        ->group(group);
    app.add_flag("--no-color", options.no_color, "Never colour the output (also: NO_COLOR=1)")->group(group);
    auto* quiet = app.add_flag("-q,--quiet", options.quiet, "Print only errors")->group(group);
    app.add_flag("-v,--verbose", options.verbose, "Print more detail")->group(group)->excludes(quiet);
    app.add_option("--known-hosts", options.known_hosts, "SSH known_hosts file to check host keys against")
        ->type_name("FILE")
        ->envname("AGENTCTL_KNOWN_HOSTS")
        ->group(group);
    app.add_option("--ssh-config", options.ssh_config, "ssh_config file to read instead of ~/.ssh/config")
        ->type_name("FILE")
        ->envname("AGENTCTL_SSH_CONFIG")
        ->group(group);
    app.add_flag("--accept-new-host-keys", options.accept_new_host_keys,
                 "Add unknown SSH host keys to known_hosts (a changed key is always refused)")
        ->group(group);
    app.add_option("--parallel", options.parallel, "SSH hosts acted on at once (default 16)")
        ->type_name("N")
        ->check(CLI::Range(1, 1024))
        ->group(group);
}

}  // namespace agentctl::cli
