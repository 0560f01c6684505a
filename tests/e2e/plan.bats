#!/usr/bin/env bats
# `agentctl plan`: the table, the stable JSON document (DESIGN.md §6), YAML and Graphviz
# renderings, and its refusal of invalid files.

bats_require_minimum_version 1.5.0
load cli_helpers

setup() {
  cli_setup
  write_hub_spoke hub.yaml
}

@test "plan -o json has the documented keys and the hub-spoke stages" {
  run --separate-stderr agentctl plan hub.yaml -o json
  expect_status 0
  [ -z "$stderr" ]
  local keys
  keys=$(echo "$output" | jq -c '[keys[] | select(IN("job","strategy","stages","start_order","agents","changes"))]')
  [ "$keys" = '["agents","changes","job","stages","start_order","strategy"]' ]
  [ "$(echo "$output" | jq -r .job)" = "tiny-hub" ]
  [ "$(echo "$output" | jq -r .strategy)" = "staged" ]
  [ "$(echo "$output" | jq -c .stages)" = '[["maps","weather"],["controller"]]' ]
  [ "$(echo "$output" | jq -c .start_order)" = '["maps","weather","controller"]' ]
  [ "$(echo "$output" | jq -c '.agents | keys')" = '["controller","maps","weather"]' ]
}

@test "plan -o json describes each agent with the documented fields" {
  run --separate-stderr agentctl plan hub.yaml -o json
  expect_status 0
  local controller
  controller=$(echo "$output" | jq -c '.agents.controller | {target, host, port, instances, url, urls, connections}')
  [ "$controller" = '{"target":"localhost","host":"127.0.0.1","port":19000,"instances":["controller"],"url":"http://127.0.0.1:19000","urls":["http://127.0.0.1:19000"],"connections":["maps","weather"]}' ]
  [ "$(echo "$output" | jq -c .agents.maps.connections)" = '[]' ]
  [ "$(echo "$output" | jq -r .agents.weather.url)" = "http://127.0.0.1:19001" ]
  echo "$output" | jq -e '.agents.controller.spec_hash | test("^[0-9a-f]{64}$")' >/dev/null
  [ "$(echo "$output" | jq -c '[.changes[] | [.agent, .action]] | sort')" = \
    '[["controller","create"],["maps","create"],["weather","create"]]' ]
}

@test "plan -o json is byte-identical run to run with the same state dir" {
  agentctl plan hub.yaml -o json >first.json
  agentctl plan hub.yaml -o json >second.json
  cmp first.json second.json
}

@test "the table shows stages, URLs, connections, start order and changes" {
  run --separate-stderr agentctl plan hub.yaml
  expect_status 0
  [ "${lines[0]}" = "Job: tiny-hub (hub.yaml)" ]
  [ "${lines[1]}" = "Strategy: staged" ]
  echo "$output" | grep -qx 'Stage 1'
  echo "$output" | grep -qx 'Stage 2'
  echo "$output" | grep -Eq '^  AGENT +TARGET +URL +CONNECTS TO$'
  echo "$output" | grep -Eq '^  maps +localhost +http://127\.0\.0\.1:19002 +-$'
  echo "$output" | grep -Eq '^  controller +localhost +http://127\.0\.0\.1:19000 +maps, weather$'
  echo "$output" | grep -qx 'Start order: maps, weather, controller'
  echo "$output" | grep -Eq '^  create +controller$'
  # Stage 1 lists maps and weather before the Stage 2 heading.
  [ "$(echo "$output" | grep -n 'weather' | head -1 | cut -d: -f1)" -lt \
    "$(echo "$output" | grep -nx 'Stage 2' | cut -d: -f1)" ]
}

@test "plan -o dot renders with Graphviz" {
  command -v dot >/dev/null || skip "graphviz (dot) is not installed"
  run --separate-stderr agentctl plan hub.yaml -o dot
  expect_status 0
  [[ "$output" == "digraph"* ]]
  echo "$output" | dot -Tsvg >graph.svg
  grep -q '<svg' graph.svg
  grep -q 'controller' graph.svg
}

@test "plan -o yaml holds the same document as YAML" {
  run --separate-stderr agentctl plan hub.yaml --format yaml
  expect_status 0
  [ "${lines[0]}" = "job: tiny-hub" ]
  echo "$output" | grep -qx 'strategy: staged'
  echo "$output" | grep -qx 'stages:'
  echo "$output" | grep -qx '  - \[maps, weather\]'
  echo "$output" | grep -qx '  - \[controller\]'
  echo "$output" | grep -qx '  controller:'
  echo "$output" | grep -qx '    url: http://127.0.0.1:19000'
  echo "$output" | grep -qx '    port: 19000'
  echo "$output" | grep -qx 'changes:'
}

@test "an invalid job is refused with exit 2 and every diagnostic" {
  cat >bad.yaml <<'YAML'
job:
  name: bad-plan
agents:
  - id: one
    module: m.one
    config: {port: 19401}
    depends_on: [nobody]
  - id: one
    module: m.two
    config: {port: 19402}
YAML
  run --separate-stderr agentctl plan bad.yaml
  expect_status 2
  [ -z "$output" ]
  [[ "$stderr" == *"bad.yaml:7:18: error: "*nobody* ]]
  [[ "$stderr" == *"bad.yaml:8:9: error: "* ]]
}

@test "a cycle makes plan exit 2" {
  cat >cycle.yaml <<'YAML'
job:
  name: plan-cycle
agents:
  - id: a
    module: m.a
    config: {port: 19501}
  - id: b
    module: m.b
    config: {port: 19502}
topology:
  type: dag
  connections:
    - {from: a, to: b}
    - {from: b, to: a}
YAML
  run --separate-stderr agentctl plan cycle.yaml -o json
  expect_status 2
  [ -z "$output" ]
  [[ "$stderr" == *"error: "*" -> "* ]]
}

@test "plan refuses a format it does not print" {
  run --separate-stderr agentctl plan hub.yaml -o bogus
  expect_status 2
  [[ "$stderr" == *bogus* ]]
}

@test "plan of a missing file exits 2 saying it cannot read it" {
  run --separate-stderr agentctl plan missing.yaml
  expect_status 2
  [[ "$stderr" == *"missing.yaml"*"cannot read"* ]]
}

@test "a named ssh_config resolves remote host aliases; a missing one is an error" {
  cat >remote.yaml <<'YAML'
job:
  name: remote-one
agents:
  - id: far
    module: m.far
    config: {port: 19601}
    deployment:
      target: remote
      host: lab
topology:
  type: none
YAML
  printf 'Host lab\n  HostName 10.9.8.7\n' >ssh_config
  run --separate-stderr agentctl --ssh-config ssh_config plan remote.yaml -o json
  expect_status 0
  [ "$(echo "$output" | jq -r .agents.far.url)" = "http://10.9.8.7:19601" ]
  run --separate-stderr agentctl --ssh-config no_such_config plan remote.yaml
  expect_status 2
  [[ "$stderr" == *"no_such_config"* ]]
}
