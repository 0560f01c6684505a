#!/usr/bin/env bats
# The monitor (`agentctl monitor JOB`, `deploy --monitor`) against real agents: busybox httpd
# serving a directory, whose /health file the tests delete and restore. Health failing past
# `retries` -> unhealthy (printed, recorded), recovered; restarted by the monitor under
# on-failure, without holding up the checks of the others while the restarted one starts;
# SIGTERM ends it with 0 and leaves the agents running; one monitor per job;
# `stop` while it runs is never undone; /metrics checked by promtool against the state.
# monitor_*.bats share a resource lock: ports 19464 and 19467 are this file's.

bats_require_minimum_version 1.5.0
load deploy_helpers

METRICS_PORT=19464
BUSY_PORT=19467  # held by a test's own listener: never a port with connections in TIME_WAIT

setup() {
  deploy_setup
  require_busybox || return 1
  read -r PORT < <(free_ports 1)
  WWW="$BATS_TEST_TMPDIR/www"
  mkdir -p "$WWW"
  echo ok >"$WWW/health"
}

teardown() {
  deploy_teardown mon
}

# write_job FILE POLICY: the job "mon": `web` (busybox httpd on PORT serving WWW, checked every
# 0.3 s, unhealthy after 2 failures) and `side` (sleep).
write_job() {
  cat >"$1" <<YAML
job:
  name: mon
agents:
  - id: web
    command: ["busybox", "httpd", "-f", "-p", "127.0.0.1:$PORT", "-h", "$WWW"]
    config: {port: $PORT}
    health: {http: /health, interval: 0.3s, timeout: 1s, retries: 2}
    restart: {policy: $2, max_restarts: 3, backoff: 0.2s}
    stop: {timeout: 2s}
$(sleep_agent_yaml side)
topology:
  type: none
YAML
}

deploy_job() {
  write_job "$BATS_TEST_TMPDIR/job.yaml" "$1"
  run "$AGENTCTL" --state-dir "$STATE" deploy "$BATS_TEST_TMPDIR/job.yaml" -q
  [ "$status" -eq 0 ]
}

# out_has TEXT: the monitor's output so far has a line equal to TEXT.
out_has() {
  grep -qxF -- "$1" "$BATS_TEST_TMPDIR/monitor.out"
}

# lines_after FIRST SECOND: a line SECOND comes after a line FIRST in the monitor's output.
line_after() {
  awk -v a="$1" -v b="$2" '$0 == a { seen = 1 } seen && $0 == b { found = 1 } END { exit !found }' \
    "$BATS_TEST_TMPDIR/monitor.out"
}

