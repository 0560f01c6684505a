#pragma once
// The POSIX sh scripts the SSH runner sends to a host, and the parsing of their answers. Every
// value from outside is quoted with util::shell_quote; the launch script carries environment
// values and therefore travels on the channel's stdin (`sh -s`), never on a command line.
// Answers are lines "AGENTCTL <word> ..."; anything else (a chatty .bashrc) is ignored. Paths
// named by the scripts are relative to the remote state dir, which each script finds itself.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runners/runner.hpp"

namespace agentctl::runners {

/// The remote state dir as the host's shell expands it: $XDG_STATE_HOME/agentctl, else
/// ~/.local/state/agentctl.
extern const char* const k_remote_state_expression;

/// A sh function `agentctl_start_of PID`: prints the start time (field 22 of /proc/PID/stat) of
/// a live, non-zombie PID, or nothing.
extern const char* const k_start_of_function;

/// What to look for on a host before starting anything there.
struct ProbeRequest {
    std::string shim_name;                     ///< file name under <state>/bin (content-addressed)
    std::string wrapper_name;                  ///< the sh wrapper's file name there
    std::vector<std::string> file_dests;       ///< deployment.files destinations (hash them)
};

/// What the probe found.
struct ProbeResult {
    std::string arch;                          ///< `uname -m`
    std::string state_dir;                     ///< absolute
    bool shim_present = false;
    bool wrapper_present = false;
    std::vector<std::string> file_hashes;      ///< sha256 hex, "" when missing; one per file_dests
};

/// The probe script (no secrets: it may go on a command line).
std::string probe_script(const ProbeRequest& request);
/// Parses the probe's stdout; nullopt when the state dir or the arch line is missing.
std::optional<ProbeResult> parse_probe(const std::string& out, const ProbeRequest& request);

/// One instance of a launch script.
struct RemoteLaunch {
    std::string run_dir;        ///< relative to the remote state dir
    std::string log_path;       ///< relative to the remote state dir
    std::string workdir;        ///< empty: the login directory
    std::vector<std::string> argv;
    std::vector<spec::EnvVar> environment;
    spec::RestartSpec restart;  ///< the shim applies it on the host, with no agentctl running
    std::uint64_t log_max_bytes = 10485760;
    int log_keep = 3;
};

/// The script that starts every instance of `launches` through the shim at `shim_path` (relative), each
/// with its environment in <run_dir>/env (0600), its restart policy and <run_dir>/stop-requested
/// as the shim's stop file (removed first), and prints "AGENTCTL start<i> <handshake>";
/// when the shim is missing it starts nothing and prints "AGENTCTL noshim".
std::string launch_script(const std::string& shim_path, const std::vector<RemoteLaunch>& launches);
/// The handshake line of each launch, in order ("" when the script printed none for it).
std::vector<std::string> parse_launch(const std::string& out, std::size_t count);

/// The text of an env file: NAME='value' lines, sourced with `set -a`.
std::string env_file_text(const std::vector<spec::EnvVar>& environment);

/// What preflight checks for one instance on its host.
struct PreflightCheck {
    std::string workdir;             ///< empty: the login directory
    std::vector<std::string> argv;   ///< module agents: {python, "-m", module}
};

/// "AGENTCTL arch <uname -m>", then for each check k that fails, "AGENTCTL check<k> <why>": the working directory is missing,
/// the command is not on PATH (or, with a /, not an executable file), the interpreter is
/// missing or cannot find the module. Starts nothing (no secrets: it may go on a command line).
std::string preflight_script(const std::vector<PreflightCheck>& checks);

/// One instance for inspect_script.
struct RemoteInspect {
    util::ProcessRef agent;
    util::ProcessRef shim;
    std::string status_path;  ///< relative to the remote state dir
};

/// For each instance k: "AGENTCTL i<k> alive" when its agent still runs with its start time,
/// "reused" when the pid belongs to another process, else "gone"; "AGENTCTL h<k> alive|gone"
/// for its shim, likewise; "AGENTCTL s<k> <json>" (its shim's status file, empty when
/// missing); and "AGENTCTL c<k> <pid> <start>" for the agent pid the status file names (the
/// start time empty when no such process), so that an agent the shim restarted is proven.
std::string inspect_script(const std::vector<RemoteInspect>& instances);

/// Creates <run_dir>/stop-requested (so the shim restarts nothing this stop ends), then signals
/// the process group of `agent` with `signal` (a name without SIG, e.g. TERM) only while its
/// identity matches, waits `timeout`, then KILLs, then waits for `shim` to exit; prints
/// "AGENTCTL stopped|killed|reused|gone|alive" and "AGENTCTL status <json>" (the status file).
std::string stop_script(const util::ProcessRef& agent, const util::ProcessRef& shim, const std::string& signal,
                        util::Millis timeout, const std::string& run_dir);

/// Prints the bytes of `log_path` from `offset` on, after a line "AGENTCTL size <n>" (a size
/// below `offset` means the log was rotated: read again from 0).
std::string follow_log_script(const std::string& log_path, std::uint64_t offset);

/// Runs `argv` in `workdir` with the environment of `env_path` (when it exists).
std::string exec_script(const std::string& workdir, const std::string& env_path, const std::vector<std::string>& argv);

/// The "AGENTCTL <word> <rest>" lines of `out`, word -> rest (first one wins).
std::map<std::string, std::string> parse_answer(const std::string& out);

}  // namespace agentctl::runners
