# Shared setup for the bats tests that deploy real agents (`load deploy_helpers`).
# Agents are small real programs: `sleep`, `sh`, and the example agent
# (examples/agents/echo_agent.py) run by Debian's python3. Each test has its own state dir
# (cli_setup), its own free ports, and a mark in its environment that agentctl, the shims and
# the agents inherit: teardown finds whatever a failed test left behind by that mark, and kills
# it by pid — never anything else.

load cli_helpers

# Debian's python3 first, and a per-test mark every process of the test inherits.
deploy_setup() {
  cli_setup
  export PATH="/usr/bin:/bin:$PATH"
  export PYTHONDONTWRITEBYTECODE=1
  PYTHON=/usr/bin/python3
  [ -x "$PYTHON" ] || {
    echo "Debian's /usr/bin/python3 is required to run the example agents" >&2
    return 1
  }
  ECHO_AGENT="$SOURCE_DIR/examples/agents/echo_agent.py"
  export AGENTCTL_TEST_MARK="t$$-$RANDOM-$(date +%s%N)"
  TRACKED_PIDS=()
}

# Kills, by pid, every process of this test still alive: tracked background helpers, then
# agentctl runs, shims and agents (all carry the mark). `deploy_teardown JOB...` first asks
# agentctl to stop those jobs.
deploy_teardown() {
  local job pid
  for job in "$@"; do
    "$AGENTCTL" --state-dir "$STATE" stop "$job" --force -q >/dev/null 2>&1 || true
  done
  for pid in "${TRACKED_PIDS[@]}"; do
    kill -9 "$pid" 2>/dev/null || true
  done
  for pid in $(marked_processes | awk '{ print $1 }'); do
    kill -9 "$pid" 2>/dev/null || true
  done
}

# Milliseconds since the epoch.
now_ms() {
  echo $(($(date +%s%N) / 1000000))
}

# N TCP ports free on 127.0.0.1 right now, all different (held open together while chosen),
# separated by spaces.
free_ports() {
  "$PYTHON" - "$1" <<'PY'
import socket, sys
sockets = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    sockets.append(s)
print(" ".join(str(s.getsockname()[1]) for s in sockets))
PY
}

# pid_alive PID: true when PID is a live process (a zombie counts as gone).
pid_alive() {
  [ -n "$1" ] && [ "$1" != null ] || return 1
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat:0:1}" != Z ]
}

# The live processes of this test, one per line: "PID ROLE AGENT_ID", ROLE being agentctl,
# shim or agent (AGENT_ID "-" for the first two). Processes of the test that are neither (bats,
# helpers) are left out.
marked_processes() {
  "$PYTHON" - "$AGENTCTL_TEST_MARK" "$$" <<'PY'
import os, sys
mark = ("AGENTCTL_TEST_MARK=" + sys.argv[1]).encode()
me = {sys.argv[2], str(os.getpid()), str(os.getppid())}
for pid in os.listdir("/proc"):
    if not pid.isdigit() or pid in me:
        continue
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            env = f.read().split(b"\0")
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv0 = f.read().split(b"\0")[0].decode(errors="replace")
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        continue
    if mark not in env or stat[stat.rindex(b")") + 2:][:1] == b"Z":
        continue
    agent_id = next((v[9:].decode(errors="replace") for v in env if v.startswith(b"AGENT_ID=")), "")
    name = os.path.basename(argv0)
    if name == "agentctl":
        print(pid, "agentctl", "-")
    elif name == "agentctl-shim":
        print(pid, "shim", "-")
    elif agent_id:
        print(pid, "agent", agent_id)
PY
}

# count_role ROLE: how many live processes of this test have that role.
count_role() {
  marked_processes | awk -v role="$1" '$2 == role' | wc -l
}

# agent_count ID: how many live agent processes carry AGENT_ID=ID.
agent_count() {
  marked_processes | awk -v id="$1" '$2 == "agent" && $3 == id' | wc -l
}

# wait_until SECONDS COMMAND...: runs COMMAND every 100 ms until it succeeds; fails after SECONDS.
wait_until() {
  local deadline=$(($(now_ms) + $1 * 1000))
  shift
  until "$@"; do
    if (($(now_ms) > deadline)); then
      echo "timed out waiting for: $*" >&2
      return 1
    fi
    sleep 0.1
  done
}

# expect_no_agents_left SECONDS: within SECONDS no shim or agent process of this test is alive.
expect_no_agents_left() {
  local deadline=$(($(now_ms) + $1 * 1000))
  while marked_processes | awk '$2 == "shim" || $2 == "agent"' | grep -q .; do
    if (($(now_ms) > deadline)); then
      echo "processes left after $1 s:" >&2
      marked_processes >&2
      return 1
    fi
    sleep 0.1
  done
}

# track_pid PID: kill PID in teardown if it still runs.
track_pid() {
  TRACKED_PIDS+=("$1")
}

# agentctl_bg OUT ARGS...: agentctl in the background, stdout and stderr to OUT; its pid in BG_PID.
agentctl_bg() {
  local out=$1
  shift
  "$AGENTCTL" --state-dir "$STATE" "$@" >"$out" 2>&1 3>&- &
  BG_PID=$!
  track_pid "$BG_PID"
}

