#!/usr/bin/env bats
# The whole life of a job through the real binary, with real agents (the example agent run by
# Debian's python3): deploy a hub and spokes → all healthy → status -o json → each agent's
# environment as it reports it (GET /env) against literal expected values → query → logs →
# an unchanged re-deploy keeps every process → an edited spoke alone is replaced → a spoke
# removed from the file is stopped → stop leaves no agent or shim process.

bats_require_minimum_version 1.5.0
load deploy_helpers

setup() {
  deploy_setup
  read -r PORT_A PORT_B PORT_C PORT_D < <(free_ports 4)
}

teardown() {
  deploy_teardown lifecycle example-check
}

# write_hub_job FILE SPOKE...: the job "lifecycle": `hub` (port PORT_A) connected to the given
# spokes (alpha on PORT_B, beta on PORT_C, gamma on PORT_D), each named "<Id> Agent", all
# running `python3 -m agents.echo_agent` from examples/.
write_hub_job() {
  local file=$1 id port
  shift
  {
    printf 'job:\n  name: lifecycle\n  description: a hub and its spokes\nagents:\n'
    for id in hub "$@"; do
      case $id in
        hub) port=$PORT_A ;;
        alpha) port=$PORT_B ;;
        beta) port=$PORT_C ;;
        gamma) port=$PORT_D ;;
      esac
      printf '  - id: %s\n    type: EchoAgent\n    module: agents.echo_agent\n' "$id"
      printf '    config:\n      port: %s\n      name: %s Agent\n' "$port" "${id^}"
      printf '    deployment:\n      target: localhost\n      workdir: %s/examples\n      python: python3\n' "$SOURCE_DIR"
    done
    printf 'topology:\n  type: hub-spoke\n  hub: hub\n  spokes: [%s]\n' "$(IFS=,; echo "$*")"
    printf 'deployment:\n  strategy: staged\n  timeout: 20\n'
    printf '  health_check: {enabled: true, interval: 1, retries: 3, timeout: 2}\n'
    printf 'execution:\n  entry_point: hub\n'
    printf 'environment:\n  AGENT_REGION: eu-west\n'
  } >"$file"
}

# pid_gone PID: true when PID no longer runs (a bare `! cmd` would not fail a bats test).
pid_gone() {
  if pid_alive "$1"; then
    echo "pid $1 is still alive" >&2
    return 1
  fi
}

# pids FILE: "instance=pid" per line from a status document, sorted by instance.
pids() {
  jq -r '.jobs[0].agents[] | "\(.instance)=\(.pid)"' "$1" | sort
}

