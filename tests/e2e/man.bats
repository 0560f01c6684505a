#!/usr/bin/env bats
# The man pages are well-formed (mandoc's linter has nothing to say) and document what exists.

bats_require_minimum_version 1.5.0

setup() {
  SOURCE_DIR=${AGENTCTL_SOURCE_DIR:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
  if ! command -v mandoc >/dev/null; then
    [ "${CI:-}" = "true" ] && { echo "mandoc is required under CI=true" >&2; return 1; }
    skip "mandoc is not installed"
  fi
}

@test "mandoc -T lint -W warning prints nothing for every man page" {
  run mandoc -T lint -W warning "$SOURCE_DIR"/man/*
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

@test "agentctl(1) documents every verb, the exit codes and the environment" {
  run mandoc -T utf8 "$SOURCE_DIR/man/agentctl.1"
  [ "$status" -eq 0 ]
  local text
  text=$(echo "$output" | col -b)
  for word in validate plan version --strict --state-dir --no-color --known-hosts --ssh-config \
    AGENTCTL_STATE_DIR XDG_STATE_HOME NO_COLOR AGENTCTL_SSH_CONFIG AGENTCTL_KNOWN_HOSTS hash.key "agentctl-job(5)"; do
    [[ "$text" == *"$word"* ]] || { echo "agentctl.1 does not mention $word" >&2; return 1; }
  done
  for code in 0 1 2 3 4 130; do
    echo "$text" | sed -n '/^EXIT STATUS/,/^EXAMPLES/p' | grep -Eq "^ +$code\b" ||
      { echo "EXIT STATUS lacks $code" >&2; return 1; }
  done
}

@test "agentctl-job(5) covers every section and topology type" {
  run mandoc -T utf8 "$SOURCE_DIR/man/agentctl-job.5"
  [ "$status" -eq 0 ]
  local text
  text=$(echo "$output" | col -b)
  for word in hub-spoke pipeline dag mesh hierarchical dynamic depends_on advertise defaults \
    CONNECTED_AGENTS AGENT_PEERS_JSON JOB_ID '$$(' '${VAR:-default}' top-down --strict; do
    [[ "$text" == *"$word"* ]] || { echo "agentctl-job.5 does not mention $word" >&2; return 1; }
  done
}
