#!/usr/bin/env bats
# The verbs that manage a deployed job, through the real binary with real agents: inspect
# (secrets masked), list, restart, stop of one agent, status --check, not-found exits, cleanup,
# deploy --dry-run, the `start` alias, logs options and query failures (DESIGN.md §6).

bats_require_minimum_version 1.5.0
load deploy_helpers

setup() {
  deploy_setup
  read -r PORT_A PORT_B < <(free_ports 2)
  export VERBS_SECRET=very-secret-value-17
  cat >job.yaml <<YAML
job:
  name: verbs
agents:
  - id: front
    module: agents.echo_agent
    config: {port: $PORT_A, name: Front}
    deployment:
      target: localhost
      workdir: $SOURCE_DIR/examples
      environment:
        AGENT_API_KEY: "\${VERBS_SECRET}"
        AGENT_MODE: plain-text
  - id: back
    module: agents.echo_agent
    config: {port: $PORT_B, name: Back}
    deployment: {target: localhost, workdir: $SOURCE_DIR/examples}
topology:
  type: pipeline
  stages: [front, back]
execution:
  entry_point: front
YAML
}

teardown() {
  deploy_teardown verbs
}

deploy_job() {
  run agentctl deploy job.yaml -q
  expect_status 0
}

@test "inspect shows the command, workdir, peers and files, and masks a \${VAR} secret as ***" {
  deploy_job
  # The secret did reach the agent.
  [ "$(env_of "$PORT_A" AGENT_API_KEY)" = "$VERBS_SECRET" ]

  run agentctl inspect verbs front
  expect_status 0
  expect_output_contains "Instance front" "Command:" "python3 -m agents.echo_agent" \
    "Workdir:" "$SOURCE_DIR/examples" "AGENT_API_KEY=***" "AGENT_MODE=plain-text" \
    "back  http://127.0.0.1:$PORT_B" "$STATE/logs/verbs/front.log"
  [[ $output != *"$VERBS_SECRET"* ]]
  [[ $output != *"Instance back"* ]]

  run agentctl inspect verbs -o json
  expect_status 0
  [[ $output != *"$VERBS_SECRET"* ]]
  [ "$(jq -r '.instances | length' <<<"$output")" = 2 ]
  [ "$(jq -r '.instances[] | select(.id == "front") | .environment.AGENT_API_KEY' <<<"$output")" = '***' ]
  [ "$(jq -r '.instances[] | select(.id == "front") | .environment.AGENT_MODE' <<<"$output")" = plain-text ]
  [ "$(jq -r '.instances[] | select(.id == "front") | .command | join(" ")' <<<"$output")" = "python3 -m agents.echo_agent" ]
  [ "$(jq -r '.instances[] | select(.id == "front") | .peers[0].url' <<<"$output")" = "http://127.0.0.1:$PORT_B" ]
  [ "$(jq -r '.instances[] | select(.id == "front") | .files.log' <<<"$output")" = "$STATE/logs/verbs/front.log" ]
  [ "$(jq -r '.instances[] | select(.id == "back") | .peers | length' <<<"$output")" = 0 ]
  [ "$(jq -r '.instances[] | select(.id == "back") | .pids.agent' <<<"$output")" = "$(pid_of verbs back)" ]

  run agentctl inspect verbs nothere
  expect_status 4
  expect_output_contains "nothere"
}

@test "list shows running jobs; stopped ones only with --all" {
  run agentctl list
  expect_status 0
  expect_output_contains "No running jobs"
  deploy_job

  run agentctl list
  expect_status 0
  [[ ${lines[0]} =~ ^NAME\ +STATUS\ +REVISION\ +AGENTS\ +FILE\ +UPDATED$ ]]
  [[ ${lines[1]} =~ ^verbs\ +running\ +1\ +2/2\ +$PWD/job\.yaml\ +[0-9]+s\ ago$ ]]

  run agentctl list -o json
  expect_status 0
  [ "$(jq -c '.jobs[0] | [.name, .status, .revision, .agents, .up, .file]' <<<"$output")" = \
    "[\"verbs\",\"running\",1,2,2,\"$PWD/job.yaml\"]" ]

  run agentctl stop verbs -q
  expect_status 0
  run agentctl list
  expect_status 0
  [[ $output != *verbs* ]]
  run agentctl list --all
  expect_status 0
  [[ ${lines[1]} =~ ^verbs\ +stopped\ +1\ +0/2 ]]
  run agentctl list --all --limit 1 -o json
  [ "$(jq -r '.jobs | length' <<<"$output")" = 1 ]
}

