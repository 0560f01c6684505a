#!/usr/bin/env bats
# Exit-based restarts by the shim, with no monitor running (apps/agentctl-shim/README.md
# "Restarts"): a SIGKILLed agent under on-failure comes back as a new pid, recorded as events
# and in `status`; under `no` it stays exited; max_restarts exhausted makes the instance failed
# and the job degraded; `stop` is never undone by the restart policy.

bats_require_minimum_version 1.5.0
load deploy_helpers

setup() {
  deploy_setup
}

teardown() {
  deploy_teardown restarts
}

# write_job FILE POLICY COMMAND_JSON [MAX_RESTARTS]: the job "restarts": agent `crashy` with the
# given policy and command (backoff 0.3 s), and agent `steady` (sleep) that never fails.
write_job() {
  cat >"$1" <<YAML
job:
  name: restarts
agents:
  - id: crashy
    command: $3
    health: {none: true, start_period: 0.2s}
    restart: {policy: $2, max_restarts: ${4:-5}, backoff: 0.3s, max_backoff: 1s}
    stop: {timeout: 2s}
$(sleep_agent_yaml steady)
topology:
  type: none
YAML
}

# crashy FIELD: one field of `crashy` in `status restarts -o json`.
crashy() {
  status_json "$BATS_TEST_TMPDIR/s.json" restarts
  status_agent "$BATS_TEST_TMPDIR/s.json" restarts crashy "$1"
}

restarted_once() {
  [ "$(crashy restarts)" = 1 ] && [ "$(crashy status)" = running ]
}

