#!/usr/bin/env bats
# Round trips to a host: every script of one agentctl run (preflight, launch, inspect, exec
# checks, stop) goes through ONE long-lived shell channel per host, counted in the fixture
# sshd's VERBOSE log; a script that times out closes that shell and the next one opens a
# fresh shell, so the host stays usable in the same run.

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
}

teardown() {
  fleet_teardown sshch sshto
}

# The number of channels that ran a command ("Starting session: command ...") on host H.
session_count() {
  grep -c "Starting session: command" "$FLEET/$1/sshd.log" || true
}

@test "deploy of 3 agents on one host, status, stop: one shell channel per host per run" {
  cat >job.yaml <<YAML
job: {name: sshch}
agents:
$(sleep_agent_yaml one)
    deployment: {target: remote, host: h1}
$(sleep_agent_yaml two)
    deployment: {target: remote, host: h1}
$(sleep_agent_yaml three)
    deployment: {target: remote, host: h1}
YAML
  before=$(session_count h1)
  run agentctl deploy job.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  # preflight, shim check, upload rename, launch and readiness: one channel.
  [ "$(session_count h1)" -eq $((before + 1)) ]

  run agentctl status sshch -o json
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r '[.jobs[0].agents[].status] | unique | join(",")')" = running ]
  [ "$(session_count h1)" -eq $((before + 2)) ]

  run agentctl stop sshch
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(session_count h1)" -eq $((before + 3)) ]
  # Nothing is left on the host: no agent, no shim, no shell of agentctl's.
  [ -z "$(fleet_remote_processes)" ]
}

@test "a remote script past its timeout leaves the host usable for the next one in the same run" {
  flag="$BATS_TEST_TMPDIR/first-check-ran"
  cat >job.yaml <<YAML
job: {name: sshto}
agents:
  - id: slowcheck
    command: ["sleep", "1000"]
    # The first check hangs past its 1s timeout; the next ones pass.
    health: {exec: ["sh", "-c", "[ -e '$flag' ] && exit 0; : > '$flag'; exec sleep 60"], interval: 0.3s, timeout: 1s, retries: 5}
    deployment: {target: remote, host: h1}
deployment: {timeout: 20}
YAML
  before=$(session_count h1)
  start=$(now_ms)
  run agentctl deploy job.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [ -e "$flag" ]
  [ $(($(now_ms) - start)) -lt 15000 ]
  # The timed-out check closed the first shell; the next check opened a second one.
  [ "$(session_count h1)" -eq $((before + 2)) ]
  # The timed-out script was killed with its shell's process group; the agent runs on.
  for p in $(fleet_remote_processes); do tr '\0' ' ' <"/proc/$p/cmdline"; echo; done >remote.txt
  cat remote.txt
  run ! grep -q "sleep 60" remote.txt
  grep -q "sleep 1000" remote.txt
  run agentctl status sshto -o json
  [ "$(echo "$output" | jq -r '.jobs[0].agents[0].status')" = healthy ]
  run agentctl stop sshto
  [ "$status" -eq 0 ]
}
