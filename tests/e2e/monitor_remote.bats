#!/usr/bin/env bats
# `agentctl monitor JOB` over a job with a remote instance (busybox httpd on a namespace host of
# the real sshd fleet) and a container instance (busybox httpd in the Docker test image): the
# remote agent's health fails -> unhealthy, printed, restarted by the monitor (the old remote
# shim's stop request keeps it from coming back too); the container is killed -> the monitor
# reports the exit and restarts it itself (containers have no shim); SIGTERM ends the monitor
# with 0, both agents still running; stop leaves nothing on the host or the engine.
# monitor_remote.bats holds the monitor, docker and ssh resource locks (tests/e2e/CMakeLists.txt).

bats_require_minimum_version 1.5.0
load ssh_fixture
load docker_helpers

setup_file() {
  fleet_require
  docker_setup_file
  [ -n "${DOCKER_SKIP:-}" ] || fleet_up 1
}

teardown_file() {
  fleet_down
  docker_teardown_file
}

setup() {
  docker_setup
  fleet_setup
  require_busybox || return 1
  A1=$(fleet_addr h1)
  read -r BOX_PORT < <(free_ports 1)
  WWW="$BATS_TEST_TMPDIR/www"
  mkdir -p "$WWW"
  echo ok >"$WWW/health"
}

teardown() {
  # Shown when the test failed: what the monitor said.
  [ ! -f "$BATS_TEST_TMPDIR/monitor.out" ] || sed 's/^/monitor: /' "$BATS_TEST_TMPDIR/monitor.out" >&2
  fleet_teardown "$JOB"
  docker_remove_job "$JOB"
}

# The job: `web` on h1:19301 (health from WWW), `box` a container published on BOX_PORT; both
# restarted on failure, checked every 0.3 s, unhealthy after 2 failures.
write_job() {
  cat >"$1" <<YAML
job:
  name: $JOB
agents:
  - id: web
    command: ["busybox", "httpd", "-f", "-p", "$A1:19301", "-h", "$WWW"]
    config: {port: 19301}
    health: {http: /health, interval: 0.3s, timeout: 1s, retries: 2}
    restart: {policy: on-failure, max_restarts: 3, backoff: 0.2s}
    stop: {timeout: 2s}
    deployment: {target: remote, host: h1}
  - id: box
    command: ["/bin/sh", "-c", "exec /bin/busybox httpd -f -p 8080 -h /www"]
    config: {port: 8080}
    health: {http: /health, interval: 0.3s, timeout: 1s, retries: 2}
    restart: {policy: on-failure, max_restarts: 3, backoff: 0.2s}
    stop: {signal: SIGTERM, timeout: 1s}
    deployment: {target: container, image: $IMAGE, publish: "127.0.0.1:$BOX_PORT"}
topology:
  type: none
YAML
}

out_has() {
  grep -qxF -- "$1" "$BATS_TEST_TMPDIR/monitor.out"
}

# line_after FIRST SECOND: a line SECOND comes after a line FIRST in the monitor's output.
line_after() {
  awk -v a="$1" -v b="$2" '$0 == a { seen = 1 } seen && $0 == b { found = 1 } END { exit !found }' \
    "$BATS_TEST_TMPDIR/monitor.out"
}

# The remote httpd processes (comm "busybox") on the fleet.
remote_agents() {
  local pid
  for pid in $(fleet_remote_processes); do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = busybox ] && echo "$pid"
  done
  return 0
}

field() {
  status_json "$BATS_TEST_TMPDIR/s.json" "$JOB"
  status_agent "$BATS_TEST_TMPDIR/s.json" "$JOB" "$1" "$2"
}

nothing_on_host() {
  [ -z "$(fleet_remote_processes)" ]
}

@test "monitor JOB over a remote and a container instance: unhealthy and exited are restarted, SIGTERM exits 0" {
  write_job "$BATS_TEST_TMPDIR/job.yaml"
  run "$AGENTCTL" --state-dir "$STATE" deploy "$BATS_TEST_TMPDIR/job.yaml" -q
  echo "$output"
  [ "$status" -eq 0 ]
  web_pid=$(pid_of "$JOB" web)
  box_id=$(field box container)
  [ "$box_id" != null ]

  agentctl_bg "$BATS_TEST_TMPDIR/monitor.out" monitor "$JOB" --progress plain
  monitor=$BG_PID
  wait_until 15 out_has "web healthy"
  wait_until 15 out_has "box healthy"

  # The remote agent's health fails: unhealthy, then restarted by the monitor.
  rm "$WWW/health"
  wait_until 10 out_has "web unhealthy: HTTP 404"
  echo ok >"$WWW/health"
  wait_until 30 out_has "web restarted by the monitor: unhealthy (HTTP 404) (restart 1)"
  wait_until 10 line_after "web restarted by the monitor: unhealthy (HTTP 404) (restart 1)" "web healthy"
  new_web=$(pid_of "$JOB" web)
  [ "$new_web" != null ]
  [ "$new_web" != "$web_pid" ]
  # Exactly the new one: the old shim's stop request kept on-failure from bringing the old back.
  sleep 0.5
  [ "$(remote_agents)" = "$new_web" ]

  # The container is killed: the monitor reports the exit and restarts it itself.
  "$DOCKER" kill "$box_id" >/dev/null
  wait_until 10 out_has "box exited with status 137 (SIGKILL)"
  wait_until 30 out_has "box restarted by the monitor: exited with status 137 (SIGKILL) (restart 1)"
  wait_until 15 line_after "box restarted by the monitor: exited with status 137 (SIGKILL) (restart 1)" "box healthy"
  new_box=$(field box container)
  [ "$new_box" != null ]
  [ "$new_box" != "$box_id" ]
  [ "$(field box restarts)" = 1 ]
  [ "$(field web restarts)" = 1 ]
  [ "$(state_sql "SELECT instance || ': ' || message FROM events WHERE job = '$JOB' AND kind = 'instance-restarted' ORDER BY id")" = \
    "web: restarted by the monitor as pid $new_web: unhealthy (HTTP 404) (restart 1)
box: restarted by the monitor: exited with status 137 (SIGKILL) (restart 1)" ]

  # SIGTERM: exit 0 promptly, both agents still running.
  sent=$(now_ms)
  kill -TERM "$monitor"
  wait_pid "$monitor" 5
  [ "$WAIT_STATUS" -eq 0 ]
  (($(now_ms) - sent < 3000))
  [ "$(remote_agents)" = "$new_web" ]
  [ "$("$DOCKER" inspect --format '{{.State.Running}}' "$new_box")" = true ]

  run "$AGENTCTL" --state-dir "$STATE" stop "$JOB" -q
  [ "$status" -eq 0 ]
  wait_until 5 nothing_on_host
  expect_no_leftovers "$JOB"
}
