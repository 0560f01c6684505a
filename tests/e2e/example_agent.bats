#!/usr/bin/env bats
# The example agent (examples/agents/echo_agent.py) run for real with Debian's python3: the
# environment contract it reads, its HTTP endpoints, a hub forwarding to a real peer, and a
# clean exit on SIGTERM. The end-to-end deploy tests rely on exactly this behaviour.

PYTHON=${AGENTCTL_PYTHON:-/usr/bin/python3}

setup_file() {
  export SOURCE_DIR=${AGENTCTL_SOURCE_DIR:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
  export PYTHONDONTWRITEBYTECODE=1
  SPOKE_PORT=$(free_port)
  HUB_PORT=$(free_port)
  while [[ $HUB_PORT == "$SPOKE_PORT" ]]; do HUB_PORT=$(free_port); done
  export SPOKE_PORT HUB_PORT

  start_agent spoke AGENT_ID=spoke AGENT_PORT="$SPOKE_PORT" AGENT_NAME="Spoke Agent" JOB_ID=demo-20250101000000
  start_agent hub AGENT_ID=hub AGENT_PORT="$HUB_PORT" AGENT_NAME="Hub Agent" JOB_ID=demo-20250101000000 \
    CONNECTED_AGENTS="http://127.0.0.1:$SPOKE_PORT"
  wait_healthy "$SPOKE_PORT" spoke
  wait_healthy "$HUB_PORT" hub
}

teardown_file() {
  stop_agent spoke
  stop_agent hub
}

# A TCP port that is free right now on 127.0.0.1.
free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_agent NAME VAR=VALUE...: runs the agent from examples/ as the example jobs do
# (python3 -m agents.echo_agent), output to $BATS_FILE_TMPDIR/NAME.log, pid in NAME.pid.
start_agent() {
  local name=$1
  shift
  (cd "$SOURCE_DIR/examples" && exec env "$@" "$PYTHON" -m agents.echo_agent) \
    >"$BATS_FILE_TMPDIR/$name.log" 2>&1 3>&- &
  echo $! >"$BATS_FILE_TMPDIR/$name.pid"
}

stop_agent() {
  local pidfile="$BATS_FILE_TMPDIR/$1.pid"
  [[ -f $pidfile ]] || return 0
  kill "$(cat "$pidfile")" 2>/dev/null || true
  rm -f "$pidfile"
}

# http METHOD URL [BODY]: prints the status code on the first line, then the body.
http() {
  "$PYTHON" - "$@" <<'PY'
import sys, urllib.request, urllib.error
method, url = sys.argv[1], sys.argv[2]
body = sys.argv[3].encode() if len(sys.argv) > 3 else None
request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
try:
    with urllib.request.urlopen(request, timeout=15) as reply:
        print(reply.status); print(reply.read().decode())
except urllib.error.HTTPError as error:
    print(error.code); print(error.read().decode())
PY
}

# wait_healthy PORT NAME: polls /health for up to 10 s.
wait_healthy() {
  local i
  for ((i = 0; i < 100; i++)); do
    if [[ $(http GET "http://127.0.0.1:$1/health" 2>/dev/null | head -1) == 200 ]]; then
      return 0
    fi
    sleep 0.1
  done
  echo "agent $2 did not answer /health on port $1 within 10 s; its log:" >&2
  cat "$BATS_FILE_TMPDIR/$2.log" >&2
  return 1
}

# The body (every line after the status line) of the last `run http ...`.
body() {
  printf '%s\n' "${lines[@]:1}"
}

@test "GET /health answers 200 with status ok and the agent's id" {
  run http GET "http://127.0.0.1:$SPOKE_PORT/health"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 200 ]
  [ "$(body | jq -r .status)" = ok ]
  [ "$(body | jq -r .id)" = spoke ]
}

@test "GET /env shows the contract variables the agent was started with, and nothing else" {
  run http GET "http://127.0.0.1:$HUB_PORT/env"
  [ "${lines[0]}" = 200 ]
  [ "$(body | jq -r .AGENT_ID)" = hub ]
  [ "$(body | jq -r .AGENT_NAME)" = "Hub Agent" ]
  [ "$(body | jq -r .AGENT_PORT)" = "$HUB_PORT" ]
  [ "$(body | jq -r .JOB_ID)" = demo-20250101000000 ]
  [ "$(body | jq -r .CONNECTED_AGENTS)" = "http://127.0.0.1:$SPOKE_PORT" ]
  [ "$(body | jq 'has("PATH") or has("HOME")')" = false ]
}

@test "a spoke answers a query itself" {
  run http POST "http://127.0.0.1:$SPOKE_PORT/query" '{"query": "sunny?", "session_id": "s1"}'
  [ "${lines[0]}" = 200 ]
  [ "$(body | jq -r .response)" = "spoke received 'sunny?'" ]
  [ "$(body | jq -r .session_id)" = s1 ]
  [ "$(body | jq '.peers | length')" = 0 ]
}

@test "a hub forwards a query to its connected peer and includes the peer's response" {
  run http POST "http://127.0.0.1:$HUB_PORT/query" '{"query": "what is the weather", "session_id": "s2"}'
  [ "${lines[0]}" = 200 ]
  response=$(body | jq -r .response)
  [[ $response == "hub received 'what is the weather' <- ["* ]]
  [[ $response == *"spoke received 'what is the weather'"* ]]
  [ "$(body | jq -r '.peers[0].url')" = "http://127.0.0.1:$SPOKE_PORT" ]
  [ "$(body | jq -r '.peers[0].response')" = "spoke received 'what is the weather'" ]
  # the peer really was asked: its log has the forwarded POST
  grep -q 'spoke .*"POST /query' "$BATS_FILE_TMPDIR/spoke.log"
}

@test "a query without a string \"query\" field is refused with 400" {
  run http POST "http://127.0.0.1:$SPOKE_PORT/query" '{"question": "x"}'
  [ "${lines[0]}" = 400 ]
  [[ "$(body | jq -r .error)" == *'"query"'* ]]
  run http POST "http://127.0.0.1:$SPOKE_PORT/query" 'not json'
  [ "${lines[0]}" = 400 ]
}

@test "an unknown path is 404" {
  run http GET "http://127.0.0.1:$SPOKE_PORT/nope"
  [ "${lines[0]}" = 404 ]
}

@test "port from AGENT_CONFIG, one log line per request, clean exit 0 on SIGTERM" {
  local port pid i
  port=$(free_port)
  start_agent solo AGENT_ID=solo AGENT_CONFIG="{\"port\": $port, \"name\": \"Solo\"}"
  pid=$(cat "$BATS_FILE_TMPDIR/solo.pid")
  wait_healthy "$port" solo
  http GET "http://127.0.0.1:$port/health" >/dev/null
  [ "$(grep -c '"GET /health' "$BATS_FILE_TMPDIR/solo.log")" -ge 2 ]
  grep -q "solo listening on http://127.0.0.1:$port" "$BATS_FILE_TMPDIR/solo.log"

  kill -TERM "$pid"
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  local rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 0 ]
  rm -f "$BATS_FILE_TMPDIR/solo.pid"
  grep -q 'solo stopping on SIGTERM' "$BATS_FILE_TMPDIR/solo.log"
}

@test "without any port the agent refuses to start with exit 2" {
  run env -u AGENT_PORT -u AGENT_CONFIG "$PYTHON" "$SOURCE_DIR/examples/agents/echo_agent.py"
  [ "$status" -eq 2 ]
  [[ $output == *"no port"* ]]
}
