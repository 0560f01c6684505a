#!/usr/bin/env bats
# Hostile input and hostile hosts over real sshd: arguments and environment values holding
# quotes, $(...), backticks, ;, newlines and non-ASCII arrive byte-exact and run nothing; a
# secret never shows in any command line during the deploy; a SIGSTOPped sshd and a TCP
# listener that never speaks each fail within the configured timeout, naming the host.

bats_require_minimum_version 1.5.0
load ssh_fixture

setup_file() {
  fleet_require
  fleet_up 2
}

teardown_file() {
  fleet_down
}

setup() {
  fleet_setup
  OUT="$BATS_TEST_TMPDIR/out"
  mkdir -p "$OUT"
}

teardown() {
  [ -n "${STOPPED_SSHD:-}" ] && kill -CONT "$STOPPED_SSHD" 2>/dev/null
  fleet_teardown sshhostile
}

@test "arguments and values with quotes, \$(), backticks, ;, newlines and non-ASCII arrive byte-exact" {
  # The hostile text, as YAML escapes: ' " $(touch PWNED) `touch PWNED2` ; newline, ü ✓.
  hostile="it's \\\"q\\\" \$(touch $OUT/PWNED) \`touch $OUT/PWNED2\` ; echo x\\nline2 ü ✓"
  cat >job.yaml <<YAML
job: {name: sshhostile}
agents:
  - id: odd
    command: ["/bin/sh", "-c", "printf '%s\\\\0' \"\$@\" > $OUT/argv; printf '%s' \"\$ODD_VALUE\" > $OUT/env; printf '%s' \"\$SECRET_VALUE\" > $OUT/secret; exec sleep 300", "sh", "$hostile", "plain"]
    health: {none: true, start_period: 0s}
    deployment:
      target: remote
      host: h1
      environment: {ODD_VALUE: "$hostile", SECRET_VALUE: "\${HOSTILE_SECRET}"}
YAML
  export HOSTILE_SECRET='top-secret-4711'
  # Sample every process's command line while the deploy runs.
  (
    while :; do
      grep -las 'top-secret-4711' /proc/[0-9]*/cmdline >>"$OUT/seen" 2>/dev/null || true
      sleep 0.01
    done
  ) &
  TRACKED_PIDS+=($!)
  run agentctl deploy job.yaml
  kill "${TRACKED_PIDS[-1]}"
  echo "$output"
  [ "$status" -eq 0 ]
  for i in $(seq 1 100); do [ -s "$OUT/secret" ] && break; sleep 0.05; done

  expected=$(printf 'it'"'"'s "q" $(touch %s/PWNED) `touch %s/PWNED2` ; echo x\nline2 ü ✓' "$OUT" "$OUT")
  printf '%s\0%s\0' "$expected" plain >"$OUT/argv.expected"
  cmp "$OUT/argv" "$OUT/argv.expected"
  [ "$(cat "$OUT/env")" = "$expected" ]
  [ "$(cat "$OUT/secret")" = top-secret-4711 ]
  [ ! -e "$OUT/PWNED" ]
  [ ! -e "$OUT/PWNED2" ]
  [ ! -s "$OUT/seen" ]
  run agentctl stop sshhostile
  [ "$status" -eq 0 ]
}

write_one_agent_job() {
  cat >job.yaml <<YAML
job: {name: sshhostile}
agents:
  - id: solo
    command: ["sleep", "300"]
    health: {none: true, start_period: 0s}
    deployment: {target: remote, host: $1}
deployment:
  ssh: {timeout: 2}
YAML
  if [ -n "${2:-}" ]; then
    sed -i "s|^deployment:|  - id: mate\n    command: [\"sleep\", \"300\"]\n    health: {none: true, start_period: 0s}\n    deployment: {target: remote, host: $2}\ndeployment:|" job.yaml
  fi
}