@test "deploy, status, environment, query, logs, idempotent re-deploy, replace, remove, stop" {
  write_hub_job job.yaml alpha beta gamma

  # Deploy: spokes first, then the hub, every one healthy.
  run agentctl deploy job.yaml --progress plain
  expect_status 0
  expect_output_contains "Stage 1/2: alpha, beta, gamma" "Stage 2/2: hub" "Deployed lifecycle (revision 1)" \
    "Job lifecycle: running (revision 1, 4/4 up)"

  # status -o json: the documented schema, with literal values.
  status_json v1.json lifecycle
  [ "$STATUS_EXIT" = 0 ]
  [ "$(jq -r '.jobs | length' v1.json)" = 1 ]
  [ "$(jq -r '.jobs[0] | "\(.name) \(.status) \(.revision)"' v1.json)" = "lifecycle running 1" ]
  run jq -r '.jobs[0].agents[] | "\(.id) \(.instance) \(.host) \(.target) \(.status) \(.url) \(.container) \(.restarts) \(.exit_status)"' v1.json
  [ "$output" = "alpha alpha 127.0.0.1 localhost healthy http://127.0.0.1:$PORT_B null 0 null
beta beta 127.0.0.1 localhost healthy http://127.0.0.1:$PORT_C null 0 null
gamma gamma 127.0.0.1 localhost healthy http://127.0.0.1:$PORT_D null 0 null
hub hub 127.0.0.1 localhost healthy http://127.0.0.1:$PORT_A null 0 null" ]
  [ "$(jq -r '[.jobs[0].agents[].pid | type] | unique | join(",")' v1.json)" = number ]
  local id
  for id in hub alpha beta gamma; do
    pid_alive "$(status_agent v1.json lifecycle "$id" pid)"
    [ "$(agent_count "$id")" = 1 ]
  done
  [ "$(count_role shim)" = 4 ]
  run agentctl status lifecycle --check
  expect_status 0

  # The environment each agent was started with.
  [ "$(env_of "$PORT_A" AGENT_ID)" = hub ]
  [ "$(env_of "$PORT_A" AGENT_JOB)" = lifecycle ]
  [ "$(env_of "$PORT_A" AGENT_INSTANCE)" = hub ]
  [ "$(env_of "$PORT_A" AGENT_NAME)" = "Hub Agent" ]
  [ "$(env_of "$PORT_A" AGENT_PORT)" = "$PORT_A" ]
  [ "$(env_of "$PORT_A" AGENT_URL)" = "http://127.0.0.1:$PORT_A" ]
  [ "$(env_of "$PORT_A" CONNECTED_AGENTS)" = "http://127.0.0.1:$PORT_B,http://127.0.0.1:$PORT_C,http://127.0.0.1:$PORT_D" ]
  [ "$(env_of "$PORT_A" AGENT_PEER_ALPHA_URL)" = "http://127.0.0.1:$PORT_B" ]
  [ "$(env_of "$PORT_A" AGENT_PEER_BETA_URL)" = "http://127.0.0.1:$PORT_C" ]
  [ "$(env_of "$PORT_A" AGENT_PEER_GAMMA_URL)" = "http://127.0.0.1:$PORT_D" ]
  [ "$(env_of "$PORT_A" AGENT_REGION)" = eu-west ]
  local job_id
  job_id=$(env_of "$PORT_A" JOB_ID)
  [[ $job_id =~ ^lifecycle-20[0-9]{12}$ ]] || {
    echo "JOB_ID is $job_id" >&2
    false
  }
  [ "$(env_of "$PORT_B" AGENT_ID)" = alpha ]
  [ "$(env_of "$PORT_B" AGENT_NAME)" = "Alpha Agent" ]
  [ "$(env_of "$PORT_B" AGENT_URL)" = "http://127.0.0.1:$PORT_B" ]
  [ "$(env_of "$PORT_B" CONNECTED_AGENTS)" = "<unset>" ]
  [ "$(env_of "$PORT_B" AGENT_PEER_HUB_URL)" = "<unset>" ]
  [ "$(env_of "$PORT_B" AGENT_REGION)" = eu-west ]
  [ "$(env_of "$PORT_B" JOB_ID)" = "$job_id" ]
  [ "$(env_of "$PORT_C" AGENT_ID)" = beta ]
  [ "$(env_of "$PORT_C" AGENT_NAME)" = "Beta Agent" ]
  [ "$(env_of "$PORT_D" AGENT_ID)" = gamma ]
  [ "$(env_of "$PORT_D" AGENT_NAME)" = "Gamma Agent" ]

  # query goes to the entry point, which asks every spoke.
  run agentctl query lifecycle "where is the sun"
  expect_status 0
  [ "$output" = "hub received 'where is the sun' <- [alpha: alpha received 'where is the sun'; beta: beta received 'where is the sun'; gamma: gamma received 'where is the sun']" ]
  run agentctl query lifecycle "just you" --agent beta
  expect_status 0
  [ "$output" = "beta received 'just you'" ]

  # logs: the request lines of every agent, each prefixed by its instance.
  run agentctl logs lifecycle
  expect_status 0
  grep -Eq '^hub \| .*"POST /query HTTP/1\.1" 200' <<<"$output"
  grep -Eq '^alpha \| .*"POST /query HTTP/1\.1" 200' <<<"$output"
  grep -Eq '^gamma \| .*"POST /query HTTP/1\.1" 200' <<<"$output"
  grep -Eq '^beta \| .*beta listening on http://127\.0\.0\.1:'"$PORT_C" <<<"$output"
  [ -z "$(grep -Ev '^(hub|alpha|beta|gamma) \| ' <<<"$output")" ]
  run agentctl logs lifecycle alpha --tail 1
  expect_status 0
  [ "${#lines[@]}" = 1 ]
  [[ ${lines[0]} == "alpha | "* ]]

  # An unchanged re-deploy keeps every process.
  run agentctl deploy job.yaml --progress plain
  expect_status 0
  expect_output_contains "hub keeping" "alpha keeping" "Deployed lifecycle (revision 2)"
  status_json v2.json lifecycle
  [ "$(pids v2.json)" = "$(pids v1.json)" ]

  # Edit one spoke: only it is replaced.
  sed -i 's/name: Beta Agent/name: Beta Agent v2/' job.yaml
  run agentctl plan job.yaml -o json
  expect_status 0
  [ "$(jq -r '.changes[] | "\(.agent)=\(.action)"' <<<"$output" | sort | paste -sd' ')" = \
    "alpha=keep beta=replace gamma=keep hub=keep" ]
  run agentctl deploy job.yaml
  expect_status 0
  status_json v3.json lifecycle
  [ "$(status_agent v3.json lifecycle beta status)" = healthy ]
  [ "$(status_agent v3.json lifecycle beta pid)" != "$(status_agent v1.json lifecycle beta pid)" ]
  for id in hub alpha gamma; do
    [ "$(status_agent v3.json lifecycle "$id" pid)" = "$(status_agent v1.json lifecycle "$id" pid)" ]
  done
  pid_gone "$(status_agent v1.json lifecycle beta pid)"
  [ "$(env_of "$PORT_C" AGENT_NAME)" = "Beta Agent v2" ]
  [ "$(agent_count beta)" = 1 ]

  # Remove a spoke: it is stopped and forgotten; the hub, whose peers changed, is replaced.
  write_hub_job job.yaml alpha beta
  sed -i 's/name: Beta Agent/name: Beta Agent v2/' job.yaml
  run agentctl deploy job.yaml
  expect_status 0
  status_json v4.json lifecycle
  [ "$(jq -r '[.jobs[0].agents[].instance] | join(",")' v4.json)" = "alpha,beta,hub" ]
  pid_gone "$(status_agent v1.json lifecycle gamma pid)"
  port_closed "$PORT_D"
  [ "$(agent_count gamma)" = 0 ]
  [ "$(status_agent v4.json lifecycle alpha pid)" = "$(status_agent v1.json lifecycle alpha pid)" ]
  [ "$(status_agent v4.json lifecycle beta pid)" = "$(status_agent v3.json lifecycle beta pid)" ]
  [ "$(env_of "$PORT_A" CONNECTED_AGENTS)" = "http://127.0.0.1:$PORT_B,http://127.0.0.1:$PORT_C" ]
  [ "$(count_role shim)" = 3 ]

  # Stop: nothing of the job is left.
  local all_pids
  all_pids=$(cat v1.json v3.json v4.json | jq -r '.jobs[0].agents[].pid' | sort -u)
  run agentctl stop lifecycle
  expect_status 0
  expect_no_agents_left 10
  [ -z "$(pgrep -f -- "$STATE" || true)" ]
  local pid
  for pid in $all_pids; do
    pid_gone "$pid"
  done
  for port in "$PORT_A" "$PORT_B" "$PORT_C"; do port_closed "$port"; done
  status_json stopped.json lifecycle
  [ "$(jq -r '.jobs[0].status' stopped.json)" = stopped ]
  [ "$(jq -r '[.jobs[0].agents[] | "\(.status):\(.pid)"] | unique | join(",")' stopped.json)" = "stopped:null" ]
}

@test "the example job deploys as the README shows, and stops" {
  # examples/hub-spoke.yaml on its own ports (18000-18002), under a private name, as
  # scripts/run-example.sh runs it.
  for port in 18000 18001 18002; do
    port_closed "$port" || skip "port $port is in use on this machine"
  done
  run agentctl deploy "$SOURCE_DIR/examples/hub-spoke.yaml" --name example-check
  expect_status 0
  expect_output_contains "Job example-check: running (revision 1, 3/3 up)"
  run agentctl query example-check "hello"
  expect_status 0
  [ "$output" = "controller received 'hello' <- [forecaster: forecaster received 'hello'; router: router received 'hello']" ]
  run agentctl stop example-check
  expect_status 0
  expect_no_agents_left 10
}