@test "restart gives an agent a new process and it is healthy again; the others keep theirs" {
  deploy_job
  local front back
  front=$(pid_of verbs front)
  back=$(pid_of verbs back)
  run agentctl restart verbs front --progress plain
  expect_status 0
  expect_output_contains "front stopping" "front ready"
  [ "$(pid_of verbs front)" != "$front" ]
  [ "$(pid_of verbs front)" != null ]
  [ "$(pid_of verbs back)" = "$back" ]
  [ "$(env_of "$PORT_A" AGENT_API_KEY)" = "$VERBS_SECRET" ]
  run agentctl status verbs --check
  expect_status 0
}

@test "stop of one agent; status --check exits 1 until it is back" {
  deploy_job
  run agentctl status verbs --check
  expect_status 0
  run agentctl stop verbs back
  expect_status 0
  port_closed "$PORT_B"
  [ "$(agent_count back)" = 0 ]
  [ "$(agent_count front)" = 1 ]

  status_json partial.json verbs
  [ "$(jq -r '.jobs[0].status' partial.json)" = degraded ]
  [ "$(status_agent partial.json verbs back status)" = stopped ]
  [ "$(status_agent partial.json verbs back pid)" = null ]
  [ "$(status_agent partial.json verbs front status)" = healthy ]
  run agentctl status verbs --check
  expect_status 1
  run agentctl status --check -q
  expect_status 1
  [ -z "$output" ]
  run agentctl status verbs -o wide
  expect_status 0
  expect_output_contains "PID" "RESTARTS" "EXIT" "LAST HEALTH"

  # A re-deploy brings it back (it is not running, so it is replaced).
  run agentctl deploy job.yaml -q
  expect_status 0
  run agentctl status verbs --check
  expect_status 0
}

@test "an unknown job or agent exits 4 on every verb" {
  run agentctl status nosuch
  expect_status 4
  expect_output_contains "no job named 'nosuch'"
  deploy_job
  run agentctl status verb
  expect_status 4
  expect_output_contains "did you mean 'verbs'"
  local verb
  for verb in inspect logs stop restart; do
    run agentctl "$verb" nosuch
    expect_status 4
  done
  run agentctl query nosuch hello
  expect_status 4
  run agentctl cleanup nosuch
  expect_status 4
  run agentctl stop verbs nobody
  expect_status 4
  run agentctl logs verbs --agent nobody
  expect_status 4
  run agentctl query verbs hello --agent nobody
  expect_status 4
  # Nothing was stopped by the refused commands.
  run agentctl status verbs --check
  expect_status 0
}

@test "cleanup refuses a job with live instances, then forgets it once stopped" {
  deploy_job
  run agentctl cleanup verbs
  expect_status 1
  expect_output_contains "front (healthy)" "back (healthy)"
  [ "$(agent_count front)" = 1 ]
  run agentctl cleanup
  expect_status 0
  expect_output_contains "Nothing to clean up"

  run agentctl stop verbs -q
  expect_status 0
  [ -e "$STATE/logs/verbs/front.log" ]
  run agentctl cleanup --dry-run
  expect_status 0
  [ "$output" = "Would forget verbs" ]
  run agentctl list --all -o json
  [ "$(jq -r '.jobs | length' <<<"$output")" = 1 ]

  run agentctl cleanup verbs --status failed
  expect_status 1
  run agentctl cleanup --status stopped
  expect_status 0
  [ "$output" = "Forgot verbs" ]
  run agentctl status verbs
  expect_status 4
  run agentctl list --all -o json
  [ "$(jq -r '.jobs | length' <<<"$output")" = 0 ]
  [ ! -e "$STATE/logs/verbs" ]
  [ ! -e "$STATE/run/verbs" ]
}

