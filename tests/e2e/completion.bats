#!/usr/bin/env bats
# Shell completions: the bash function run in a real bash, the zsh and fish files parsed by
# their shells when those are installed.

bats_require_minimum_version 1.5.0

setup() {
  SOURCE_DIR=${AGENTCTL_SOURCE_DIR:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
  cd "$BATS_TEST_TMPDIR"
}

# Completes the words given (the last one is the word being typed) in a fresh bash and prints
# COMPREPLY, one entry per line.
complete_bash() {
  local words
  printf -v words '%q ' "$@"
  bash --norc --noprofile -c "
    source '$SOURCE_DIR/completions/agentctl.bash'
    COMP_WORDS=($words)
    COMP_CWORD=\$(( \${#COMP_WORDS[@]} - 1 ))
    COMP_LINE=\"\${COMP_WORDS[*]}\"
    COMP_POINT=\${#COMP_LINE}
    _agentctl
    printf '%s\n' \"\${COMPREPLY[@]}\"
  "
}

@test "bash: the file registers _agentctl for agentctl" {
  run bash --norc --noprofile -c "source '$SOURCE_DIR/completions/agentctl.bash'; complete -p agentctl"
  [ "$status" -eq 0 ]
  [[ "$output" == *"-F _agentctl"* ]]
}

@test "bash: 'agentctl va' completes to validate" {
  run complete_bash agentctl va
  [ "$status" -eq 0 ]
  [ "$output" = "validate" ]
}

@test "bash: 'agentctl validate --st' offers --strict" {
  run complete_bash agentctl validate --st
  [ "$status" -eq 0 ]
  [[ $'\n'"$output"$'\n' == *$'\n--strict\n'* ]]
}

@test "bash: 'agentctl plan -o j' offers json, and plan alone offers dot" {
  run complete_bash agentctl plan -o j
  [ "$status" -eq 0 ]
  [ "$output" = "json" ]
  run complete_bash agentctl plan -o d
  [ "$output" = "dot" ]
  run complete_bash agentctl validate -o d
  [ -z "$output" ]
}

@test "bash: job file arguments complete YAML files and directories only" {
  mkdir jobs
  touch one.yaml two.yml notes.txt
  run complete_bash agentctl validate ""
  [ "$status" -eq 0 ]
  [[ $'\n'"$output"$'\n' == *$'\none.yaml\n'* ]]
  [[ $'\n'"$output"$'\n' == *$'\ntwo.yml\n'* ]]
  [[ $'\n'"$output"$'\n' == *$'\njobs\n'* ]]
  [[ "$output" != *notes.txt* ]]
}

@test "bash: help completes verbs" {
  run complete_bash agentctl help p
  [ "$output" = "plan" ]
}

@test "bash: the deploy verbs complete, with their flags and choices" {
  run complete_bash agentctl st
  [ "$status" -eq 0 ]
  [ "$output" = $'start\nstatus\nstop' ]
  run complete_bash agentctl deploy --on-failure ""
  [ "$output" = $'rollback\nkeep' ]
  run complete_bash agentctl deploy --dry
  [ "$output" = "--dry-run" ]
  run complete_bash agentctl status -o w
  [ "$output" = "wide" ]
  run complete_bash agentctl logs --time
  [ "$output" = "--timestamps" ]
  run complete_bash agentctl cleanup --status f
  [ "$output" = "failed" ]
}

@test "bash: job arguments complete the jobs of the --state-dir given" {
  local agentctl=${AGENTCTL:-$SOURCE_DIR/build/apps/agentctl/agentctl}
  [ -x "$agentctl" ] || skip "no agentctl binary at $agentctl"
  # A job in a state dir: a failed deploy records it without starting anything.
  cat >job.yaml <<'YAML'
job:
  name: completed-job
agents:
  - id: quick
    command: ["sh", "-c", "exit 3"]
    health: {none: true}
topology:
  type: none
YAML
  "$agentctl" --state-dir "$BATS_TEST_TMPDIR/state" deploy job.yaml -q 2>/dev/null || true
  run complete_bash "$agentctl" --state-dir "$BATS_TEST_TMPDIR/state" stop comp
  [ "$status" -eq 0 ]
  [ "$output" = "completed-job" ]
  # Only the first argument is a job.
  run complete_bash "$agentctl" --state-dir "$BATS_TEST_TMPDIR/state" logs completed-job ""
  [ -z "$output" ]
}

@test "zsh: _agentctl parses" {
  if ! command -v zsh >/dev/null; then
    [ "${CI:-}" != "true" ] || { echo "zsh is required under CI=true (scripts/install-deps.sh --test)" >&2; return 1; }
    skip "zsh is not installed: _agentctl not checked"
  fi
  run zsh -n "$SOURCE_DIR/completions/_agentctl"
  [ "$status" -eq 0 ]
  head -1 "$SOURCE_DIR/completions/_agentctl" | grep -qx '#compdef agentctl'
}

@test "fish: agentctl.fish parses" {
  if ! command -v fish >/dev/null; then
    [ "${CI:-}" != "true" ] || { echo "fish is required under CI=true (scripts/install-deps.sh --test)" >&2; return 1; }
    skip "fish is not installed: agentctl.fish not checked"
  fi
  run fish -n "$SOURCE_DIR/completions/agentctl.fish"
  [ "$status" -eq 0 ]
}