@test "kill -9 under on-failure: the shim restarts it as a new pid, recorded in status and events" {
  write_job "$BATS_TEST_TMPDIR/job.yaml" on-failure '["sleep", "1000"]'
  run "$AGENTCTL" --state-dir "$STATE" deploy "$BATS_TEST_TMPDIR/job.yaml" -q
  [ "$status" -eq 0 ]
  first=$(pid_of restarts crashy)
  [ "$first" != null ]
  kill -9 "$first"
  killed_at=$(now_ms)
  wait_until 10 restarted_once
  second=$(crashy pid)
  [ "$second" != null ]
  [ "$second" != "$first" ]
  pid_alive "$second"
  [ "$(crashy exit_status)" = 137 ]
  [ "$(status_agent "$BATS_TEST_TMPDIR/s.json" restarts crashy last_event | jq -r .kind)" = instance-restarted ]
  run "$AGENTCTL" --state-dir "$STATE" status restarts
  expect_output_contains "RESTARTS" "EXIT" "LAST EVENT"
  row=$(grep "^  crashy " <<<"$output")
  [[ $row =~ \ 1\ +137\ +instance-restarted,\ [0-9]+s\ ago$ ]] || { echo "row: $row" >&2; false; }
  # Within the backoff (0.3 s) plus generous slack.
  (($(now_ms) - killed_at < 8000))
  [ "$(agent_count crashy)" = 1 ]
  # The exit and the restart are events, each once, however often status looks.
  crashy restarts >/dev/null
  [ "$(state_sql "SELECT kind, message FROM events WHERE instance = 'crashy' AND kind IN ('instance-exited', 'instance-restarted') ORDER BY id")" = "instance-exited|exited with status 137 (SIGKILL); restarting
instance-restarted|restarted by its shim as pid $second (restart 1)" ]
  # The recorded identity follows the new agent: stop signals it.
  run "$AGENTCTL" --state-dir "$STATE" stop restarts -q
  [ "$status" -eq 0 ]
  expect_no_agents_left 5
}

@test "policy no: a killed agent stays exited with its status" {
  write_job "$BATS_TEST_TMPDIR/job.yaml" no '["sleep", "1000"]'
  run "$AGENTCTL" --state-dir "$STATE" deploy "$BATS_TEST_TMPDIR/job.yaml" -q
  [ "$status" -eq 0 ]
  kill -9 "$(pid_of restarts crashy)"
  wait_until 5 bash -c "[ \"\$(\"$AGENTCTL\" --state-dir \"$STATE\" status restarts -o json | jq -r '.jobs[0].agents[] | select(.instance == \"crashy\") | .status')\" = exited ]"
  sleep 1
  [ "$(crashy status)" = exited ]
  [ "$(crashy exit_status)" = 137 ]
  [ "$(crashy restarts)" = 0 ]
  [ "$(agent_count crashy)" = 0 ]
  [ "$(json_query "$BATS_TEST_TMPDIR/s.json" "d['jobs'][0]['status']")" = degraded ]
}

@test "max_restarts exhausted: the instance is failed, the job degraded" {
  write_job "$BATS_TEST_TMPDIR/job.yaml" on-failure '["sh", "-c", "sleep 0.5; exit 3"]' 2
  run "$AGENTCTL" --state-dir "$STATE" deploy "$BATS_TEST_TMPDIR/job.yaml" -q
  [ "$status" -eq 0 ]
  wait_until 15 bash -c "[ \"\$(\"$AGENTCTL\" --state-dir \"$STATE\" status restarts -o json | jq -r '.jobs[0].agents[] | select(.instance == \"crashy\") | .status')\" = failed ]"
  [ "$(crashy status)" = failed ]
  [ "$(crashy restarts)" = 2 ]
  [ "$(crashy exit_status)" = 3 ]
  [ "$(json_query "$BATS_TEST_TMPDIR/s.json" "d['jobs'][0]['status']")" = degraded ]
  [ "$(state_sql "SELECT count(*) FROM events WHERE instance = 'crashy' AND kind = 'instance-exited'")" = 3 ]
  [ "$(state_sql "SELECT message FROM events WHERE instance = 'crashy' AND kind = 'instance-failed'")" = \
    "max_restarts exhausted after 2 restart(s); not restarted" ]
}

@test "stop under policy always: nothing comes back" {
  write_job "$BATS_TEST_TMPDIR/job.yaml" always '["sleep", "1000"]'
  run "$AGENTCTL" --state-dir "$STATE" deploy "$BATS_TEST_TMPDIR/job.yaml" -q
  [ "$status" -eq 0 ]
  run "$AGENTCTL" --state-dir "$STATE" stop restarts -q
  [ "$status" -eq 0 ]
  expect_no_agents_left 5
  sleep 1
  [ "$(count_role agent)" = 0 ]
  [ "$(crashy status)" = stopped ]
  [ "$(crashy restarts)" = 0 ]
}

@test "events: the history of a job, -o json, --since, -f, exit 4 for an unknown job" {
  write_job "$BATS_TEST_TMPDIR/job.yaml" on-failure '["sleep", "1000"]'
  run "$AGENTCTL" --state-dir "$STATE" deploy "$BATS_TEST_TMPDIR/job.yaml" -q
  [ "$status" -eq 0 ]
  run "$AGENTCTL" --state-dir "$STATE" events restarts
  [ "$status" -eq 0 ]
  [[ ${lines[0]} =~ ^TIME\ +JOB\ +INSTANCE\ +KIND\ +MESSAGE$ ]]
  expect_output_contains "deploy-started" "instance-starting" "instance-ready" "deploy-succeeded"
  run "$AGENTCTL" --state-dir "$STATE" events restarts -o json
  [ "$status" -eq 0 ]
  [ "$(jq -r '.events[0].kind' <<<"$output")" = deploy-started ]
  [ "$(jq -r '.events[0].instance' <<<"$output")" = null ]
  [ "$(jq -r '[.events[] | select(.instance == "crashy") | .kind] | join(",")' <<<"$output")" = \
    "instance-starting,instance-started,instance-ready" ]
  # --since in the future: nothing.
  run "$AGENTCTL" --state-dir "$STATE" events restarts -o json --since 2999-01-01T00:00:00Z
  [ "$status" -eq 0 ]
  [ "$(jq -r '.events | length' <<<"$output")" = 0 ]
  # -f prints what happens next (a crash the shim repairs, found without any status call).
  agentctl_bg "$BATS_TEST_TMPDIR/follow.out" events restarts -f -o json --since 2999-01-01T00:00:00Z
  follower=$BG_PID
  sleep 0.5
  kill -9 "$(pid_of restarts crashy)"
  wait_until 10 grep -q '"kind":"instance-restarted"' "$BATS_TEST_TMPDIR/follow.out"
  grep -q '"kind":"instance-exited","message":"exited with status 137 (SIGKILL); restarting"' "$BATS_TEST_TMPDIR/follow.out"
  kill -TERM "$follower"
  wait_pid "$follower" 5
  [ "$WAIT_STATUS" -eq 0 ]
  run "$AGENTCTL" --state-dir "$STATE" events nosuch
  [ "$status" -eq 4 ]
  expect_output_contains "no job named 'nosuch'"
  run "$AGENTCTL" --state-dir "$STATE" events restarts --since yesterday
  [ "$status" -eq 2 ]
  run "$AGENTCTL" --state-dir "$STATE" events restarts -f -o yaml
  [ "$status" -eq 2 ]
  expect_output_contains "events -f prints a table or JSON lines (-o json), not YAML"
}

@test "monitor and events are in --help, the completions and the man page" {
  run "$AGENTCTL" --help
  expect_output_contains "monitor" "events"
  run "$AGENTCTL" deploy --help
  expect_output_contains "--monitor" "--metrics-addr"
  run bash --norc --noprofile -c "source '$SOURCE_DIR/completions/agentctl.bash'
    COMP_WORDS=(agentctl mon); COMP_CWORD=1; _agentctl; printf '%s\n' \"\${COMPREPLY[@]}\""
  [ "$output" = monitor ]
  run bash --norc --noprofile -c "source '$SOURCE_DIR/completions/agentctl.bash'
    COMP_WORDS=(agentctl deploy --mo); COMP_CWORD=2; _agentctl; printf '%s\n' \"\${COMPREPLY[@]}\""
  [ "$output" = --monitor ]
  if command -v mandoc >/dev/null; then
    text=$(mandoc -T utf8 "$SOURCE_DIR/man/agentctl.1" | col -b)
    for word in "monitor [options] job" "events [-f]" --metrics-addr agentctl_agent_up max_restarts; do
      [[ "$text" == *"$word"* ]] || { echo "agentctl.1 does not mention $word" >&2; return 1; }
    done
  fi
}
