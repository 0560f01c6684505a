#!/usr/bin/env bats
# Remote agents over real sshd: a job mixing a local hub with spokes on namespace hosts (and on
# the loopback sshd) → deploy → all healthy → status -o json → a remote agent's environment
# (GET /env) against literal values → logs → an unchanged re-deploy keeps the remote pids →
# files shipped and updated on restart → stop leaves nothing on any host. One authentication per host.

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
  read -r PORT_HUB PORT_LO < <(free_ports 2)
  A1=$(fleet_addr h1)
  A2=$(fleet_addr h2)
  mkdir -p "$BATS_TEST_TMPDIR/ship"
  printf 'first version\n' >"$BATS_TEST_TMPDIR/ship/notes.txt"
}

teardown() {
  fleet_teardown sshmix
}

# The job: hub (local) connects to alpha (h1), beta (h2) and gamma (the loopback sshd).
write_mix_job() {
  cat >"$1" <<YAML
job:
  name: sshmix
agents:
  - id: hub
    module: agents.echo_agent
    config: {port: $PORT_HUB, name: Hub}
    deployment: {target: localhost, workdir: $SOURCE_DIR/examples, python: /usr/bin/python3}
  - id: alpha
    module: agents.echo_agent
    config: {port: 19101, name: Alpha Agent}
    deployment:
      target: remote
      host: h1
      workdir: $SOURCE_DIR/examples
      python: /usr/bin/python3
      environment: {AGENT_HOST: 0.0.0.0, API_TOKEN: "\${SSHMIX_TOKEN}"}
      files: [{src: ship/notes.txt, dest: $BATS_TEST_TMPDIR/remote/notes.txt, mode: "0640"}]
  - id: beta
    module: agents.echo_agent
    config: {port: 19102, name: Beta Agent}
    deployment: {target: remote, host: h2, workdir: $SOURCE_DIR/examples, python: /usr/bin/python3,
                 environment: {AGENT_HOST: 0.0.0.0}}
  - id: gamma
    module: agents.echo_agent
    config: {port: $PORT_LO, name: Gamma Agent}
    deployment: {target: remote, host: lo, workdir: $SOURCE_DIR/examples, python: /usr/bin/python3}
topology: {type: hub-spoke, hub: hub, spokes: [alpha, beta, gamma]}
deployment:
  timeout: 30
  health_check: {enabled: true, interval: 1, retries: 3, timeout: 2}
environment: {AGENT_REGION: eu-west}
YAML
}