# wait_pid PID SECONDS: waits for a background child to end; its exit status in WAIT_STATUS.
# Fails (and kills it) when it is still running after SECONDS.
wait_pid() {
  local deadline=$(($(now_ms) + $2 * 1000))
  while pid_alive "$1"; do
    if (($(now_ms) > deadline)); then
      echo "pid $1 still runs after $2 s" >&2
      kill -9 "$1" 2>/dev/null || true
      return 1
    fi
    sleep 0.05
  done
  WAIT_STATUS=0
  wait "$1" 2>/dev/null || WAIT_STATUS=$?
}

# expect_output_contains TEXT...: $output (of the last `run`) contains every TEXT.
expect_output_contains() {
  local text
  for text in "$@"; do
    [[ $output == *"$text"* ]] || {
      echo "the output does not contain \"$text\":" >&2
      echo "$output" >&2
      return 1
    }
  done
}

# expect_no_file_mentions TEXT FILE...: no FILE contains TEXT.
expect_no_file_mentions() {
  local text=$1 file
  shift
  for file in "$@"; do
    [ -e "$file" ] || continue
    if grep -qF -- "$text" "$file"; then
      echo "$file mentions \"$text\":" >&2
      grep -F -- "$text" "$file" | head -5 >&2
      return 1
    fi
  done
}

# status_json FILE [JOB]: `status [JOB] -o json` into FILE, its exit status in STATUS_EXIT;
# fails when the output is not JSON.
status_json() {
  local file=$1
  shift
  STATUS_EXIT=0
  "$AGENTCTL" --state-dir "$STATE" status "$@" -o json >"$file" 2>"$file.err" || STATUS_EXIT=$?
  jq -e . "$file" >/dev/null 2>&1 || {
    echo "status $* -o json (exit $STATUS_EXIT) did not print JSON:" >&2
    cat "$file" "$file.err" >&2
    return 1
  }
}

# json_query FILE EXPR: a Python expression over the document `d`; strings print bare, everything
# else as JSON (None as null).
json_query() {
  "$PYTHON" - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
value = eval(sys.argv[2], {"d": d})
print(value if isinstance(value, str) else json.dumps(value))
PY
}

# status_agent FILE JOB INSTANCE FIELD: one field of one instance in a status document.
status_agent() {
  json_query "$1" "[a for j in d['jobs'] if j['name'] == '$2' for a in j['agents'] if a['instance'] == '$3'][0]['$4']"
}

# state_sql SQL: runs SQL against the state database; rows one per line, columns joined by '|'.
state_sql() {
  "$PYTHON" - "$STATE/state.db" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30)
rows = db.execute(sys.argv[2]).fetchall()
db.commit()
for row in rows:
    print("|".join("" if v is None else str(v) for v in row))
PY
}

# sleep_agent_yaml ID: an agent that sleeps, ready once alive.
sleep_agent_yaml() {
  cat <<YAML
  - id: $1
    command: ["sleep", "1000"]
    health: {none: true, start_period: 0.2s}
YAML
}

# echo_agent_yaml ID PORT [CONFIG_LINES]: the example agent on PORT, checked by GET /health;
# CONFIG_LINES (indented six spaces) are added to its config. The block ends inside `config`,
# so a caller may append more fields of the agent.
echo_agent_yaml() {
  cat <<YAML
  - id: $1
    command: ["$PYTHON", "$ECHO_AGENT"]
    health: {http: /health, interval: 0.2s}
    config:
      port: $2
YAML
  [ -z "${3:-}" ] || printf '%s\n' "$3"
}

# http_get URL: the HTTP status on the first line, then the body (status 0: no connection).
http_get() {
  http GET "$1"
}

# http METHOD URL [BODY]: the HTTP status on the first line, then the body.
http() {
  "$PYTHON" - "$@" <<'PY'
import sys, urllib.request, urllib.error
method, url = sys.argv[1], sys.argv[2]
body = sys.argv[3].encode() if len(sys.argv) > 3 else None
request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
try:
    with urllib.request.urlopen(request, timeout=10) as reply:
        print(reply.status); print(reply.read().decode())
except urllib.error.HTTPError as error:
    print(error.code); print(error.read().decode())
except OSError as error:
    print(0); print(error)
PY
}

# env_of PORT NAME: NAME as the agent on PORT reports it in GET /env ("<unset>" when absent).
env_of() {
  http GET "http://127.0.0.1:$1/env" | tail -n +2 | jq -r --arg name "$2" '.[$name] // "<unset>"'
}

# port_closed PORT: true when nothing accepts connections on 127.0.0.1:PORT.
port_closed() {
  ! "$PYTHON" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$1" 2>/dev/null
}

# pid_of JOB INSTANCE: the agent pid `status JOB -o json` reports ("null" when not running).
pid_of() {
  "$AGENTCTL" --state-dir "$STATE" status "$1" -o json | jq -r --arg i "$2" '.jobs[0].agents[] | select(.instance == $i) | .pid'
}

# require_busybox: skips the test when busybox is missing (busybox-static); under CI=true that
# fails instead (returns 1 after saying why).
require_busybox() {
  command -v busybox >/dev/null && return 0
  if [ "${CI:-}" = true ]; then
    echo "busybox (busybox-static) is required" >&2
    return 1
  fi
  skip "busybox is not installed (scripts/install-deps.sh installs busybox-static)"
}
