#!/usr/bin/env bats
# The command line itself: version, usage errors and their exit codes, the state dir,
# and colours only on a terminal (DESIGN.md §5, §6).

bats_require_minimum_version 1.5.0
load cli_helpers

setup() {
  cli_setup
}

# weather carries an unknown key, so validate prints a warning to stderr.
write_warning_job() {
  cat >warn.yaml <<'YAML'
job:
  name: warn-job
agents:
  - id: weather
    module: agents.weather
    colour: blue
    config: {port: 19701}
YAML
}

# Runs a command on a pseudo-terminal (util-linux script), output in $output.
run_on_tty() {
  command -v script >/dev/null || skip "script(1) is not installed: no pseudo-terminal"
  run script -qec "$*" /dev/null
}

@test "version prints agentctl and the project version" {
  run --separate-stderr agentctl version
  expect_status 0
  [ "$output" = "agentctl 0.1.0" ]
  run --separate-stderr "$AGENTCTL" --version
  expect_status 0
  [ "$output" = "agentctl 0.1.0" ]
}

@test "version -o json and -o yaml" {
  run --separate-stderr agentctl version -o json
  expect_status 0
  [ "$(echo "$output" | jq -c .)" = '{"version":"0.1.0"}' ]
  run --separate-stderr agentctl --output=YAML version
  expect_status 0
  [ "$output" = "version: 0.1.0" ]
}

@test "a verb rejects a format it does not print with exit 2" {
  run --separate-stderr agentctl version -o dot
  expect_status 2
  [[ "$stderr" == *"does not support -o dot"* ]]
  write_hub_spoke hub.yaml
  run --separate-stderr agentctl validate hub.yaml -o dot
  expect_status 2
}

@test "-o bogus is a usage error (exit 2) naming the choices" {
  run --separate-stderr agentctl -o bogus version
  expect_status 2
  [[ "$stderr" == *bogus* ]]
  [[ "$stderr" == *table* ]]
}

@test "an unknown verb exits 2 with a did-you-mean" {
  run --separate-stderr agentctl valdate job.yaml
  expect_status 2
  [[ "$stderr" == *'unknown command "valdate"'* ]]
  [[ "$stderr" == *'did you mean "validate"'* ]]
  [ -z "$output" ]
}

@test "no verb at all is a usage error" {
  run --separate-stderr "$AGENTCTL"
  expect_status 2
  [[ "$stderr" == *"agentctl help"* ]]
}

@test "an unknown option is a usage error" {
  run --separate-stderr agentctl validate --bogus-flag x.yaml
  expect_status 2
  [[ "$stderr" == *"--bogus-flag"* ]]
}

@test "-q and -v exclude each other" {
  run --separate-stderr agentctl -q -v version
  expect_status 2
}

@test "--help and help exit 0 and list the verbs" {
  run --separate-stderr "$AGENTCTL" --help
  expect_status 0
  [[ "$output" == *validate* && "$output" == *plan* && "$output" == *version* ]]
  run --separate-stderr "$AGENTCTL" help validate
  expect_status 0
  [[ "$output" == *"--strict"* ]]
  run --separate-stderr "$AGENTCTL" validate --help
  expect_status 0
  [[ "$output" == *"--strict"* ]]
  run --separate-stderr "$AGENTCTL" help nonsense
  expect_status 2
}

@test "--state-dir is created 0700 with a 0600 hash.key" {
  write_hub_spoke hub.yaml
  run "$AGENTCTL" --state-dir "$BATS_TEST_TMPDIR/deep/state" plan hub.yaml
  expect_status 0
  [ "$(stat -c %a "$BATS_TEST_TMPDIR/deep/state")" = "700" ]
  [ "$(stat -c %a "$BATS_TEST_TMPDIR/deep/state/hash.key")" = "600" ]
  [ "$(tr -d '\n' <"$BATS_TEST_TMPDIR/deep/state/hash.key" | wc -c)" -eq 64 ]
  # The key never shows up in what agentctl prints.
  run "$AGENTCTL" --state-dir "$BATS_TEST_TMPDIR/deep/state" plan hub.yaml -o json
  [[ "$output" != *"$(cat "$BATS_TEST_TMPDIR/deep/state/hash.key")"* ]]
}

@test "an existing loose state dir is tightened to 0700" {
  write_hub_spoke hub.yaml
  mkdir -m 0755 "$STATE"
  run agentctl plan hub.yaml
  expect_status 0
  [ "$(stat -c %a "$STATE")" = "700" ]
}

@test "AGENTCTL_STATE_DIR, then XDG_STATE_HOME, pick the state dir when --state-dir is absent" {
  write_hub_spoke hub.yaml
  AGENTCTL_STATE_DIR="$BATS_TEST_TMPDIR/from-env" XDG_STATE_HOME="$BATS_TEST_TMPDIR/xdg" \
    "$AGENTCTL" plan hub.yaml >/dev/null
  [ -f "$BATS_TEST_TMPDIR/from-env/hash.key" ]
  [ ! -e "$BATS_TEST_TMPDIR/xdg" ]
  XDG_STATE_HOME="$BATS_TEST_TMPDIR/xdg" "$AGENTCTL" plan hub.yaml >/dev/null
  [ -f "$BATS_TEST_TMPDIR/xdg/agentctl/hash.key" ]
  HOME="$BATS_TEST_TMPDIR/home" XDG_STATE_HOME= "$AGENTCTL" plan hub.yaml >/dev/null
  [ -f "$BATS_TEST_TMPDIR/home/.local/state/agentctl/hash.key" ]
}

@test "the spec hash depends on the state dir's key" {
  write_hub_spoke hub.yaml
  a=$("$AGENTCTL" --state-dir "$BATS_TEST_TMPDIR/one" plan hub.yaml -o json | jq -r .agents.maps.spec_hash)
  b=$("$AGENTCTL" --state-dir "$BATS_TEST_TMPDIR/two" plan hub.yaml -o json | jq -r .agents.maps.spec_hash)
  [ -n "$a" ] && [ -n "$b" ]
  [ "$a" != "$b" ]
}

@test "output into a pipe has no escape codes" {
  write_warning_job
  run agentctl validate warn.yaml
  expect_status 0
  [[ "$output" == *"warning:"* ]]
  [[ "$output" != *$'\e'* ]]
}

@test "on a terminal diagnostics and summaries are coloured" {
  write_warning_job
  run_on_tty "'$AGENTCTL' --state-dir '$STATE' validate warn.yaml"
  [[ "$output" == *$'\e['*"warning:"* ]]
  [[ "$output" == *$'\e['*"valid"* ]]
}

@test "NO_COLOR and --no-color keep a terminal free of escape codes" {
  write_warning_job
  run_on_tty "NO_COLOR=1 '$AGENTCTL' --state-dir '$STATE' validate warn.yaml"
  [[ "$output" == *"warning:"* ]]
  [[ "$output" != *$'\e'* ]]
  run_on_tty "'$AGENTCTL' --state-dir '$STATE' validate warn.yaml --no-color"
  [[ "$output" == *"warning:"* ]]
  [[ "$output" != *$'\e'* ]]
}
