#!/usr/bin/env bats
# `agentctl validate`: summary lines, diagnostics with file:line:col, JSON/YAML output,
# --strict, -v and exit codes (DESIGN.md §2 "Validation", §6).

bats_require_minimum_version 1.5.0
load cli_helpers

setup() {
  cli_setup
}

# weather has an unknown key (a warning) and no other problem.
write_unknown_key() {
  cat >unknown.yaml <<'YAML'
job:
  name: with-extra
agents:
  - id: weather
    module: agents.weather
    colour: blue
    config:
      port: 19101
topology:
  type: none
YAML
}

# The hub names an agent that does not exist (line 11, column 8).
write_bad_hub() {
  cat >bad.yaml <<'YAML'
job:
  name: bad-hub
agents:
  - id: weather
    module: agents.weather
    config:
      port: 19201
topology:
  type: hub-spoke
  spokes: [weather]
  hub: contoller
YAML
}

@test "a valid job exits 0 with its summary line on stdout" {
  write_hub_spoke hub.yaml
  run --separate-stderr agentctl validate hub.yaml
  expect_status 0
  [ "$output" = "hub.yaml: valid" ]
  [ -z "$stderr" ]
}

@test "an invalid job exits 2 with file:line:col: error: on stderr" {
  write_bad_hub
  run --separate-stderr agentctl validate bad.yaml
  expect_status 2
  [[ "$stderr" == *"bad.yaml:11:8: error: "* ]]
  [[ "$stderr" == *contoller* ]]
  [[ "$output" == "bad.yaml: invalid (1 error"* ]]
}

@test "every file is reported and any invalid one makes the exit status 2" {
  write_hub_spoke hub.yaml
  write_bad_hub
  run --separate-stderr agentctl validate hub.yaml bad.yaml
  expect_status 2
  [ "${lines[0]}" = "hub.yaml: valid" ]
  [[ "${lines[1]}" == "bad.yaml: invalid"* ]]
  [ "${#lines[@]}" -eq 2 ]
}

@test "warnings are printed but do not make a file invalid" {
  write_unknown_key
  run --separate-stderr agentctl validate unknown.yaml
  expect_status 0
  [[ "$stderr" == *"unknown.yaml:6:5: warning: "*colour* ]]
  [ "$output" = "unknown.yaml: valid (1 warning)" ]
}

@test "--strict turns an unknown key into an error" {
  write_unknown_key
  run --separate-stderr agentctl validate --strict unknown.yaml
  expect_status 2
  [[ "$stderr" == *"unknown.yaml:6:5: error: "*colour* ]]
  [ "$output" = "unknown.yaml: invalid (1 error)" ]
}

@test "-o json reports every problem of every file with the documented keys" {
  write_hub_spoke hub.yaml
  write_bad_hub
  write_unknown_key
  run --separate-stderr agentctl validate hub.yaml bad.yaml unknown.yaml -o json
  expect_status 2
  [ -z "$stderr" ]
  echo "$output" | jq -e . >/dev/null
  [ "$(echo "$output" | jq -c 'keys')" = '["problems","valid"]' ]
  [ "$(echo "$output" | jq '.valid')" = "false" ]
  [ "$(echo "$output" | jq -c '[.problems[] | keys] | unique')" = \
    '[["column","file","hint","line","message","severity"]]' ]
  [ "$(echo "$output" | jq -c '[.problems[] | select(.severity == "error") | [.file, .line, .column]]')" = \
    '[["bad.yaml",11,8]]' ]
  [ "$(echo "$output" | jq -c '[.problems[] | select(.severity == "warning") | [.file, .line, .column]]')" = \
    '[["unknown.yaml",6,5]]' ]
}

@test "-o json of a valid job says valid with no problems" {
  write_hub_spoke hub.yaml
  run --separate-stderr agentctl -o json validate hub.yaml
  expect_status 0
  [ "$(echo "$output" | jq -c .)" = '{"valid":true,"problems":[]}' ]
}

@test "-o yaml prints the same content as YAML" {
  write_bad_hub
  run --separate-stderr agentctl validate bad.yaml --output yaml
  expect_status 2
  [[ "$output" == *"valid: false"* ]]
  [[ "$output" == *"problems:"* ]]
  [[ "$output" == *"file: bad.yaml"* ]]
  [[ "$output" == *"line: 11"* ]]
  [[ "$output" == *"severity: error"* ]]
}

@test "-v prints the job and its agents table" {
  write_hub_spoke hub.yaml
  run --separate-stderr agentctl validate -v hub.yaml
  expect_status 0
  [ "${lines[0]}" = "hub.yaml: valid" ]
  [[ "$output" == *"Job:"*"tiny-hub"* ]]
  [[ "$output" == *"Version:"*"1.0.0"* ]]
  [[ "$output" == *"Topology:"*"hub-spoke"* ]]
  [[ "$output" == *"Strategy:"*"staged"* ]]
  [[ "$output" == *"Entry point:"*"controller"* ]]
  echo "$output" | grep -Eq '^ID +TYPE +TARGET +HOST +PORT +RUN$'
  echo "$output" | grep -Eq '^weather +WeatherAgent +localhost +127\.0\.0\.1 +19001 +agents\.weather$'
  echo "$output" | grep -Eq "^maps +MapsAgent +localhost +127\.0\.0\.1 +19002 +\./maps --port '\\\$\(AGENT_PORT\)'$"
  echo "$output" | grep -Eq '^controller +ControllerAgent +localhost +127\.0\.0\.1 +19000 +agents\.controller$'
}

@test "-v works after the file too (global flags fall through)" {
  write_hub_spoke hub.yaml
  run --separate-stderr agentctl validate hub.yaml --verbose
  expect_status 0
  echo "$output" | grep -Eq '^ID +TYPE +TARGET +HOST +PORT +RUN$'
}

@test "-q prints no summary lines, only errors" {
  write_unknown_key
  write_bad_hub
  run --separate-stderr agentctl -q validate unknown.yaml bad.yaml
  expect_status 2
  [ -z "$output" ]
  [[ "$stderr" == *"bad.yaml:11:8: error: "* ]]
  [[ "$stderr" != *warning* ]]
}

@test "a missing file exits 2 with a clear cannot read message" {
  run --separate-stderr agentctl validate nowhere.yaml
  expect_status 2
  [[ "$stderr" == *"nowhere.yaml"*"cannot read"* ]]
  [ "$output" = "nowhere.yaml: invalid (1 error)" ]
}

@test "a cycle found by the resolver is an error with its path" {
  cat >cycle.yaml <<'YAML'
job:
  name: cycle
agents:
  - id: a
    module: m.a
    config: {port: 19301}
    depends_on: [b]
  - id: b
    module: m.b
    config: {port: 19302}
    depends_on: [a]
topology:
  type: none
YAML
  run --separate-stderr agentctl validate cycle.yaml
  expect_status 2
  [[ "$stderr" == *"error: "*"a -> b -> a"* || "$stderr" == *"error: "*"b -> a -> b"* ]]
}

@test "validate needs at least one file" {
  run --separate-stderr agentctl validate
  expect_status 2
  [[ "$stderr" == *file* ]]
}

@test "validate does not create the state dir" {
  write_hub_spoke hub.yaml
  run agentctl validate hub.yaml
  expect_status 0
  [ ! -e "$STATE" ]
}
