#!/usr/bin/env bats
# Concurrency (DESIGN.md §5): different jobs deploy in parallel against one state database while
# `status` reads it, with no "database is locked"; two deploys of the same job never run at
# once: the second exits 3 at once, or waits with --lock-wait and then succeeds.

load deploy_helpers

JOBS=8
AGENTS_PER_JOB=10

setup() {
  deploy_setup
}

teardown() {
  deploy_teardown
}

# write_sleepers FILE JOB: a job of AGENTS_PER_JOB sleeping agents, two per stage (a pipeline
# of stages, so that each deploy makes many small write transactions spread over its run).
write_sleepers() {
  local i stages=()
  for ((i = 0; i < AGENTS_PER_JOB; i += 2)); do stages+=("[s$i, s$((i + 1))]"); done
  {
    printf 'job:\n  name: %s\nagents:\n' "$2"
    for ((i = 0; i < AGENTS_PER_JOB; i++)); do sleep_agent_yaml "s$i"; done
    printf 'topology:\n  type: pipeline\n  stages: [%s]\n' "$(IFS=,; echo "${stages[*]}")"
  } >"$1"
}

# status_loop OUT: runs `status -o json` back to back until the file "stop-status" exists and
# at least 10 s have passed; each run's exit status goes to OUT.codes, its output to OUT.
status_loop() {
  local out=$1 started=$SECONDS json
  while [[ ! -e stop-status ]] || ((SECONDS - started < 10)); do
    json=$(agentctl status -o json 2>&1) && echo 0 >>"$out.codes" || echo $? >>"$out.codes"
    printf '%s\n' "$json" >>"$out"
    "$PYTHON" -c 'import json, sys; json.loads(sys.argv[1])' "$json" 2>/dev/null || echo "invalid JSON: $json" >>"$out.invalid"
  done
}

@test "8 deploys of 8 jobs of 10 agents in parallel, with status loops reading meanwhile, all succeed" {
  local j pids=() status_pids=() started
  for ((j = 0; j < JOBS; j++)); do write_sleepers "job$j.yaml" "crowd-$j"; done
  status_loop status-a.out 3>&- &
  status_pids+=($!)
  track_pid "$!"
  status_loop status-b.out 3>&- &
  status_pids+=($!)
  track_pid "$!"

  started=$(now_ms)
  for ((j = 0; j < JOBS; j++)); do
    agentctl_bg "deploy-$j.out" deploy "job$j.yaml"
    pids+=("$BG_PID")
  done
  local failed=0
  for ((j = 0; j < JOBS; j++)); do
    wait_pid "${pids[$j]}" 120
    if [[ $WAIT_STATUS != 0 ]]; then
      echo "deploy of crowd-$j exited $WAIT_STATUS:" >&2
      cat "deploy-$j.out" >&2
      failed=1
    fi
  done
  echo "# 8 parallel deploys of 10 agents took $(($(now_ms) - started)) ms" >&3
  touch stop-status
  for j in "${status_pids[@]}"; do wait_pid "$j" 60; done
  ((failed == 0))

  # Every status run answered, with JSON.
  [ ! -e status-a.out.invalid ] || { head -5 status-a.out.invalid >&2; false; }
  [ ! -e status-b.out.invalid ] || { head -5 status-b.out.invalid >&2; false; }
  [ "$(sort -u status-a.out.codes status-b.out.codes)" = 0 ]
  (($(cat status-a.out.codes status-b.out.codes | wc -l) >= 4))
  expect_no_file_mentions "database is locked" deploy-*.out status-*.out

  status_json all.json
  [ "$STATUS_EXIT" = 0 ]
  [ "$(json_query all.json "len(d['jobs'])")" = 8 ]
  [ "$(json_query all.json "len([a for j in d['jobs'] for a in j['agents'] if a['status'] == 'running'])")" = 80 ]
  [ "$(state_sql "SELECT COUNT(*) FROM instances")" = 80 ]
  [ "$(count_role agent)" = 80 ]

  for ((j = 0; j < JOBS; j++)); do
    agentctl_bg "stop-$j.out" stop "crowd-$j"
    pids[j]=$BG_PID
  done
  for ((j = 0; j < JOBS; j++)); do
    wait_pid "${pids[$j]}" 120
    [ "$WAIT_STATUS" = 0 ] || { cat "stop-$j.out" >&2; false; }
  done
  expect_no_file_mentions "database is locked" stop-*.out
  expect_no_agents_left 20
}

# lock_held JOB: true while the state's lock table has a row for JOB.
lock_held() {
  [ "$(state_sql "SELECT COUNT(*) FROM locks WHERE job = '$1'" 2>/dev/null)" = 1 ]
}

@test "a second deploy of the same job exits 3 at once while the first holds the lock, or waits with --lock-wait" {
  cat >job.yaml <<'YAML'
job:
  name: contended
agents:
  - id: slowpoke
    command: ["sleep", "1000"]
    health: {none: true, start_period: 5s}
topology:
  type: none
YAML
  agentctl_bg first.out deploy job.yaml
  local first=$BG_PID
  wait_until 20 lock_held contended

  local start took
  start=$(now_ms)
  run agentctl deploy job.yaml
  took=$(($(now_ms) - start))
  expect_status 3
  expect_output_contains contended "lock"
  ((took < 3000)) || {
    echo "the refused deploy took ${took} ms" >&2
    false
  }

  wait_pid "$first" 60
  [ "$WAIT_STATUS" = 0 ] || { cat first.out >&2; false; }
  [ "$(agent_count slowpoke)" = 1 ]

  # Again, now the second one waits for the lock and then deploys (keeping the agent).
  agentctl_bg again.out deploy job.yaml --force-recreate
  local again=$BG_PID
  wait_until 20 lock_held contended
  start=$(now_ms)
  run agentctl deploy job.yaml --lock-wait 60s
  took=$(($(now_ms) - start))
  expect_status 0
  # It could only start once the first one (5 s start period) had finished.
  if pid_alive "$again"; then
    echo "the waiting deploy finished while the first one still ran" >&2
    false
  fi
  wait_pid "$again" 5
  [ "$WAIT_STATUS" = 0 ] || { cat again.out >&2; false; }
  ((took >= 1000 && took < 60000)) || {
    echo "the waiting deploy took ${took} ms" >&2
    false
  }
  [ "$(agent_count slowpoke)" = 1 ]
  run agentctl status contended --check
  expect_status 0
}