@test "a SIGSTOPped sshd fails the deploy within the ssh timeout, naming the host" {
  STOPPED_SSHD=$("$FLEET_SCRIPT" pid "$FLEET" h2)
  kill -STOP "$STOPPED_SSHD"
  write_one_agent_job h2 h1
  started=$(now_ms)
  run agentctl deploy job.yaml
  elapsed=$(($(now_ms) - started))
  echo "$output (${elapsed} ms)"
  [ "$status" -eq 1 ]
  [[ "$output" == *"timed out after 2s connecting to h2 (root@$(fleet_addr h2):22)"* ]]
  [ "$elapsed" -lt 15000 ]
  [ -z "$(fleet_remote_processes)" ]
  # Past preflight (which refuses the unreachable host before anything starts), the start on h2
  # times out. --on-failure rollback (the default): the agent that did start on h1 is stopped again.
  run agentctl deploy --skip-preflight job.yaml
  [ "$status" -eq 1 ]
  [[ "$output" == *"timed out after 2s connecting to h2 (root@$(fleet_addr h2):22)"* ]]
  [ -z "$(fleet_remote_processes)" ]
  # --on-failure keep: it stays.
  run agentctl deploy --skip-preflight --on-failure keep job.yaml
  [ "$status" -eq 1 ]
  [ "$(fleet_remote_processes | wc -l)" -eq 2 ]
}

@test "a TCP listener that never speaks fails within the ssh timeout, naming the host" {
  read -r SILENT_PORT < <(free_ports 1)
  /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' "$SILENT_PORT" &
  TRACKED_PIDS+=($!)
  cp "$FLEET/ssh_config" ssh_config
  printf 'Host silent\n  HostName 127.0.0.1\n  Port %s\n  User root\n' "$SILENT_PORT" >>ssh_config
  export AGENTCTL_SSH_CONFIG="$PWD/ssh_config"
  for i in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$SILENT_PORT") 2>/dev/null && break; sleep 0.02; done
  write_one_agent_job silent
  started=$(now_ms)
  run agentctl deploy job.yaml
  elapsed=$(($(now_ms) - started))
  echo "$output (${elapsed} ms)"
  [ "$status" -eq 1 ]
  [[ "$output" == *"timed out after 2s connecting to silent (root@127.0.0.1:$SILENT_PORT)"* ]]
  [ "$elapsed" -lt 15000 ]
}

@test "status shows the instances of a host that stopped answering as unknown, within the timeout" {
  write_one_agent_job h2
  run agentctl deploy job.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  STOPPED_SSHD=$("$FLEET_SCRIPT" pid "$FLEET" h2)
  kill -STOP "$STOPPED_SSHD"
  started=$(now_ms)
  run agentctl status sshhostile -o json
  elapsed=$(($(now_ms) - started))
  echo "$output (${elapsed} ms)"
  [ "$(echo "$output" | jq -r '.jobs[0].agents[0].status')" = unknown ]
  [ "$elapsed" -lt 15000 ]
  kill -CONT "$STOPPED_SSHD"
  STOPPED_SSHD=
  run agentctl stop sshhostile
  [ "$status" -eq 0 ]
}

@test "an encrypted key without ssh-agent is a clear error, never a prompt" {
  ssh-keygen -q -t ed25519 -N 'a passphrase' -f "$BATS_TEST_TMPDIR/locked_key"
  write_one_agent_job h1
  sed -i "s|deployment: {target: remote, host: h1}|deployment: {target: remote, host: h1, ssh_key: $BATS_TEST_TMPDIR/locked_key}|" job.yaml
  unset SSH_AUTH_SOCK
  run timeout 20 "$AGENTCTL" --state-dir "$STATE" deploy job.yaml </dev/null
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"authentication to h1 (root@$(fleet_addr h1):22) failed: cannot load $BATS_TEST_TMPDIR/locked_key without a passphrase (encrypted?); add it to ssh-agent (ssh-add)"* ]]
}
