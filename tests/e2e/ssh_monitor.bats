#!/usr/bin/env bats
# Restart policies of remote agents over real sshd, with no monitor running: the remote shim
# gets the policy. A busybox httpd on a namespace host, SIGKILLed (the hosts share this
# machine's pid namespace, so the test kills the remote pid itself): under on-failure the remote
# shim restarts it, `status -o json` follows the new pid and shows restarts 1, the exit and the
# restart are events; under `no` it stays exited with its status; `stop` (also while the shim
# waits out its backoff) is never undone, and leaves nothing running on the host; max_restarts
# exhausted on the host makes the instance failed.

bats_require_minimum_version 1.5.0
load ssh_fixture

setup_file() {
  fleet_require
  fleet_up 1
}

teardown_file() {
  fleet_down
}

setup() {
  fleet_setup
  require_busybox || return 1
  A1=$(fleet_addr h1)
  WWW="$BATS_TEST_TMPDIR/www"
  mkdir -p "$WWW"
  echo ok >"$WWW/health"
}

teardown() {
  fleet_teardown rmon
}

# write_job FILE POLICY [BACKOFF]: the job "rmon": `web`, busybox httpd on h1:19201 serving WWW
# under POLICY (backoff BACKOFF, default 0.3s).
write_job() {
  cat >"$1" <<YAML
job:
  name: rmon
agents:
  - id: web
    command: ["busybox", "httpd", "-f", "-p", "$A1:19201", "-h", "$WWW"]
    config: {port: 19201}
    health: {http: /health, interval: 0.3s, timeout: 1s, retries: 2}
    restart: {policy: $2, max_restarts: 3, backoff: ${3:-0.3s}, max_backoff: 10s}
    stop: {timeout: 2s}
    deployment: {target: remote, host: h1}
topology:
  type: none
YAML
}

deploy_job() {
  write_job "$BATS_TEST_TMPDIR/job.yaml" "$@"
  run "$AGENTCTL" --state-dir "$STATE" deploy "$BATS_TEST_TMPDIR/job.yaml" -q
  echo "$output"
  [ "$status" -eq 0 ]
}

# web FIELD: one field of `web` in `status rmon -o json`.
web() {
  status_json "$BATS_TEST_TMPDIR/s.json" rmon
  status_agent "$BATS_TEST_TMPDIR/s.json" rmon web "$1"
}

restarted_once() {
  [ "$(web restarts)" = 1 ] && [ "$(web status)" = healthy ]
}

# nothing_on_host: no shim or agent of the fleet runs any more (else they go to stderr).
nothing_on_host() {
  local left
  left=$(fleet_remote_processes)
  [ -z "$left" ] && return 0
  ps -o pid=,stat=,args= -p "$(echo $left | tr ' ' ,)" >&2 || true
  return 1
}

# The remote agent's processes: the httpd (comm "busybox") on the fleet.
remote_agents() {
  local pid
  for pid in $(fleet_remote_processes); do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = busybox ] && echo "$pid"
  done
  return 0
}

no_remote_agent() {
  [ -z "$(remote_agents)" ]
}