@test "health failing past retries: unhealthy, printed and recorded; restored: recovered (policy no)" {
  deploy_job no
  pid=$(pid_of mon web)
  agentctl_bg "$BATS_TEST_TMPDIR/monitor.out" monitor mon --progress plain
  monitor=$BG_PID
  wait_until 10 out_has "web healthy"
  out_has "side running"
  rm "$WWW/health"
  wait_until 10 out_has "web unhealthy: HTTP 404"
  [ "$(state_sql "SELECT status, last_health FROM instances WHERE job = 'mon' AND instance = 'web'")" = "unhealthy|HTTP 404" ]
  status_json "$BATS_TEST_TMPDIR/s.json" mon
  [ "$(status_agent "$BATS_TEST_TMPDIR/s.json" mon web status)" = unhealthy ]
  echo ok >"$WWW/health"
  wait_until 10 line_after "web unhealthy: HTTP 404" "web healthy"
  # Policy no: never restarted, the same process all along.
  [ "$(pid_of mon web)" = "$pid" ]
  [ "$(state_sql "SELECT kind, message FROM events WHERE instance = 'web' AND kind IN ('instance-unhealthy', 'instance-recovered') ORDER BY id")" = "instance-unhealthy|HTTP 404
instance-recovered|" ]
  kill -TERM "$monitor"
  wait_pid "$monitor" 5
  [ "$WAIT_STATUS" -eq 0 ]
}

@test "on-failure: the monitor restarts an unhealthy agent under the job lock" {
  deploy_job on-failure
  pid=$(pid_of mon web)
  agentctl_bg "$BATS_TEST_TMPDIR/monitor.out" monitor mon --progress plain
  monitor=$BG_PID
  wait_until 10 out_has "web healthy"
  rm "$WWW/health"
  wait_until 10 out_has "web unhealthy: HTTP 404"
  # Healthy again once restarted, so that its readiness check passes.
  echo ok >"$WWW/health"
  wait_until 20 grep -q "^web restarted by the monitor: unhealthy (HTTP 404) (restart 1)$" "$BATS_TEST_TMPDIR/monitor.out"
  wait_until 10 line_after "web restarted by the monitor: unhealthy (HTTP 404) (restart 1)" "web healthy"
  new=$(pid_of mon web)
  [ "$new" != null ]
  [ "$new" != "$pid" ]
  status_json "$BATS_TEST_TMPDIR/s.json" mon
  [ "$(status_agent "$BATS_TEST_TMPDIR/s.json" mon web restarts)" = 1 ]
  [ "$(status_agent "$BATS_TEST_TMPDIR/s.json" mon web status)" = healthy ]
  [ "$(state_sql "SELECT count(*) FROM events WHERE instance = 'web' AND kind = 'instance-restarted' AND message LIKE 'restarted by the monitor as pid $new: unhealthy (HTTP 404) (restart 1)'")" = 1 ]
  # The lock was released after the restart.
  [ -z "$(state_sql "SELECT owner_pid FROM locks WHERE job = 'mon'")" ]
  kill -TERM "$monitor"
  wait_pid "$monitor" 5
  [ "$WAIT_STATUS" -eq 0 ]
}

@test "a restart that is slow to become ready holds up no other instance's checks" {
  # `slow` serves at once on its first start; restarted, it sleeps 8 s first (its start_period
  # covers that). `fast` is checked every 0.3 s all along.
  read -r PORT2 < <(free_ports 1)
  WWW2="$BATS_TEST_TMPDIR/www2"
  mkdir -p "$WWW2"
  echo ok >"$WWW2/health"
  MARK="$BATS_TEST_TMPDIR/started-once"
  cat >"$BATS_TEST_TMPDIR/job.yaml" <<YAML
job:
  name: mon
agents:
  - id: slow
    command: ["sh", "-c", "if [ -e '$MARK' ]; then sleep 8; fi; touch '$MARK'; exec busybox httpd -f -p 127.0.0.1:$PORT -h '$WWW'"]
    config: {port: $PORT}
    health: {http: /health, interval: 0.3s, timeout: 1s, retries: 2, start_period: 12s}
    restart: {policy: on-failure, max_restarts: 3, backoff: 0.2s}
    stop: {timeout: 2s}
  - id: fast
    command: ["busybox", "httpd", "-f", "-p", "127.0.0.1:$PORT2", "-h", "$WWW2"]
    config: {port: $PORT2}
    health: {http: /health, interval: 0.3s, timeout: 1s, retries: 2}
    stop: {timeout: 2s}
topology:
  type: none
YAML
  run "$AGENTCTL" --state-dir "$STATE" deploy "$BATS_TEST_TMPDIR/job.yaml" -q
  echo "$output"
  [ "$status" -eq 0 ]
  agentctl_bg "$BATS_TEST_TMPDIR/monitor.out" monitor mon --progress plain
  monitor=$BG_PID
  wait_until 10 out_has "slow healthy"
  wait_until 10 out_has "fast healthy"
  rm "$WWW/health"
  wait_until 10 out_has "slow unhealthy: HTTP 404"
  echo ok >"$WWW/health"
  # The monitor restarts `slow` now; meanwhile `fast` starts failing and must be seen at once,
  # not after the 8 s that `slow` takes to be ready.
  rm "$WWW2/health"
  failed_at=$(now_ms)
  wait_until 15 out_has "fast unhealthy: HTTP 404"
  (($(now_ms) - failed_at < 5000))
  out_has "slow restarted by the monitor: unhealthy (HTTP 404) (restart 1)"
  ! line_after "slow restarted by the monitor: unhealthy (HTTP 404) (restart 1)" "slow healthy"
  # Within its start_period the restarted `slow` is not unhealthy; it is healthy once it serves.
  wait_until 20 line_after "slow restarted by the monitor: unhealthy (HTTP 404) (restart 1)" "slow healthy"
  [ "$(grep -c "^slow unhealthy" "$BATS_TEST_TMPDIR/monitor.out")" = 1 ]
  status_json "$BATS_TEST_TMPDIR/s.json" mon
  [ "$(status_agent "$BATS_TEST_TMPDIR/s.json" mon slow restarts)" = 1 ]
  [ "$(status_agent "$BATS_TEST_TMPDIR/s.json" mon slow status)" = healthy ]
  [ "$(state_sql "SELECT count(*) FROM events WHERE instance = 'slow' AND kind = 'instance-healthy'")" = 1 ]
  kill -TERM "$monitor"
  wait_pid "$monitor" 5
  [ "$WAIT_STATUS" -eq 0 ]
}

@test "SIGTERM ends the monitor with 0 and the agents keep running; a second monitor exits 3" {
  deploy_job on-failure
  agentctl_bg "$BATS_TEST_TMPDIR/monitor.out" monitor mon --progress json
  monitor=$BG_PID
  wait_until 10 grep -q '"instance":"web","state":"healthy"' "$BATS_TEST_TMPDIR/monitor.out"
  run timeout 20 "$AGENTCTL" --state-dir "$STATE" monitor mon
  [ "$status" -eq 3 ]
  expect_output_contains "job 'mon' is already monitored by agentctl pid $monitor"
  sent=$(now_ms)
  kill -TERM "$monitor"
  wait_pid "$monitor" 5
  [ "$WAIT_STATUS" -eq 0 ]
  (($(now_ms) - sent < 3000))
  [ "$(agent_count web)" = 1 ]
  [ "$(agent_count side)" = 1 ]
  # The lease went with it: a new monitor may start.
  agentctl_bg "$BATS_TEST_TMPDIR/again.out" monitor mon --progress plain
  wait_until 10 grep -qx "web healthy" "$BATS_TEST_TMPDIR/again.out"
  kill -INT "$BG_PID"
  wait_pid "$BG_PID" 5
  [ "$WAIT_STATUS" -eq 0 ]
  run timeout 20 "$AGENTCTL" --state-dir "$STATE" monitor nosuchjob
  [ "$status" -eq 4 ]
}

@test "stop while the monitor runs: nothing is restarted" {
  deploy_job always
  agentctl_bg "$BATS_TEST_TMPDIR/monitor.out" monitor mon --progress plain
  monitor=$BG_PID
  wait_until 10 out_has "web healthy"
  run "$AGENTCTL" --state-dir "$STATE" stop mon -q
  [ "$status" -eq 0 ]
  expect_no_agents_left 5
  wait_until 10 out_has "web stopped"
  sleep 1.5
  [ "$(count_role agent)" = 0 ]
  run grep -c "restarted" "$BATS_TEST_TMPDIR/monitor.out"
  [ "$output" = 0 ]
  kill -TERM "$monitor"
  wait_pid "$monitor" 5
  [ "$WAIT_STATUS" -eq 0 ]
}

@test "deploy --monitor --metrics-addr: /metrics passes promtool and matches the state" {
  command -v promtool >/dev/null || {
    [ "${CI:-}" != true ] || { echo "promtool (Debian prometheus) is required" >&2; return 1; }
    skip "promtool is not installed (scripts/install-deps.sh installs prometheus)"
  }
  write_job "$BATS_TEST_TMPDIR/job.yaml" on-failure
  agentctl_bg "$BATS_TEST_TMPDIR/monitor.out" deploy "$BATS_TEST_TMPDIR/job.yaml" --monitor \
    --metrics-addr "127.0.0.1:$METRICS_PORT" --progress plain
  monitor=$BG_PID
  wait_until 20 grep -qx "web healthy" "$BATS_TEST_TMPDIR/monitor.out"
  # A crash the shim repairs on its own shows in restarts_total.
  kill -9 "$(pid_of mon web)"
  wait_until 15 grep -q "^web restarted by its shim as pid" "$BATS_TEST_TMPDIR/monitor.out"
  wait_until 10 line_after "$(grep "^web restarted by its shim" "$BATS_TEST_TMPDIR/monitor.out" | tail -1)" "web healthy"
  metrics() {
    http_get "http://127.0.0.1:$METRICS_PORT/metrics" | tail -n +2 >"$BATS_TEST_TMPDIR/metrics.txt"
    grep -qx 'agentctl_agent_restarts_total{job="mon",agent="web",instance="web"} 1' "$BATS_TEST_TMPDIR/metrics.txt"
  }
  wait_until 10 metrics
  run promtool check metrics <"$BATS_TEST_TMPDIR/metrics.txt"
  echo "$output"
  [ "$status" -eq 0 ]
  grep -qx 'agentctl_agent_up{job="mon",agent="web",instance="web"} 1' "$BATS_TEST_TMPDIR/metrics.txt"
  grep -qx 'agentctl_agent_up{job="mon",agent="side",instance="side"} 1' "$BATS_TEST_TMPDIR/metrics.txt"
  grep -qx 'agentctl_agent_healthy{job="mon",agent="web",instance="web"} 1' "$BATS_TEST_TMPDIR/metrics.txt"
  grep -qx 'agentctl_agent_restarts_total{job="mon",agent="side",instance="side"} 0' "$BATS_TEST_TMPDIR/metrics.txt"
  grep -q '^agentctl_health_checks_total{job="mon",agent="web",instance="web",result="ok"} [1-9]' "$BATS_TEST_TMPDIR/metrics.txt"
  grep -q '^agentctl_health_check_duration_seconds_count{job="mon"} [1-9]' "$BATS_TEST_TMPDIR/metrics.txt"
  grep -qx 'agentctl_deploy_stage_duration_seconds_count{job="mon"} 1' "$BATS_TEST_TMPDIR/metrics.txt"
  # The state agrees.
  status_json "$BATS_TEST_TMPDIR/s.json" mon
  [ "$(status_agent "$BATS_TEST_TMPDIR/s.json" mon web restarts)" = 1 ]
  kill -TERM "$monitor"
  wait_pid "$monitor" 5
  [ "$WAIT_STATUS" -eq 0 ]
  [ "$(agent_count web)" = 1 ]
}

@test "monitor flags: a bad --metrics-addr is a usage error; --metrics-addr without --monitor too" {
  deploy_job no
  run timeout 20 "$AGENTCTL" --state-dir "$STATE" monitor mon --metrics-addr nowhere
  [ "$status" -eq 2 ]
  expect_output_contains "--metrics-addr needs HOST:PORT (e.g. 127.0.0.1:9464), not 'nowhere'"
  run "$AGENTCTL" --state-dir "$STATE" deploy "$BATS_TEST_TMPDIR/job.yaml" --metrics-addr "127.0.0.1:$METRICS_PORT"
  [ "$status" -eq 2 ]
  expect_output_contains "--metrics-addr needs --monitor"
  # A port someone else holds: exit 1, naming the address; no lease is left behind.
  # (The holder says so once it listens; a probe bind would also fail on a port in TIME_WAIT.
  # It sets SO_REUSEPORT, as another monitor's server would: agentctl must still be refused.)
  "$PYTHON" -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); open(sys.argv[2], "w").close(); time.sleep(30)' \
    "$BUSY_PORT" "$BATS_TEST_TMPDIR/holding" 2>/dev/null &
  track_pid $!
  wait_until 10 test -e "$BATS_TEST_TMPDIR/holding"
  run timeout 20 "$AGENTCTL" --state-dir "$STATE" monitor mon --metrics-addr "127.0.0.1:$BUSY_PORT"
  [ "$status" -eq 1 ]
  expect_output_contains "cannot listen on 127.0.0.1:$BUSY_PORT (--metrics-addr)"
  [ -z "$(state_sql "SELECT owner_pid FROM locks WHERE job = 'mon/monitor'")" ]
}
