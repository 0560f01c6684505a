#!/usr/bin/env bats
# Fleets (deployment.hosts): one instance per host, agent@host; a local hub connects to every
# instance URL; a remote agent reaches a local one through its advertise address; hosts are
# handled in parallel; status, logs and stop address the instances.

bats_require_minimum_version 1.5.0
load ssh_fixture

setup_file() {
  fleet_require
  fleet_up 5
}

teardown_file() {
  fleet_down
}

setup() {
  fleet_setup
  read -r PORT_HUB PORT_BASE < <(free_ports 2)
  for k in 1 2 3 4 5; do eval "A$k=$(fleet_addr h$k)"; done
  # The machine's side of h1's veth pair: where h1 reaches this machine.
  OUTER1=$(echo "$A1" | awk -F. '{ print $1 "." $2 "." $3 "." $4 - 1 }')
}

teardown() {
  fleet_teardown sshfleet
}

@test "a fleet on 5 hosts: agent@host instances, the hub gets all 5 URLs, one auth per host" {
  cat >job.yaml <<YAML
job: {name: sshfleet}
agents:
  - id: hub
    module: agents.echo_agent
    config: {port: $PORT_HUB}
    deployment: {target: localhost, workdir: $SOURCE_DIR/examples, python: /usr/bin/python3}
  - id: worker
    module: agents.echo_agent
    config: {port: 19200}
    deployment:
      target: remote
      hosts: [h1, h2, h3, h4, h5]
      workdir: $SOURCE_DIR/examples
      python: /usr/bin/python3
      environment: {AGENT_HOST: 0.0.0.0}
topology: {type: hub-spoke, hub: hub, spokes: [worker]}
deployment: {timeout: 30, health_check: {interval: 1, retries: 3, timeout: 2}}
YAML
  run agentctl --parallel 5 deploy job.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  for k in 1 2 3 4 5; do [ "$(fleet_auth_count h$k)" -eq 1 ]; done
  [ "$(fleet_remote_processes | wc -l)" -ge 10 ]

  agentctl status sshfleet -o json >status.json
  [ "$(jq -r '[.jobs[0].agents[] | select(.id == "worker") | .instance] | sort | join(",")' status.json)" = \
    "worker@h1,worker@h2,worker@h3,worker@h4,worker@h5" ]
  [ "$(jq -r '[.jobs[0].agents[].status] | unique | join(",")' status.json)" = healthy ]

  curl -sf "http://127.0.0.1:$PORT_HUB/env" >hub.json
  [ "$(jq -r .CONNECTED_AGENTS hub.json)" = \
    "http://$A1:19200,http://$A2:19200,http://$A3:19200,http://$A4:19200,http://$A5:19200" ]
  # Logs of a fleet agent: every instance's lines, each prefixed with its instance.
  run agentctl --no-color logs sshfleet worker
  [ "$status" -eq 0 ]
  for k in 1 2 3 4 5; do
    grep -q "^worker@h$k *| .*worker listening on http://0.0.0.0:19200" <<<"$output"
  done
  curl -sf "http://$A3:19200/env" >w3.json
  [ "$(jq -r .AGENT_INSTANCE w3.json)" = "worker@h3" ]
  [ "$(jq -r .AGENT_URL w3.json)" = "http://$A3:19200" ]

  run agentctl stop sshfleet
  [ "$status" -eq 0 ]
  [ -z "$(fleet_remote_processes)" ]
}

@test "a remote agent reaches a local one through its advertise address" {
  cat >job.yaml <<YAML
job: {name: sshfleet}
agents:
  - id: front
    module: agents.echo_agent
    config: {port: 19300}
    deployment: {target: remote, host: h1, workdir: $SOURCE_DIR/examples, python: /usr/bin/python3,
                 environment: {AGENT_HOST: 0.0.0.0}}
  - id: store
    module: agents.echo_agent
    config: {port: $PORT_BASE}
    deployment: {target: localhost, workdir: $SOURCE_DIR/examples, python: /usr/bin/python3,
                 advertise: $OUTER1, environment: {AGENT_HOST: 0.0.0.0}}
topology: {type: hub-spoke, hub: front, spokes: [store]}
deployment: {timeout: 30, health_check: {interval: 1, retries: 3, timeout: 2}}
YAML
  run agentctl deploy job.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  curl -sf "http://$A1:19300/env" >front.json
  [ "$(jq -r .AGENT_PEER_STORE_URL front.json)" = "http://$OUTER1:$PORT_BASE" ]
  # The query travels from the remote hub to the local spoke and back.
  run curl -sf -X POST -d '{"query": "ping"}' "http://$A1:19300/query"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *store* ]]
  run agentctl stop sshfleet
  [ "$status" -eq 0 ]
}

@test "agents on one host share one session whose channels run side by side (4 slow stops at once)" {
  {
    echo "job: {name: sshfleet}"
    echo "agents:"
    for id in s1 s2 s3 s4; do
      echo "  - id: $id"
      echo "    command: [\"sh\", \"-c\", \"trap '' TERM; while :; do sleep 1; done\"]"
      echo "    health: {none: true, start_period: 0s}"
      echo "    stop: {signal: SIGTERM, timeout: 3s}"
      echo "    deployment: {target: remote, host: h4}"
    done
  } >job.yaml
  run agentctl deploy job.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  before=$(fleet_auth_count h4)
  started=$(now_ms)
  run agentctl stop sshfleet
  elapsed=$(($(now_ms) - started))
  echo "$output (${elapsed} ms)"
  [ "$status" -eq 0 ]
  # Each agent ignores SIGTERM for its 3 s: one after another would take 12 s or more.
  [ "$elapsed" -lt 9000 ]
  [ "$(fleet_auth_count h4)" -eq $((before + 1)) ]
  [ -z "$(fleet_remote_processes)" ]
}

@test "an exec health check runs on the agent's host, in its environment" {
  cat >job.yaml <<YAML
job: {name: sshfleet}
agents:
  - id: checked
    command: ["sleep", "300"]
    health:
      exec: ["sh", "-c", "[ \"\$AGENT_ID\" = checked ] && [ \"\$XDG_STATE_HOME\" = '$FLEET/h2/state' ]"]
      interval: 1s
      retries: 2
    deployment: {target: remote, host: h2}
deployment: {timeout: 15}
YAML
  run agentctl deploy job.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  run agentctl status sshfleet -o json
  [ "$(echo "$output" | jq -r '.jobs[0].agents[0].status')" = healthy ]
  run agentctl stop sshfleet
  [ "$status" -eq 0 ]
}
