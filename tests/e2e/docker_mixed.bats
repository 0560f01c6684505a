#!/usr/bin/env bats
# A job mixing a local process and a container, connected both ways (a mesh), each
# connection checked from the calling side: the container calls the local agent at
# http://host.docker.internal:<port>, the local agent calls the container at its publish
# address.

bats_require_minimum_version 1.5.0
load docker_helpers

setup_file() { docker_setup_file; }
teardown_file() { docker_teardown_file; }
setup() {
  docker_setup
  read -r PORT_APP PORT_BOX < <(free_ports 2)
  mkdir -p app
}
teardown() { docker_teardown; }

@test "local process and container reach each other at the URLs agentctl gave them" {
  # The local agent (busybox httpd on every address of this machine, so the container can
  # reach it through the bridge) calls its peer itself and writes what it got to app/got.
  cat >job.yaml <<YAML
job:
  name: $JOB
agents:
  - id: app
    command:
      - /bin/sh
      - -c
      - >-
        mkdir -p www; echo ok-app >www/health; echo "\$AGENT_PEER_BOX_URL" >peer_url;
        (i=0; while [ \$i -lt 150 ]; do /bin/busybox wget -qO- "\$AGENT_PEER_BOX_URL/health" >got.tmp 2>/dev/null
        && mv got.tmp got && break; i=\$((i+1)); sleep 0.2; done) &
        exec /bin/busybox httpd -f -p \$AGENT_PORT -h www
    config: { port: $PORT_APP }
    health: { http: /health, interval: 1s }
    stop: { timeout: 2s }
    deployment: { target: localhost, workdir: ./app }
$(container_agent box "$PORT_BOX" 'volumes: ["./app:/app:ro"]')
topology:
  type: mesh
  agents: [app, box]
deployment:
  timeout: 30
YAML
  run "$AGENTCTL" --state-dir "$STATE" deploy job.yaml --progress plain
  expect_status 0

  # Local -> container: the publish address, called by the local agent itself.
  [ "$(cat app/peer_url)" = "http://127.0.0.1:$PORT_BOX" ]
  for _ in $(seq 1 50); do [ -s app/got ] && break; sleep 0.2; done
  [ "$(cat app/got)" = ok ]

  # Container -> local: host.docker.internal, called from inside the container.
  run "$DOCKER" exec "$JOB-box" sh -c 'echo "$AGENT_PEER_APP_URL"; wget -qO- "$AGENT_PEER_APP_URL/health"'
  expect_status 0
  [ "$output" = "http://host.docker.internal:$PORT_APP
ok-app" ]

  # A relative volume source is relative to the job file.
  run "$DOCKER" exec "$JOB-box" cat /app/peer_url
  [ "$output" = "http://127.0.0.1:$PORT_BOX" ]

  run "$AGENTCTL" --state-dir "$STATE" status "$JOB" -o json
  [ "$(jq -r '[.jobs[0].agents[] | "\(.id)=\(.target)=\(.status)"] | sort | join(",")' <<<"$output")" = \
    "app=localhost=healthy,box=container=healthy" ]

  run "$AGENTCTL" --state-dir "$STATE" stop "$JOB"
  expect_status 0
  expect_no_leftovers "$JOB"
}
