#!/usr/bin/env bats
# Every example job in examples/ validates, and plans exactly as its golden file says
# (tests/data/golden/<example>.plan.json: `agentctl plan -o json` without the keyed
# spec_hash fields, checked by hand against DESIGN.md §3). Plans are byte-identical run to run.
#
# To regenerate a golden file after an intended change (then READ the diff before committing):
#   AGENTCTL_STATE_DIR=$(mktemp -d) AGENTCTL_SSH_CONFIG=/dev/null \
#     build/apps/agentctl/agentctl plan examples/NAME.yaml -o json \
#     | jq 'del(.agents[].spec_hash)' > tests/data/golden/NAME.plan.json

setup() {
  SOURCE_DIR=${AGENTCTL_SOURCE_DIR:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
  AGENTCTL=${AGENTCTL:-$SOURCE_DIR/build/apps/agentctl/agentctl}
  [ -x "$AGENTCTL" ] || { echo "no agentctl binary at $AGENTCTL (set AGENTCTL)" >&2; return 1; }
  GOLDEN_DIR=$SOURCE_DIR/tests/data/golden
  # A private state dir (its hash key) and an empty ssh_config: nothing from this machine's
  # ~/.ssh/config or state may change a plan.
  export AGENTCTL_STATE_DIR=$BATS_TEST_TMPDIR/state
  export AGENTCTL_SSH_CONFIG=$BATS_TEST_TMPDIR/ssh_config
  : >"$AGENTCTL_SSH_CONFIG"
  # Job files are named relative to the source tree, as a user in a clone would.
  cd "$SOURCE_DIR" || return 1
}

# The examples, one per topology form; each must have a golden file.
examples() {
  local file
  for file in "$SOURCE_DIR"/examples/*.yaml; do
    basename "$file" .yaml
  done
}

# check_golden NAME: the hash-stripped plan of examples/NAME.yaml equals its golden file.
check_golden() {
  local name=$1 actual=$BATS_TEST_TMPDIR/$1.plan.json
  [ -f "$GOLDEN_DIR/$name.plan.json" ] || { echo "missing golden file for $name" >&2; return 1; }
  "$AGENTCTL" plan "examples/$name.yaml" -o json >"$BATS_TEST_TMPDIR/raw.json"
  jq 'del(.agents[].spec_hash)' "$BATS_TEST_TMPDIR/raw.json" >"$actual"
  diff -u "$GOLDEN_DIR/$name.plan.json" "$actual"
}

@test "every example has a golden plan and every golden plan an example" {
  local name file
  [ "$(examples | wc -l)" -eq 9 ]
  for name in $(examples); do
    [ -f "$GOLDEN_DIR/$name.plan.json" ] || { echo "no golden plan for examples/$name.yaml" >&2; return 1; }
  done
  for file in "$GOLDEN_DIR"/*.plan.json; do
    name=$(basename "$file" .plan.json)
    [ -f "examples/$name.yaml" ] || { echo "golden plan $file has no example" >&2; return 1; }
  done
}

@test "every example validates with exit 0" {
  local name
  for name in $(examples); do
    run "$AGENTCTL" validate "examples/$name.yaml"
    [ "$status" -eq 0 ] || { echo "validate examples/$name.yaml exited $status: $output" >&2; return 1; }
  done
}

@test "every example validates in one call, as JSON, with no error" {
  run "$AGENTCTL" validate examples/*.yaml -o json
  [ "$status" -eq 0 ]
  [ "$(jq -r .valid <<<"$output")" = true ]
  [ "$(jq '[.problems[] | select(.severity == "error")] | length' <<<"$output")" -eq 0 ]
}

@test "plan is byte-identical run to run, spec_hash included" {
  local name
  for name in $(examples); do
    "$AGENTCTL" plan "examples/$name.yaml" -o json >"$BATS_TEST_TMPDIR/first.json"
    "$AGENTCTL" plan "examples/$name.yaml" -o json >"$BATS_TEST_TMPDIR/second.json"
    cmp "$BATS_TEST_TMPDIR/first.json" "$BATS_TEST_TMPDIR/second.json" ||
      { echo "two plans of examples/$name.yaml differ" >&2; return 1; }
    # every agent has a hash: the hash-stripped comparison below cannot hide a missing one
    [ "$(jq '[.agents[] | .spec_hash | strings | select(length > 0)] | length' "$BATS_TEST_TMPDIR/first.json")" = \
      "$(jq '.agents | length' "$BATS_TEST_TMPDIR/first.json")" ]
  done
}

@test "spec hashes are keyed by the state dir: another state dir, other hashes, same plan" {
  "$AGENTCTL" plan examples/hub-spoke.yaml -o json >"$BATS_TEST_TMPDIR/a.json"
  AGENTCTL_STATE_DIR=$BATS_TEST_TMPDIR/other-state "$AGENTCTL" plan examples/hub-spoke.yaml -o json \
    >"$BATS_TEST_TMPDIR/b.json"
  [ "$(jq -r .agents.controller.spec_hash "$BATS_TEST_TMPDIR/a.json")" != \
    "$(jq -r .agents.controller.spec_hash "$BATS_TEST_TMPDIR/b.json")" ]
  diff <(jq 'del(.agents[].spec_hash)' "$BATS_TEST_TMPDIR/a.json") \
    <(jq 'del(.agents[].spec_hash)' "$BATS_TEST_TMPDIR/b.json")
}

@test "golden: hub-spoke" { check_golden hub-spoke; }
@test "golden: pipeline" { check_golden pipeline; }
@test "golden: dag" { check_golden dag; }
@test "golden: mesh" { check_golden mesh; }
@test "golden: hierarchical" { check_golden hierarchical; }
@test "golden: tree" { check_golden tree; }
@test "golden: dynamic" { check_golden dynamic; }
@test "golden: depends-on" { check_golden depends-on; }
@test "golden: remote-and-container" { check_golden remote-and-container; }
