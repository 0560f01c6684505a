#include "runners/ssh_sh_wrapper.hpp"

#include <cstdlib>

#include "runners/ssh_runner_support.hpp"
#include "runners/ssh_scripts.hpp"

namespace agentctl::runners {

namespace {

// The options are the shim's (apps/agentctl-shim/README.md); the size and restart ones are
// accepted and ignored (no rotation, no restarts: the policy is refused before a launch).
constexpr const char* k_head = R"SH(#!/bin/sh
# agentctl's POSIX sh stand-in for agentctl-shim on a host of another architecture.
if [ "${1:-}" != --in-session ]; then
  # A session of its own, as the shim's setsid(): setsid(1) execs in place (not a group leader).
  if command -v setsid >/dev/null 2>&1; then exec setsid "$0" --in-session "$@"; fi
  echo "error setsid is missing on this host: the sh wrapper needs it (util-linux or busybox)"
  exit 1
fi
shift
log=/dev/null status=/dev/null workdir= policy=no stop_file=
while [ $# -gt 0 ]; do
  case $1 in
    --log) log=$2 ;;
    --status) status=$2 ;;
    --workdir) workdir=$2 ;;
    --restart) policy=$2 ;;
    --stop-file) stop_file=$2 ;;
    --log-max-bytes|--log-keep|--max-restarts|--backoff-ms|--max-backoff-ms) ;;
    --) shift; break ;;
    *) echo "error the sh wrapper does not know the option $1"; exit 2 ;;
  esac
  shift 2
done
)SH";

constexpr const char* k_body = R"SH(now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
note() { printf '%s [agentctl-shim] %s\n' "$(now)" "$1" >>"$log"; }
json_text() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | tr '\n\t\r' '   ')"; }
# write_status STATE AGENT_PID AGENT_START EXIT_STATUS SIGNAL EXITED_AT ERROR HISTORY
write_status() {
  {
    printf '{"version":1,"shim_pid":%s,"shim_start":%s,"agent_pid":%s,"agent_start":%s,"state":"%s"' \
      "$$" "$me_start" "$2" "$3" "$1"
    printf ',"started_at":"%s","exit_status":%s,"signal":%s,"exited_at":%s,"error":%s' \
      "$started_at" "$4" "$5" "$6" "$7"
    printf ',"restart_policy":"no","restarts":0,"failed":false,"next_restart_at":null'
    printf ',"last_exit_status":%s,"last_exited_at":%s,"history":[%s]}\n' "$4" "$6" "$8"
  } >"$status.tmp" && mv -f "$status.tmp" "$status"
}
# A start failure, as the shim reports one: status 127, no agent, the handshake's error.
refuse() {
  write_status exited 0 0 127 null "\"$(now)\"" "$(json_text "$1")" ""
  echo "error $1"
  exit 1
}
me_start=$(agentctl_start_of $$)
started_at=$(now)
[ "$policy" = no ] || refuse "restart policy $policy is not supported by the sh wrapper"
[ $# -gt 0 ] || refuse "no command to run"
mkdir -p "$(dirname -- "$log")" 2>/dev/null
if [ -n "$workdir" ]; then cd "$workdir" 2>/dev/null || refuse "cannot enter the working directory $workdir"; fi
command -v -- "$1" >/dev/null 2>&1 || refuse "$1: command not found"
# The agent leads a session and process group of its own (the group stop signals), stdin
# /dev/null, its output appended to the log.
setsid "$@" </dev/null >>"$log" 2>&1 &
agent=$!
agent_start=$(agentctl_start_of "$agent")
agent_start=${agent_start:-0}
trapped=0
for sig in TERM INT HUP; do trap "trapped=1; kill -s $sig -- -$agent 2>/dev/null" $sig; done
write_status running "$agent" "$agent_start" null null null null ""
note "started $1 (pid $agent) under the sh wrapper"
echo "ok $$ $me_start $agent $agent_start"
exec >/dev/null 2>&1
# A trapped signal ends `wait` early: wait again for the agent's own status.
while :; do
  trapped=0
  wait "$agent"
  rc=$?
  [ "$trapped" = 1 ] || break
done
signal=null
[ "$rc" -gt 128 ] && signal=$((rc - 128))
action=none
[ -n "$stop_file" ] && [ -e "$stop_file" ] && action=stop
exited_at="\"$(now)\""
history="{\"n\":1,\"pid\":$agent,\"exit_status\":$rc,\"signal\":$signal,\"exited_at\":$exited_at,\"action\":\"$action\",\"restarted_at\":null,\"new_pid\":null}"
write_status exited "$agent" "$agent_start" "$rc" "$signal" "$exited_at" null "$history"
note "the agent (pid $agent) exited with status $rc"
)SH";

}  // namespace

const std::string& sh_wrapper_text() {
    static const std::string text = std::string(k_head) + k_start_of_function + k_body;
    return text;
}

const std::string& sh_wrapper_name() {
    static const std::string name = "agentctl-shwrap-" + sha256_hex(sh_wrapper_text()).substr(0, 16);
    return name;
}

bool sh_wrapper_forced() {
    const char* value = std::getenv("AGENTCTL_TEST_FORCE_SH_WRAPPER");
    return value && std::string(value) == "1";
}

std::string sh_wrapper_refusal(const spec::RestartSpec& restart, const std::string& host, const std::string& arch) {
    if (restart.policy == spec::RestartPolicy::no) return {};
    return "restart policy " + std::string(spec::restart_policy_name(restart.policy)) + " is not supported on " +
           host + ": it is " + arch + ", where a POSIX sh wrapper stands in for agentctl-shim (built for " +
           local_arch() + ") and restarts nothing; set restart.policy: no for it, or use a host of this architecture";
}

}  // namespace agentctl::runners