@test "cleanup --no-logs keeps the logs and --older-than spares recent jobs" {
  deploy_job
  run agentctl stop verbs -q
  run agentctl cleanup --older-than 1h
  expect_status 0
  expect_output_contains "Nothing to clean up"
  run agentctl cleanup verbs --no-logs
  expect_status 0
  [ -e "$STATE/logs/verbs/front.log" ]
  [ ! -e "$STATE/run/verbs" ]
}

@test "deploy --dry-run prints the changes and commands and writes no state" {
  run agentctl deploy job.yaml --dry-run
  expect_status 0
  expect_output_contains "dry run" "create" "front" "python3 -m agents.echo_agent"
  [ ! -e "$STATE" ]
  port_closed "$PORT_A"
  [ "$(count_role agent)" = 0 ]

  run agentctl deploy job.yaml --dry-run -o json
  expect_status 0
  [ "$(jq -r '[.changes[] | "\(.agent)=\(.action)"] | join(" ")' <<<"$output")" = "front=create back=create" ]
  [ "$(jq -r '[.waves[][].instance] | join(" ")' <<<"$output")" = "front back" ]
  [ ! -e "$STATE" ]

  # Against a deployed job: the diff, and still nothing touched.
  deploy_job
  local before
  before=$(sha256sum "$STATE/state.db" | cut -d' ' -f1)
  sed -i 's/name: Front/name: Front2/' job.yaml
  run agentctl deploy job.yaml --dry-run -o json
  expect_status 0
  [ "$(jq -r '[.changes[] | "\(.agent)=\(.action)"] | join(" ")' <<<"$output")" = "front=replace back=keep" ]
  [[ $output != *"$VERBS_SECRET"* ]]
  [ "$(sha256sum "$STATE/state.db" | cut -d' ' -f1)" = "$before" ]
  [ "$(env_of "$PORT_A" AGENT_NAME)" = Front ]
}

@test "start is an alias of deploy" {
  run agentctl start job.yaml
  expect_status 0
  expect_output_contains "Job verbs: running (revision 1, 2/2 up)"
  run agentctl start job.yaml --name verbs-two --dry-run -o json
  expect_status 0
  [ "$(jq -r .job <<<"$output")" = verbs-two ]
}

@test "logs: --tail, --timestamps, --since, and -f ends with 0 on SIGINT" {
  deploy_job
  run agentctl query verbs "one"
  expect_status 0
  run agentctl logs verbs front --tail 2 --timestamps
  expect_status 0
  [ "${#lines[@]}" = 2 ]
  [[ ${lines[0]} =~ ^front\ \|\ 20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{6}Z\  ]]
  run agentctl logs verbs --since 1h
  expect_status 0
  grep -q '^back | ' <<<"$output"
  run agentctl logs verbs --since 2999-01-01T00:00:00Z
  expect_status 0
  [ -z "$output" ]
  run agentctl logs verbs --since yesterday
  expect_status 2

  agentctl_bg follow.out logs verbs --agent back -f --tail 0
  local follower=$BG_PID
  sleep 1
  run agentctl query verbs "two"
  expect_status 0
  wait_until 10 grep -q 'POST /query' follow.out
  kill -INT "$follower"
  wait_pid "$follower" 10
  [ "$WAIT_STATUS" = 0 ]
  [ -z "$(grep -v '^back | ' follow.out)" ]
}

@test "query: --raw prints the body, a dead agent is exit 1 with a message" {
  deploy_job
  run agentctl query verbs "hi" --raw --session s-1
  expect_status 0
  [ "$(jq -r .session_id <<<"$output")" = s-1 ]
  [ "$(jq -r .id <<<"$output")" = front ]
  run agentctl stop verbs front -q
  run agentctl query verbs "hi"
  expect_status 1
  expect_output_contains "query" "127.0.0.1:$PORT_A/query"
}
