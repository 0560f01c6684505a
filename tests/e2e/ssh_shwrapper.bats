#!/usr/bin/env bats
# The POSIX sh wrapper that stands in for agentctl-shim on a host of another architecture,
# forced on a namespace host with AGENTCTL_TEST_FORCE_SH_WRAPPER=1 (a test-only hook): deploy →
# status healthy → logs → a killed agent's exit status → stop leaves nothing; a restart policy
# there is refused by preflight, naming the host.

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
  export AGENTCTL_TEST_FORCE_SH_WRAPPER=1
  A1=$(fleet_addr h1)
  WWW="$BATS_TEST_TMPDIR/www"
  mkdir -p "$WWW"
  echo ok >"$WWW/health"
}

teardown() {
  fleet_teardown shw
}

# write_job POLICY: "web", a busybox httpd on h1:19301 that logs every request (-v).
write_job() {
  cat >job.yaml <<YAML
job: {name: shw}
agents:
  - id: web
    command: ["busybox", "httpd", "-f", "-v", "-p", "$A1:19301", "-h", "$WWW"]
    config: {port: 19301}
    health: {http: /health, interval: 0.3s, timeout: 1s, retries: 2}
    restart: {policy: $1}
    stop: {timeout: 2s}
    deployment: {target: remote, host: h1}
YAML
}

web() {
  status_json "$BATS_TEST_TMPDIR/s.json" shw
  status_agent "$BATS_TEST_TMPDIR/s.json" shw web "$1"
}

@test "sh wrapper host: deploy, healthy, logs, exit status after a kill, stop leaves nothing" {
  write_job no
  run agentctl deploy job.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(web status)" = healthy ]
  pid=$(web pid)
  # The wrapper, not the shim, runs on the host; the agent leads its own process group.
  wrappers=$(for p in $(fleet_remote_processes); do tr '\0' ' ' <"/proc/$p/cmdline"; echo; done | grep -c "agentctl-shwrap-")
  [ "$wrappers" -eq 1 ]
  [ -z "$(for p in $(fleet_remote_processes); do tr '\0' ' ' <"/proc/$p/cmdline"; echo; done | grep "agentctl-shim-")" ]
  [ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ]

  curl -sf "http://$A1:19301/health" >/dev/null
  run agentctl logs shw web
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"started busybox (pid $pid) under the sh wrapper"* ]]

  kill -9 "$pid"
  wait_until 10 bash -c "[ \"\$(\"$AGENTCTL\" --state-dir \"$STATE\" status shw -o json | jq -r '.jobs[0].agents[0].status')\" = exited ]"
  [ "$(web exit_status)" = 137 ]
  [ "$(web restarts)" = 0 ]

  run agentctl stop shw
  echo "$output"
  [ "$status" -eq 0 ]
  [ -z "$(fleet_remote_processes)" ]
}

@test "sh wrapper host: stop of a running agent signals its group; nothing is left" {
  write_job no
  run agentctl deploy job.yaml
  [ "$status" -eq 0 ]
  run agentctl stop shw
  echo "$output"
  [ "$status" -eq 0 ]
  [ -z "$(fleet_remote_processes)" ]
  [ "$(web status)" = stopped ]
}

@test "sh wrapper host: a restart policy is refused by preflight, naming the host" {
  write_job on-failure
  run agentctl deploy job.yaml
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"restart policy on-failure is not supported on h1: it is $(uname -m), where a POSIX sh wrapper stands in for agentctl-shim"* ]]
  [ -z "$(fleet_remote_processes)" ]
  # Without preflight, the start itself refuses it.
  run agentctl deploy job.yaml --skip-preflight
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"restart policy on-failure is not supported on h1"* ]]
  [ -z "$(fleet_remote_processes)" ]
}