@test "remote kill -9 under on-failure: the remote shim restarts it, status follows the new pid, stop ends it" {
  deploy_job on-failure
  first=$(pid_of rmon web)
  [ "$first" != null ]
  [ "$(remote_agents)" = "$first" ]
  kill -9 "$first"
  wait_until 15 restarted_once
  second=$(web pid)
  [ "$second" != null ]
  [ "$second" != "$first" ]
  [ "$(remote_agents)" = "$second" ]
  [ "$(web exit_status)" = 137 ]
  [ "$(status_agent "$BATS_TEST_TMPDIR/s.json" rmon web last_event | jq -r .kind)" = instance-restarted ]
  run curl -sf "http://$A1:19201/health"
  [ "$output" = ok ]
  # The exit and the restart are events, each once, however often status looks.
  web restarts >/dev/null
  run "$AGENTCTL" --state-dir "$STATE" events rmon -o json
  [ "$status" -eq 0 ]
  [ "$(jq -r '[.events[] | select(.instance == "web" and (.kind == "instance-exited" or .kind == "instance-restarted")) | .kind + ": " + .message] | join("\n")' <<<"$output")" = \
    "instance-exited: exited with status 137 (SIGKILL); restarting
instance-restarted: restarted by its shim as pid $second (restart 1)" ]
  # stop signals the restarted agent (its recorded identity followed it) and nothing comes back.
  run "$AGENTCTL" --state-dir "$STATE" stop rmon -q
  [ "$status" -eq 0 ]
  wait_until 5 nothing_on_host
  sleep 1
  nothing_on_host
  [ "$(web status)" = stopped ]
  [ "$(web restarts)" = 1 ]
  # The stop request the stop wrote on the host, before it signalled.
  [ -n "$(find "$FLEET/h1/state/agentctl/rmon/web" -name stop-requested)" ]
}

@test "remote policy no: a killed agent stays exited with its status, not restarted" {
  deploy_job no
  first=$(pid_of rmon web)
  kill -9 "$first"
  wait_until 10 bash -c "[ \"\$(\"$AGENTCTL\" --state-dir \"$STATE\" status rmon -o json | jq -r '.jobs[0].agents[0].status')\" = exited ]"
  sleep 1
  [ "$(web status)" = exited ]
  [ "$(web exit_status)" = 137 ]
  [ "$(web restarts)" = 0 ]
  # Its only agent is down: the job is failed (degraded when something else is up).
  [ "$(json_query "$BATS_TEST_TMPDIR/s.json" "d['jobs'][0]['status']")" = failed ]
  nothing_on_host
  [ "$(state_sql "SELECT message FROM events WHERE instance = 'web' AND kind = 'instance-exited'")" = \
    "exited with status 137 (SIGKILL)" ]
}

@test "remote stop while the shim waits out its backoff: the shim is woken and nothing comes back" {
  deploy_job always 20s
  kill -9 "$(pid_of rmon web)"
  # The shim is waiting 10 s (max_backoff) to restart: the batched inspection says so, and stop
  # (with the killed pid still recorded) wakes it.
  wait_until 5 no_remote_agent
  [ -n "$(fleet_remote_processes)" ]
  wait_until 5 bash -c "[ \"\$(\"$AGENTCTL\" --state-dir \"$STATE\" status rmon -o json | jq -r '.jobs[0].agents[0].status')\" = restarting ]"
  [ "$(web exit_status)" = 137 ]
  started=$(now_ms)
  run "$AGENTCTL" --state-dir "$STATE" stop rmon
  echo "$output"
  [ "$status" -eq 0 ]
  (($(now_ms) - started < 10000))
  wait_until 5 nothing_on_host
  [ "$(web status)" = stopped ]
  [ "$(web restarts)" = 0 ]
}

@test "remote max_restarts exhausted: the remote shim gives up, the instance is failed" {
  # A remote agent that always exits 3 after half a second, allowed two restarts.
  cat >"$BATS_TEST_TMPDIR/job.yaml" <<YAML
job:
  name: rmon
agents:
  - id: web
    command: ["sh", "-c", "sleep 0.5; exit 3"]
    health: {none: true, start_period: 0.2s}
    restart: {policy: on-failure, max_restarts: 2, backoff: 0.2s, max_backoff: 1s}
    stop: {timeout: 2s}
    deployment: {target: remote, host: h1}
topology:
  type: none
YAML
  run "$AGENTCTL" --state-dir "$STATE" deploy "$BATS_TEST_TMPDIR/job.yaml" -q
  echo "$output"
  [ "$status" -eq 0 ]
  wait_until 20 bash -c "[ \"\$(\"$AGENTCTL\" --state-dir \"$STATE\" status rmon -o json | jq -r '.jobs[0].agents[0].status')\" = failed ]"
  [ "$(web status)" = failed ]
  [ "$(web restarts)" = 2 ]
  [ "$(web exit_status)" = 3 ]
  [ "$(json_query "$BATS_TEST_TMPDIR/s.json" "d['jobs'][0]['status']")" = failed ]
  [ "$(state_sql "SELECT count(*) FROM events WHERE instance = 'web' AND kind = 'instance-exited'")" = 3 ]
  [ "$(state_sql "SELECT message FROM events WHERE instance = 'web' AND kind = 'instance-failed'")" = \
    "max_restarts exhausted after 2 restart(s); not restarted" ]
  # The shim that gave up leaves nothing running on the host.
  wait_until 5 nothing_on_host
}
