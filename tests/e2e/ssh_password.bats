#!/usr/bin/env bats
# Password authentication (deployment.password, only from ${VAR}) against a fixture sshd that
# accepts a password, and nothing else, for a user of its own: a deploy works as that user; a
# wrong password fails with exit 1 naming the host; the password never appears in the state,
# the output, the logs or any process's command line.

bats_require_minimum_version 1.5.0
load ssh_fixture

setup_file() {
  fleet_require
  fleet_up 1 --password-user
}

teardown_file() {
  fleet_down
}

setup() {
  fleet_setup
  PW_USER=$(cat "$FLEET/password_user")
  PW_HOME=$(cat "$FLEET/password_home")
  A1=$(fleet_addr h1)
  # No ssh-agent: the password is the only way in.
  unset SSH_AUTH_SOCK
}

teardown() {
  fleet_teardown sshpw
  local pid
  for pid in $(pgrep -u "$PW_USER" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
}

write_job() {
  cat >job.yaml <<YAML
job: {name: sshpw}
agents:
  - id: pw
    command: ["sleep", "1000"]
    health: {none: true, start_period: 0.2s}
    deployment: {target: remote, host: h1, user: $PW_USER, password: "\${SSHPW_SECRET}"}
YAML
}

# The user's live processes on the host, but its sshd session processes (which end on their
# own) and zombies (reaped by whatever init this machine has).
user_processes() {
  ps -u "$PW_USER" -o pid=,stat=,comm= | awk '$3 != "sshd" && $2 !~ /^Z/'
}

# Whether any file under the given paths, or any process's command line, holds the password.
password_found_in() {
  grep -rqsF -f "$FLEET/password" "$@"
}

@test "password authentication: deploy as the user, status, stop; the password is nowhere" {
  write_job
  SSHPW_SECRET=$(cat "$FLEET/password")
  export SSHPW_SECRET
  agentctl deploy job.yaml >deploy.out 2>&1 &
  deploy_pid=$!
  TRACKED_PIDS+=("$deploy_pid")
  # Sample every command line while the deploy runs.
  seen=no
  while kill -0 "$deploy_pid" 2>/dev/null; do
    password_found_in /proc/[0-9]*/cmdline && seen=yes
    sleep 0.02
  done
  wait "$deploy_pid" || { cat deploy.out; false; }
  cat deploy.out
  [ "$seen" = no ]
  [ "$(grep -c "Accepted password for $PW_USER" "$FLEET/h1/sshd.log")" -eq 1 ]

  run agentctl status sshpw -o json
  [ "$status" -eq 0 ]
  echo "$output" >status.json
  [ "$(jq -r '.jobs[0].agents[0].status' status.json)" = running ]
  pid=$(jq -r '.jobs[0].agents[0].pid' status.json)
  # The agent runs on the host as the password user.
  [ "$(ps -o user= -p "$pid")" = "$PW_USER" ]

  run agentctl logs sshpw pw
  [ "$status" -eq 0 ]
  run agentctl stop sshpw
  echo "$output"
  [ "$status" -eq 0 ]
  [ -z "$(user_processes)" ]

  # Neither the output, the database, the logs nor the host's files hold it. Only the launch
  # record has it (owner-only, like the environment values it holds): a later stop or status
  # must reach the host without the variable.
  record=$(find "$STATE/run/sshpw" -name instance.json)
  [ "$(stat -c %a "$record")" = 600 ]
  [ -n "$(find "$STATE" -name state.db)" ]
  [ -z "$(grep -rlsF -f "$FLEET/password" deploy.out status.json "$STATE" "$PW_HOME" "$FLEET/h1/sshd.log" |
    grep -vxF "$record")" ]
}

@test "a wrong password fails with exit 1 and a message naming the host" {
  write_job
  export SSHPW_SECRET='wrong-Pa55word-x9'
  run agentctl deploy job.yaml
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"authentication to h1 ($PW_USER@$A1:22) failed: the password (deployment.password) was rejected"* ]]
  [[ "$output" != *"wrong-Pa55word-x9"* ]]
  run ! grep -rqsF 'wrong-Pa55word-x9' "$STATE"
  [ -z "$(user_processes)" ]
}
