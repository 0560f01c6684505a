#!/usr/bin/env bats
# Host keys against real sshd (DESIGN.md §4): an unknown key is refused with the host, key type
# and SHA256 fingerprint and how to accept it; --accept-new-host-keys adds it; hashed
# known_hosts entries are honoured; a changed key is refused even with --accept-new-host-keys.

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
  A1=$(fleet_addr h1)
  KNOWN="$BATS_TEST_TMPDIR/known_hosts"
  export AGENTCTL_KNOWN_HOSTS="$KNOWN"
  # The fingerprint as OpenSSH's own tool prints it.
  FINGERPRINT=$(ssh-keygen -lf "$FLEET/h1/host_ed25519.pub" | awk '{ print $2 }')
  cat >job.yaml <<YAML
job: {name: sshkeys}
agents:
  - id: solo
    command: ["sleep", "300"]
    health: {none: true, start_period: 0s}
    deployment: {target: remote, host: h1}
YAML
}

teardown() {
  fleet_teardown sshkeys
}

@test "an unknown host key is refused with its fingerprint; --accept-new-host-keys adds it" {
  : >"$KNOWN"
  run agentctl deploy job.yaml
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"host key of h1 (root@$A1:22) is not known: ssh-ed25519 $FINGERPRINT"* ]]
  [[ "$output" == *"--accept-new-host-keys"* ]]
  [ ! -s "$KNOWN" ]
  [ -z "$(fleet_remote_processes)" ]

  run agentctl --accept-new-host-keys deploy job.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  grep -q "ssh-ed25519" "$KNOWN"
  # Now known: a plain deploy (and status) go through.
  run agentctl status sshkeys -o json
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r '.jobs[0].agents[0].status')" = running ]
  run agentctl stop sshkeys
  [ "$status" -eq 0 ]
}

@test "a hashed known_hosts entry is accepted" {
  cp "$FLEET/known_hosts" "$KNOWN"
  ssh-keygen -H -f "$KNOWN" >/dev/null 2>&1
  run ! grep -q "$A1" "$KNOWN"
  run agentctl deploy job.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  run agentctl stop sshkeys
  [ "$status" -eq 0 ]
}

@test "a changed host key is refused, even with --accept-new-host-keys" {
  ssh-keygen -q -t ed25519 -N '' -f "$BATS_TEST_TMPDIR/other_key"
  echo "$A1 $(cut -d' ' -f1,2 "$BATS_TEST_TMPDIR/other_key.pub")" >"$KNOWN"
  run agentctl --accept-new-host-keys deploy job.yaml
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"host key of h1 (root@$A1:22) has CHANGED: it now offers ssh-ed25519 $FINGERPRINT"* ]]
  [ "$(wc -l <"$KNOWN")" -eq 1 ]
  [ -z "$(fleet_remote_processes)" ]
}

@test "authentication: a configured key the host does not accept, then ssh-agent" {
  cp "$FLEET/known_hosts" "$KNOWN"
  # The job's key is not in the host's authorized_keys; the agent holds the right one.
  ssh-keygen -q -t ed25519 -N '' -f "$BATS_TEST_TMPDIR/stranger_key"
  sed -i "s|deployment: {target: remote, host: h1}|deployment: {target: remote, host: h1, ssh_key: $BATS_TEST_TMPDIR/stranger_key}|" job.yaml
  eval "$(ssh-agent -s -a "$BATS_TEST_TMPDIR/agent.sock")" >/dev/null
  TRACKED_PIDS+=("$SSH_AGENT_PID")
  ssh-add -q "$FLEET/client_key" 2>/dev/null
  # No default identity files to fall back on.
  export HOME="$BATS_TEST_TMPDIR/home"
  mkdir -p "$HOME"
  run agentctl deploy job.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  run agentctl stop sshkeys
  [ "$status" -eq 0 ]
  # Without the agent the same job is refused, naming the key tried.
  kill "$SSH_AGENT_PID"
  run agentctl deploy job.yaml
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"authentication to h1 (root@$A1:22) failed: no key was accepted (tried $BATS_TEST_TMPDIR/stranger_key, then ssh-agent)"* ]]
}