@test "mixed local and remote job: deploy, status, env contract, logs, re-deploy, files, stop" {
  write_mix_job job.yaml
  export SSHMIX_TOKEN='s3cr3t-token-value'

  run agentctl deploy job.yaml
  echo "$output"
  [ "$status" -eq 0 ]

  [ -n "$(fleet_remote_processes)" ]
  # One authentication per host for the whole deploy.
  [ "$(fleet_auth_count h1)" -eq 1 ]
  [ "$(fleet_auth_count h2)" -eq 1 ]
  [ "$(fleet_auth_count lo)" -eq 1 ]

  run agentctl status sshmix -o json
  [ "$status" -eq 0 ]
  echo "$output" >status1.json
  [ "$(jq -r '.jobs[0].status' status1.json)" = running ]
  [ "$(jq -r '[.jobs[0].agents[].status] | unique | join(",")' status1.json)" = healthy ]
  [ "$(jq -r '.jobs[0].agents[] | select(.id == "alpha") | .target' status1.json)" = remote ]
  [ "$(jq -r '.jobs[0].agents[] | select(.id == "alpha") | .host' status1.json)" = h1 ]
  [ "$(jq -r '.jobs[0].agents[] | select(.id == "alpha") | .url' status1.json)" = "http://$A1:19101" ]
  [ "$(jq -r '.jobs[0].agents[] | select(.id == "gamma") | .url' status1.json)" = "http://127.0.0.1:$PORT_LO" ]

  # The environment contract as the remote agent saw it.
  curl -sf "http://$A1:19101/env" >env.json
  [ "$(jq -r .AGENT_ID env.json)" = alpha ]
  [ "$(jq -r .AGENT_NAME env.json)" = "Alpha Agent" ]
  [ "$(jq -r .AGENT_PORT env.json)" = 19101 ]
  [ "$(jq -r .AGENT_JOB env.json)" = sshmix ]
  [ "$(jq -r .AGENT_INSTANCE env.json)" = alpha ]
  [ "$(jq -r .AGENT_URL env.json)" = "http://$A1:19101" ]
  [ "$(jq -r .AGENT_REGION env.json)" = eu-west ]
  [ "$(jq -r .AGENT_HOST env.json)" = 0.0.0.0 ]
  [[ "$(jq -r .JOB_ID env.json)" =~ ^sshmix-[0-9]{14}$ ]]
  # The hub got every spoke's URL.
  curl -sf "http://127.0.0.1:$PORT_HUB/env" >hub.json
  [ "$(jq -r .AGENT_PEER_ALPHA_URL hub.json)" = "http://$A1:19101" ]
  [ "$(jq -r .AGENT_PEER_BETA_URL hub.json)" = "http://$A2:19102" ]

  # The secret is in the remote env file (0600), nowhere on a command line or in the state.
  envfile=$(find "$FLEET/h1/state/agentctl/sshmix/alpha" -name env)
  [ "$(stat -c %a "$envfile")" = 600 ]
  grep -q "API_TOKEN='s3cr3t-token-value'" "$envfile"
  run ! grep -ras 's3cr3t-token-value' /proc/[0-9]*/cmdline
  run ! grep -qs 's3cr3t-token-value' "$STATE/state.db"

  # The shipped file, with its mode.
  [ "$(cat "$BATS_TEST_TMPDIR/remote/notes.txt")" = "first version" ]
  [ "$(stat -c %a "$BATS_TEST_TMPDIR/remote/notes.txt")" = 640 ]

  # Logs of a remote agent come from its host.
  curl -sf "http://$A1:19101/health" >/dev/null
  run agentctl logs sshmix alpha
  [ "$status" -eq 0 ]
  [[ "$output" == *"GET /health"* ]] || [[ "$output" == *"alpha"* ]]

  # logs -f shows new remote lines as the agent writes them.
  # The binary itself (not the agentctl function's subshell), so that the kill below ends it
  # and its remote shell with it.
  "$AGENTCTL" --state-dir "$STATE" logs sshmix alpha -f >follow.txt 2>&1 &
  TRACKED_PIDS+=($!)
  sleep 1.5
  curl -s "http://$A1:19101/follow-me-4242" >/dev/null
  for i in $(seq 1 100); do grep -q "follow-me-4242" follow.txt && break; sleep 0.1; done
  grep -q "follow-me-4242" follow.txt
  kill "${TRACKED_PIDS[-1]}"
  wait "${TRACKED_PIDS[-1]}" || true

  # An unchanged re-deploy keeps every remote process (and authenticates once more per host).
  run agentctl deploy job.yaml
  [ "$status" -eq 0 ]
  agentctl status sshmix -o json >status2.json
  [ "$(jq -c '[.jobs[0].agents[] | [.instance, .pid]]' status1.json)" = \
    "$(jq -c '[.jobs[0].agents[] | [.instance, .pid]]' status2.json)" ]

  # restart of one remote agent: a new process, healthy again.
  beta_pid=$(jq -r '.jobs[0].agents[] | select(.id == "beta") | .pid' status2.json)
  run agentctl restart sshmix beta
  echo "$output"
  [ "$status" -eq 0 ]
  agentctl status sshmix -o json >status3.json
  [ "$(jq -r '.jobs[0].agents[] | select(.id == "beta") | .status' status3.json)" = healthy ]
  [ "$(jq -r '.jobs[0].agents[] | select(.id == "beta") | .pid' status3.json)" != "$beta_pid" ]

  # Files: a restart with the same content leaves the host's copy alone (same inode); changed
  # content is shipped (renamed into place: a new inode) before the agent starts again.
  inode=$(stat -c %i "$BATS_TEST_TMPDIR/remote/notes.txt")
  run agentctl restart sshmix alpha
  [ "$status" -eq 0 ]
  [ "$(stat -c %i "$BATS_TEST_TMPDIR/remote/notes.txt")" = "$inode" ]
  printf 'second version\n' >"$BATS_TEST_TMPDIR/ship/notes.txt"
  run agentctl restart sshmix alpha
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(cat "$BATS_TEST_TMPDIR/remote/notes.txt")" = "second version" ]
  [ "$(stat -c %i "$BATS_TEST_TMPDIR/remote/notes.txt")" != "$inode" ]
  agentctl status sshmix -o json >status1.json

  alpha_pid=$(jq -r '.jobs[0].agents[] | select(.id == "alpha") | .pid' status1.json)
  run agentctl stop sshmix
  echo "$output"
  [ "$status" -eq 0 ]
  run ! pid_alive "$alpha_pid"
  [ -z "$(fleet_remote_processes)" ]
  run agentctl status sshmix -o json
  [ "$(echo "$output" | jq -r '[.jobs[0].agents[].status] | unique | join(",")')" = stopped ]
}
