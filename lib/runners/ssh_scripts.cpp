#include "runners/ssh_scripts.hpp"

#include <sstream>

#include "util/text.hpp"

namespace agentctl::runners {

const char* const k_remote_state_expression = "\"${XDG_STATE_HOME:-$HOME/.local/state}/agentctl\"";

namespace {

using util::shell_quote;

// A path for the host's shell: "~/x" is the login directory's x, anything else is literal.
std::string path_word(const std::string& path) {
    if (path == "~") return "\"$HOME\"";
    if (path.rfind("~/", 0) == 0) return "\"$HOME\"/" + shell_quote(path.substr(2));
    return shell_quote(path);
}

// The start time (field 22 of /proc/PID/stat) of a live, non-zombie PID, or nothing. The comm
// field may hold spaces and parentheses: everything up to the last ") " is skipped.
constexpr const char* k_start_of =
    "agentctl_start_of() {\n"
    "  agentctl_line=\n"
    "  { read -r agentctl_line < \"/proc/$1/stat\"; } 2>/dev/null || return 0\n"
    "  agentctl_rest=${agentctl_line##*) }\n"
    "  set -- $agentctl_rest\n"
    "  [ \"$1\" = Z ] && return 0\n"
    "  echo \"${20}\"\n"
    "}\n";

// Sets $d to the absolute remote state dir.
std::string prelude() {
    return std::string("d=") + k_remote_state_expression + "\ncase \"$d\" in /*) ;; *) d=\"$HOME/$d\" ;; esac\n";
}

// A path under the remote state dir, as a shell word.
std::string state_path(const std::string& relative) { return "\"$d\"/" + shell_quote(relative); }

std::string identity_state(const util::ProcessRef& agent) {
    std::ostringstream s;
    s << "a_now=$(agentctl_start_of " << agent.pid << ")\n"
      << "if [ \"$a_now\" = " << agent.start_time << " ]; then a_state=alive\n"
      << "elif [ -n \"$a_now\" ]; then a_state=reused\n"
      << "else a_state=gone; fi\n";
    return s.str();
}

// Sets $h_state to alive when the shim still runs with its recorded start time, else gone.
std::string shim_state(const util::ProcessRef& shim) {
    std::ostringstream s;
    s << "if [ \"$(agentctl_start_of " << shim.pid << ")\" = " << shim.start_time
      << " ]; then h_state=alive; else h_state=gone; fi\n";
    return s.str();
}

// Prints "AGENTCTL <word> <pid> <start>" for the agent pid that the status text in $st names:
// a restarted agent's own start time, which agentctl compares with the one the file records.
// The pattern is anchored at the file's fixed head, so text inside "error" can never match,
// and only digits reach the shell.
std::string current_agent_line(const std::string& word) {
    return "np=$(printf '%s\\n' \"$st\" | sed -n "
           "'s/^{\"version\":1,\"shim_pid\":[0-9]*,\"shim_start\":[0-9]*,\"agent_pid\":\\([0-9][0-9]*\\),.*$/\\1/p')\n"
           "if [ -n \"$np\" ]; then echo \"AGENTCTL " +
           word + " $np $(agentctl_start_of \"$np\")\"; fi\n";
}

std::string status_line(const std::string& status_path) {
    return "printf 'AGENTCTL status %s\\n' \"$(cat " + state_path(status_path) + " 2>/dev/null)\"\n";
}

}  // namespace

const char* const k_start_of_function = k_start_of;

std::string probe_script(const ProbeRequest& request) {
    std::ostringstream s;
    s << prelude() << "echo \"AGENTCTL arch $(uname -m)\"\n"
      << "echo \"AGENTCTL state $d\"\n"
      << "if [ -x \"$d/bin/\"" << shell_quote(request.shim_name) << " ]; then echo 'AGENTCTL shim present'; fi\n";
    if (!request.wrapper_name.empty()) {
        s << "if [ -x \"$d/bin/\"" << shell_quote(request.wrapper_name)
          << " ]; then echo 'AGENTCTL wrapper present'; fi\n";
    }
    for (std::size_t i = 0; i < request.file_dests.size(); ++i) {
        s << "echo \"AGENTCTL file" << i << " $(sha256sum < " << path_word(request.file_dests[i])
          << " 2>/dev/null | cut -c1-64)\"\n";
    }
    return s.str();
}

std::string preflight_script(const std::vector<PreflightCheck>& checks) {
    std::ostringstream s;
    s << "echo \"AGENTCTL arch $(uname -m)\"\n";
    for (std::size_t i = 0; i < checks.size(); ++i) {
        const auto& check = checks[i];
        if (check.argv.empty()) continue;
        const auto& argv = check.argv;
        s << "r=$( (";
        if (!check.workdir.empty()) {
            s << "cd " << path_word(check.workdir) << " 2>/dev/null || { echo 'working directory '"
              << shell_quote(check.workdir) << "' does not exist'; exit 1; }; ";
        }
        if (argv.size() == 3 && argv[1] == "-m") {
            s << "command -v " << shell_quote(argv[0]) << " >/dev/null 2>&1 || { echo 'interpreter '"
              << shell_quote(argv[0]) << "' not found on PATH'; exit 1; }; " << shell_quote(argv[0])
              << " -c 'import importlib.util, sys; sys.exit(0 if importlib.util.find_spec(sys.argv[1]) else 1)' "
              << shell_quote(argv[2]) << " >/dev/null 2>&1 || { echo 'module '" << shell_quote(argv[2])
              << "' cannot be imported by '" << shell_quote(argv[0]) << "; exit 1; }";
        } else if (argv[0].find('/') != std::string::npos) {
            s << "[ -f " << path_word(argv[0]) << " ] && [ -x " << path_word(argv[0]) << " ] || { echo '"
              << "'" << shell_quote(argv[0]) << "' is not an executable file'; exit 1; }";
        } else {
            s << "command -v " << shell_quote(argv[0]) << " >/dev/null 2>&1 || { echo 'command '"
              << shell_quote(argv[0]) << "' not found on PATH'; exit 1; }";
        }
        s << ") </dev/null 2>/dev/null) || echo \"AGENTCTL check" << i << " ${r:-check failed}\"\n";
    }
    return s.str();
}

std::optional<ProbeResult> parse_probe(const std::string& out, const ProbeRequest& request) {
    auto answer = parse_answer(out);
    ProbeResult result;
    if (!answer.count("arch") || !answer.count("state") || answer["state"].empty() || answer["state"][0] != '/') {
        return std::nullopt;
    }
    result.arch = answer["arch"];
    result.state_dir = answer["state"];
    result.shim_present = answer.count("shim") && answer["shim"] == "present";
    result.wrapper_present = answer.count("wrapper") && answer["wrapper"] == "present";
    for (std::size_t i = 0; i < request.file_dests.size(); ++i) {
        auto found = answer.find("file" + std::to_string(i));
        result.file_hashes.push_back(found == answer.end() ? "" : found->second);
    }
    return result;
}

std::string env_file_text(const std::vector<spec::EnvVar>& environment) {
    std::string text;
    for (const auto& var : environment) text += var.name + "=" + shell_quote(var.value) + "\n";
    return text;
}

std::string launch_script(const std::string& shim_path, const std::vector<RemoteLaunch>& launches) {
    std::ostringstream s;
    // Everything created from here on (run dirs, env files) is the owner's alone.
    // Nothing starts without the shim: agentctl uploads it and runs the script again.
    s << prelude() << "[ -x " << state_path(shim_path) << " ] || { echo \"AGENTCTL noshim\"; exit 0; }\n"
      << "umask 077\n";
    for (std::size_t i = 0; i < launches.size(); ++i) {
        const auto& launch = launches[i];
        const std::string run_dir = state_path(launch.run_dir);
        s << "rd=" << run_dir << "\n"
          // Neither an earlier run's status nor its stop request may speak for this run.
          << "if mkdir -p \"$rd\" && rm -f \"$rd/status.json\" \"$rd/stop-requested\" && printf '%s' "
          << shell_quote(env_file_text(launch.environment)) << " > \"$rd/env\"; then\n"
          << "  hs=$( (set -a; . \"$rd/env\"; exec " << state_path(shim_path) << " --log "
          << state_path(launch.log_path) << " --status \"$rd/status.json\" --log-max-bytes "
          << launch.log_max_bytes << " --log-keep " << launch.log_keep;
        if (!launch.workdir.empty()) s << " --workdir " << path_word(launch.workdir);
        // The restart policy lives in the remote shim: agents are kept alive with no agentctl
        // running, and a stop's request file keeps it from restarting what is being stopped.
        const spec::RestartSpec& restart = launch.restart;
        s << " --restart " << shell_quote(spec::restart_policy_name(restart.policy)) << " --max-restarts "
          << shell_quote(std::to_string(restart.max_restarts)) << " --backoff-ms "
          << shell_quote(std::to_string(restart.backoff.count())) << " --max-backoff-ms "
          << shell_quote(std::to_string(restart.max_backoff.count())) << " --stop-file \"$rd/stop-requested\"";
        s << " --";
        for (const auto& arg : launch.argv) s << " " << shell_quote(arg);
        s << ") </dev/null 2>/dev/null &)\n"
          << "  echo \"AGENTCTL start" << i << " ${hs:-error the shim gave no handshake}\"\n"
          << "else\n"
          << "  echo \"AGENTCTL start" << i << " error cannot prepare $rd\"\n"
          << "fi\n";
    }
    return s.str();
}

std::vector<std::string> parse_launch(const std::string& out, std::size_t count) {
    auto answer = parse_answer(out);
    std::vector<std::string> lines;
    for (std::size_t i = 0; i < count; ++i) {
        auto found = answer.find("start" + std::to_string(i));
        lines.push_back(found == answer.end() ? "" : found->second);
    }
    return lines;
}

std::string inspect_script(const std::vector<RemoteInspect>& instances) {
    std::ostringstream s;
    s << prelude() << k_start_of;
    for (std::size_t i = 0; i < instances.size(); ++i) {
        const auto& instance = instances[i];
        s << identity_state(instance.agent)
          // The agent just went: give its shim a moment to write the exit down.
          << "if [ $a_state = gone ] && [ \"$(agentctl_start_of " << instance.shim.pid << ")\" = "
          << instance.shim.start_time << " ]; then sleep 0.3; fi\n"
          << "echo \"AGENTCTL i" << i << " $a_state\"\n"
          << shim_state(instance.shim) << "echo \"AGENTCTL h" << i << " $h_state\"\n"
          << "st=$(cat " << state_path(instance.status_path) << " 2>/dev/null)\n"
          << "printf 'AGENTCTL s" << i << " %s\\n' \"$st\"\n"
          << current_agent_line("c" + std::to_string(i));
    }
    return s.str();
}

std::string stop_script(const util::ProcessRef& agent, const util::ProcessRef& shim, const std::string& signal,
                        util::Millis timeout, const std::string& run_dir) {
    const long long ticks = timeout.count() / 50;
    std::ostringstream s;
    // The stop request comes before any signal: the shim reads it before it would restart.
    s << prelude() << k_start_of << "rd=" << state_path(run_dir) << "\n"
      << "if [ -d \"$rd\" ]; then : > \"$rd/stop-requested\"; fi\n"
      << identity_state(agent) << "result=$a_state\n"
      << "if [ $a_state = alive ]; then\n"
      << "  kill -s " << shell_quote(signal) << " -- -" << agent.pid << " 2>/dev/null\n"
      << "  result=stopped; n=0\n"
      << "  while [ \"$(agentctl_start_of " << agent.pid << ")\" = " << agent.start_time << " ] && [ $n -lt " << ticks
      << " ]; do sleep 0.05; n=$((n+1)); done\n"
      // Identity is checked again right before the KILL: the pid may have been reused meanwhile.
      << "  if [ \"$(agentctl_start_of " << agent.pid << ")\" = " << agent.start_time << " ]; then\n"
      << "    kill -s KILL -- -" << agent.pid << " 2>/dev/null; result=killed; n=0\n"
      << "    while [ \"$(agentctl_start_of " << agent.pid << ")\" = " << agent.start_time
      << " ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n+1)); done\n"
      << "    [ \"$(agentctl_start_of " << agent.pid << ")\" = " << agent.start_time << " ] && result=alive\n"
      << "  fi\n"
      << "  n=0; while [ \"$(agentctl_start_of " << shim.pid << ")\" = " << shim.start_time
      << " ] && [ $n -lt 60 ]; do sleep 0.05; n=$((n+1)); done\n"
      << "fi\n"
      << "echo \"AGENTCTL $result\"\n"
      << status_line(run_dir + "/status.json");
    return s.str();
}

std::string follow_log_script(const std::string& log_path, std::uint64_t offset) {
    std::ostringstream s;
    s << prelude() << "l=" << state_path(log_path) << "\nn=$(wc -c < \"$l\" 2>/dev/null || echo 0)\necho \"AGENTCTL size $n\"\n"
      << "if [ \"$n\" -ge " << offset << " ]; then tail -c +" << offset + 1 << " \"$l\"; fi\n";
    return s.str();
}

std::string exec_script(const std::string& workdir, const std::string& env_path, const std::vector<std::string>& argv) {
    std::ostringstream s;
    s << prelude();
    if (!workdir.empty()) s << "cd " << path_word(workdir) << " || exit 127\n";
    s << "e=" << state_path(env_path) << "\nif [ -f \"$e\" ]; then set -a; . \"$e\"; set +a; fi\nexec";
    for (const auto& arg : argv) s << " " << shell_quote(arg);
    s << " </dev/null\n";
    return s.str();
}

std::map<std::string, std::string> parse_answer(const std::string& out) {
    std::map<std::string, std::string> answer;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("AGENTCTL ", 0) != 0) continue;
        auto space = line.find(' ', 9);
        std::string word = line.substr(9, space == std::string::npos ? std::string::npos : space - 9);
        std::string rest = space == std::string::npos ? "" : line.substr(space + 1);
        answer.emplace(word, rest);
    }
    return answer;
}

}  // namespace agentctl::runners
