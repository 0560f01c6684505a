#!/usr/bin/env bats
# Container agents on the real Docker engine: a 3-stage pipeline of busybox-httpd containers
# → ready → from inside a container its peer answers at the URL agentctl gave it → status →
# inspect → logs → an unchanged re-deploy keeps the containers → stop leaves no container or
# network of the job.

bats_require_minimum_version 1.5.0
load docker_helpers

setup_file() { docker_setup_file; }
teardown_file() { docker_teardown_file; }
setup() {
  docker_setup
  read -r PORT_A PORT_B PORT_C < <(free_ports 3)
}
teardown() { docker_teardown; }

write_pipeline() {
  {
    printf 'job:\n  name: %s\nagents:\n' "$JOB"
    container_agent fetch "$PORT_A" | sed 's|^    config:|    resources: { cpu: 0.5, memory: 64M }\n    config:|'
    container_agent parse "$PORT_B"
    # store's health check runs inside its container (docker exec).
    container_agent store "$PORT_C" | sed 's|health: { http: /health,|health: { exec: [/bin/busybox, wget, -qO-, "http://127.0.0.1:8080/health"],|'
    printf 'topology:\n  type: pipeline\n  stages: [fetch, parse, store]\n'
    printf 'deployment:\n  timeout: 30\n'
  } >job.yaml
}

@test "pipeline of containers: ready, peer URLs work inside the network, status, logs, keep, stop" {
  write_pipeline
  run "$AGENTCTL" --state-dir "$STATE" deploy job.yaml --progress plain
  expect_status 0

  # Names, labels and the job network as DESIGN.md §4 says.
  run "$DOCKER" ps --filter "label=agentctl.job=$JOB" --format '{{.Names}} {{.Label "agentctl.agent"}}'
  [ "$(sort <<<"$output")" = "$JOB-fetch fetch
$JOB-parse parse
$JOB-store store" ]
  run "$DOCKER" network inspect --format '{{.Name}} {{index .Labels "agentctl.job"}}' "agentctl-$JOB"
  [ "$output" = "agentctl-$JOB $JOB" ]
  run "$DOCKER" inspect --format '{{.HostConfig.RestartPolicy.Name}}' "$JOB-parse"
  [ "$output" = "no" ]
  run "$DOCKER" inspect --format '{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}}' "$JOB-fetch"
  [ "$output" = "500000000 67108864" ]

  # Seen from the host: each container at its publish address.
  run curl -sS "http://127.0.0.1:$PORT_B/health"
  [ "$output" = ok ]

  # Seen from inside: fetch connects to parse, parse to store, by name on the job network.
  run "$DOCKER" exec "$JOB-fetch" sh -c 'echo "$AGENT_PEER_PARSE_URL"; wget -qO- "$AGENT_PEER_PARSE_URL/health"'
  expect_status 0
  [ "$output" = "http://parse:8080
ok" ]
  run "$DOCKER" exec "$JOB-parse" sh -c 'wget -qO- "$AGENT_PEER_STORE_URL/health"; echo "$AGENT_URL $AGENT_ID"'
  expect_status 0
  [ "$output" = "ok
http://127.0.0.1:$PORT_B parse" ]

  run "$AGENTCTL" --state-dir "$STATE" status "$JOB" -o json
  expect_status 0
  [ "$(jq -r '.jobs[0].status' <<<"$output")" = running ]
  [ "$(jq -r '[.jobs[0].agents[] | "\(.id)=\(.status)=\(.target)"] | sort | join(",")' <<<"$output")" = \
    "fetch=healthy=container,parse=healthy=container,store=healthy=container" ]
  [ "$(jq -r '.jobs[0].agents[] | select(.id == "store") | .url' <<<"$output")" = "http://127.0.0.1:$PORT_C" ]
  jq -r '.jobs[0].agents[] | "\(.id) \(.container)"' <<<"$output" | sort >ids.before
  [ "$(grep -c ' [0-9a-f]\{64\}$' ids.before)" = 3 ]

  run "$AGENTCTL" --state-dir "$STATE" inspect "$JOB" store -o json
  expect_status 0
  [ "$(jq -r '.instances[0].image // .image' <<<"$output")" = "$IMAGE" ]
  [[ "$(jq -r '.instances[0].health' <<<"$output")" == "exec /bin/busybox wget -qO- http://127.0.0.1:8080/health"* ]]
  [ "$(jq -r '.instances[0].container // .container' <<<"$output")" = "$(awk '$1 == "store" { print $2 }' ids.before)" ]

  run "$AGENTCTL" --state-dir "$STATE" logs "$JOB" parse
  expect_status 0
  [[ $output == *"agent parse up"* ]]
  run "$AGENTCTL" --state-dir "$STATE" logs "$JOB" parse --tail 1 --timestamps
  expect_status 0
  [[ $output =~ ^parse\ \|\ 20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:.]+Z\ agent\ parse\ up$ ]]
  run "$AGENTCTL" --state-dir "$STATE" logs "$JOB" store --since 10m
  [ "$output" = "store | agent store up" ]
  # -f keeps following until interrupted; what was there is printed first.
  run timeout -s INT 2 "$AGENTCTL" --state-dir "$STATE" logs "$JOB" fetch -f
  [ "$output" = "fetch | agent fetch up" ]

  # Unchanged: the same containers stay.
  run "$AGENTCTL" --state-dir "$STATE" deploy job.yaml --progress plain
  expect_status 0
  run "$AGENTCTL" --state-dir "$STATE" status "$JOB" -o json
  jq -r '.jobs[0].agents[] | "\(.id) \(.container)"' <<<"$output" | sort >ids.after
  diff ids.before ids.after

  run "$AGENTCTL" --state-dir "$STATE" stop "$JOB"
  expect_status 0
  expect_no_leftovers "$JOB"
  # The log survives the container: agentctl kept it in the state dir before docker rm.
  run "$AGENTCTL" --state-dir "$STATE" logs "$JOB" fetch
  expect_status 0
  [[ $output == *"agent fetch up"* ]]
}

@test "a container removed behind agentctl's back is missing; a re-deploy brings it back; restart replaces one" {
  write_pipeline
  run "$AGENTCTL" --state-dir "$STATE" deploy job.yaml --progress plain
  expect_status 0
  "$DOCKER" rm --force "$JOB-store" >/dev/null
  run "$AGENTCTL" --state-dir "$STATE" status "$JOB" -o json
  [ "$(jq -r '.jobs[0].agents[] | select(.id == "store") | .status' <<<"$output")" = missing ]
  run "$AGENTCTL" --state-dir "$STATE" deploy job.yaml --progress plain
  expect_status 0
  run curl -sS "http://127.0.0.1:$PORT_C/health"
  [ "$output" = ok ]

  # restart replaces the container (docker stop + rm, then a new one from the launch record).
  before=$("$DOCKER" inspect --format '{{.Id}}' "$JOB-parse")
  run "$AGENTCTL" --state-dir "$STATE" restart "$JOB" parse
  expect_status 0
  after=$("$DOCKER" inspect --format '{{.Id}}' "$JOB-parse")
  [ -n "$after" ] && [ "$after" != "$before" ]
  run "$AGENTCTL" --state-dir "$STATE" status "$JOB" -o json
  [ "$(jq -r '.jobs[0].agents[] | select(.id == "parse") | "\(.status) \(.container)"' <<<"$output")" = "healthy $after" ]

  run "$AGENTCTL" --state-dir "$STATE" stop "$JOB"
  expect_status 0
  expect_no_leftovers "$JOB"
}
