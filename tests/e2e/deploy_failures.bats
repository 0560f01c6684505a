#!/usr/bin/env bats
# Deploys that fail, through the real binary with real agent processes (DESIGN.md §4 "On a
# deploy failure", §6 exit codes): an agent that exits at once, one that never becomes ready,
# a failed re-deploy that must restore the previous revision, a port already taken, preflight
# (commands, modules, workdirs, ports) refusing before anything starts,
# `--on-failure keep`, and Ctrl-C in the middle of a deploy.

load deploy_helpers

setup() {
  deploy_setup
}

teardown() {
  deploy_teardown
}

# agentctl_bg_interruptible OUT ARGS...: agentctl_bg, but with SIGINT at its default disposition
# as at a terminal (bash starts background jobs with SIGINT ignored, and an ignored signal stays
# ignored across exec, so a careful program that respects it would never see the test's ^C).
agentctl_bg_interruptible() {
  local out=$1
  shift
  "$PYTHON" -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
    "$AGENTCTL" --state-dir "$STATE" "$@" >"$out" 2>&1 3>&- &
  BG_PID=$!
  track_pid "$BG_PID"
}

@test "an agent that exits at once fails the deploy at once, with its exit status and log tail" {
  cat >job.yaml <<'YAML'
job:
  name: exits-at-once
agents:
  - id: quitter
    command: ["sh", "-c", "echo quitter is giving up; exit 3"]
    health: {none: true, start_period: 8s}
topology:
  type: none
YAML
  local start took
  start=$(now_ms)
  run agentctl deploy job.yaml
  took=$(($(now_ms) - start))
  expect_status 1
  expect_output_contains quitter "status 3" "quitter is giving up"
  # Reported when it exits, not when its 8 s start period is over.
  ((took < 6000)) || {
    echo "the failure took ${took} ms to be reported" >&2
    false
  }
  expect_no_agents_left 5

  status_json status.json exits-at-once
  [ "$(json_query status.json "d['jobs'][0]['status']")" = failed ]
  # A failed job is not "up", even with no instance left to be down.
  run agentctl status exits-at-once --check
  expect_status 1
}

@test "an agent that never becomes ready fails at its deadline, is named with its log tail, and its peers are rolled back" {
  local port
  port=$(free_ports 1)
  cat >job.yaml <<YAML
job:
  name: never-ready
agents:
$(sleep_agent_yaml early)
  - id: stuck
    command: ["sh", "-c", "echo stuck is waiting for nothing; exec sleep 1000"]
    config:
      port: $port
    health: {http: /health, interval: 0.2s}
topology:
  type: pipeline
  stages: [early, stuck]
deployment:
  timeout: 2
YAML
  local start took
  start=$(now_ms)
  run agentctl deploy job.yaml
  took=$(($(now_ms) - start))
  expect_status 1
  expect_output_contains stuck "2s" "stuck is waiting for nothing"
  ((took >= 2000 && took < 20000)) || {
    echo "the deploy failed after ${took} ms; the deadline was 2 s" >&2
    false
  }
  # The rollback stops `early` too: it was started by this deploy, in the stage before.
  expect_no_agents_left 10

  status_json status.json never-ready
  [ "$(json_query status.json "d['jobs'][0]['status']")" = failed ]
  [ "$(json_query status.json "[a['id'] for j in d['jobs'] for a in j['agents'] if a['status'] in ('healthy', 'running', 'starting')]")" = "[]" ]
}

@test "a failed re-deploy restores the previous revision of the agent it replaced" {
  local ports base_port top_port
  ports=($(free_ports 2))
  base_port=${ports[0]} top_port=${ports[1]}
  write_v() {
    cat >job.yaml <<YAML
job:
  name: redeploy
agents:
$(echo_agent_yaml base "$base_port")
$1
topology:
  type: pipeline
  stages: [base, top]
YAML
  }
  write_v "$(echo_agent_yaml top "$top_port" "      release: v1")"
  run agentctl deploy job.yaml
  expect_status 0
  status_json v1.json redeploy
  local base_pid top_pid v1_job_id
  base_pid=$(status_agent v1.json redeploy base pid)
  top_pid=$(status_agent v1.json redeploy top pid)
  [ "$(env_of "$top_port" AGENT_RELEASE)" = v1 ]
  v1_job_id=$(env_of "$top_port" JOB_ID)
  [[ $v1_job_id == redeploy-2* ]]

  # v2 breaks `top`: its new command exits at once.
  write_v "  - id: top
    command: [\"sh\", \"-c\", \"echo top v2 is broken; exit 7\"]
    config:
      port: $top_port
      release: v2
    health: {http: /health, interval: 0.2s}"
  run agentctl deploy job.yaml
  expect_status 1
  expect_output_contains top "status 7" "top v2 is broken"

  # `top` runs again with its v1 launch: same config, same JOB_ID; `base` was never touched.
  wait_until 10 eval '[[ $(http_get "http://127.0.0.1:'"$top_port"'/health" | head -1) == 200 ]]'
  [ "$(env_of "$top_port" AGENT_RELEASE)" = v1 ]
  [ "$(env_of "$top_port" JOB_ID)" = "$v1_job_id" ]
  status_json after.json redeploy
  [ "$STATUS_EXIT" = 0 ]
  [ "$(json_query after.json "d['jobs'][0]['status']")" = running ]
  [ "$(json_query after.json "d['jobs'][0]['revision']")" = 1 ]
  [ "$(status_agent after.json redeploy top status)" = healthy ]
  [ "$(status_agent after.json redeploy base status)" = healthy ]
  [ "$(status_agent after.json redeploy base pid)" = "$base_pid" ]
  local new_top_pid
  new_top_pid=$(status_agent after.json redeploy top pid)
  pid_alive "$new_top_pid"
  [[ $(tr '\0' ' ' <"/proc/$new_top_pid/cmdline") == *echo_agent.py* ]]
  [ "$(agent_count top)" = 1 ]
  [ "$(agent_count base)" = 1 ]
  run agentctl status redeploy --check
  expect_status 0
  [ "$(state_sql "SELECT revision || ':' || outcome FROM revisions WHERE job = 'redeploy' ORDER BY revision")" = "1:succeeded
2:rolled-back" ]
}

@test "a port already taken by another process fails the deploy clearly and leaves that process alone" {
  local port holder
  port=$(free_ports 1)
  "$PYTHON" -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
print("listening", flush=True)
time.sleep(600)
' "$port" >holder.out 2>&1 3>&- &
  holder=$!
  # Teardown kills it; disowned, bash does not report that as "Killed" in the test's output.
  disown "$holder"
  track_pid "$holder"
  wait_until 10 grep -q listening holder.out

  cat >job.yaml <<YAML
job:
  name: port-taken
agents:
$(echo_agent_yaml squatter "$port")
topology:
  type: none
deployment:
  timeout: 20
YAML
  # Preflight finds the port taken before anything starts or is recorded.
  run agentctl deploy job.yaml
  expect_status 1
  expect_output_contains "preflight: squatter: port $port on 127.0.0.1 is already in use" "--skip-preflight" \
    "nothing was started or recorded"
  [ "$(count_role shim)" -eq 0 ]
  run agentctl status port-taken
  expect_status 4

  # Without preflight the agent itself fails to bind, and says so in its log.
  local start took
  start=$(now_ms)
  run agentctl deploy job.yaml --skip-preflight
  took=$(($(now_ms) - start))
  expect_status 1
  expect_output_contains squatter "$port"
  grep -qi "in use" <<<"$output" || {
    echo "the output does not say the port is in use:" >&2
    echo "$output" >&2
    false
  }
  # An agent that cannot bind exits: no waiting for the 20 s deadline.
  ((took < 15000))
  pid_alive "$holder"
  expect_no_agents_left 5
}

@test "preflight refuses missing commands, modules and workdirs together, before anything starts" {
  local ports
  ports=($(free_ports 2))
  mkdir -p pkg/agents_ok
  : >pkg/agents_ok/__init__.py
  echo 'print("module ran")' >pkg/agents_ok/worker.py
  cat >job.yaml <<YAML
job:
  name: preflight
agents:
$(echo_agent_yaml good "${ports[0]}")
  - id: nocmd
    command: ["agentctl-test-no-such-command", "--flag"]
    health: {none: true}
  - id: nofile
    command: ["./bin/missing-agent"]
    health: {none: true}
  - id: nomodule
    module: agents_ok.absent
    health: {none: true}
    deployment: {workdir: pkg, python: $PYTHON}
  - id: okmodule
    module: agents_ok.worker
    health: {none: true}
    deployment: {workdir: pkg, python: $PYTHON}
  - id: nodir
    command: ["sleep", "100"]
    health: {none: true}
    deployment: {workdir: no-such-dir}
topology:
  type: none
YAML
  run agentctl deploy job.yaml
  expect_status 1
  expect_output_contains \
    "preflight: nocmd: command agentctl-test-no-such-command was not found on PATH" \
    "preflight: nofile: command ./bin/missing-agent is not an executable file" \
    "preflight: nomodule: $PYTHON cannot import agents_ok.absent" "no module named agents_ok.absent" \
    "preflight: nodir: workdir $PWD/no-such-dir is not a directory" \
    "preflight found 4 problems; nothing was started or recorded"
  # The module that exists is found without being run, and healthy agents are not named.
  [[ $output != *"module ran"* ]]
  [[ $output != *"preflight: okmodule"* ]]
  [[ $output != *"preflight: good"* ]]
  [ "$(count_role shim)" -eq 0 ]
  run agentctl list --all -o json
  expect_status 0
  [[ $output != *preflight* ]]
}

@test "preflight leaves out the port of an agent it replaces, and a re-deploy with the port held passes" {
  local port
  port=$(free_ports 1)
  cat >job.yaml <<YAML
job:
  name: replace-port
agents:
$(echo_agent_yaml web "$port" "      release: v1")
topology:
  type: none
YAML
  run agentctl deploy job.yaml
  expect_status 0
  sed -i 's/release: v1/release: v2/' job.yaml
  # The running v1 holds the port; it is stopped before v2 starts, so preflight must not object.
  run agentctl deploy job.yaml
  expect_status 0
  [ "$(env_of "$port" AGENT_RELEASE)" = v2 ]
  run agentctl stop replace-port
  expect_status 0
}

@test "--on-failure keep leaves the started agents running and status shows the failed one" {
  cat >job.yaml <<'YAML'
job:
  name: keep-going
agents:
  - id: first
    command: ["sleep", "1000"]
    health: {none: true, start_period: 0.2s}
  - id: second
    command: ["sh", "-c", "echo second gives up; exit 4"]
    health: {none: true, start_period: 5s}
topology:
  type: pipeline
  stages: [first, second]
YAML
  run agentctl deploy job.yaml --on-failure keep
  expect_status 1
  expect_output_contains second "status 4" "second gives up"
  [ "$(agent_count first)" = 1 ]

  status_json status.json keep-going
  [ "$(status_agent status.json keep-going first status)" = running ]
  local second_status
  second_status=$(status_agent status.json keep-going second status)
  [[ $second_status == exited || $second_status == failed ]] || {
    echo "second's status is $second_status" >&2
    false
  }
  [ "$(status_agent status.json keep-going second exit_status)" = 4 ]
  pid_alive "$(status_agent status.json keep-going first pid)"
  run agentctl status keep-going --check
  expect_status 1

  run agentctl stop keep-going
  expect_status 0
  expect_no_agents_left 10
}

@test "SIGINT mid-deploy exits 130, rolls back, and a re-deploy converges" {
  local port
  port=$(free_ports 1)
  cat >job.yaml <<YAML
job:
  name: interrupted
agents:
$(sleep_agent_yaml first)
  - id: slow
    command: ["sh", "-c", "while [ ! -e '$BATS_TEST_TMPDIR/go' ]; do sleep 0.1; done; exec '$PYTHON' '$ECHO_AGENT'"]
    config:
      port: $port
    health: {http: /health, interval: 0.2s}
topology:
  type: pipeline
  stages: [first, slow]
deployment:
  timeout: 120
YAML
  agentctl_bg_interruptible deploy.out deploy job.yaml
  local deployer=$BG_PID
  # `slow` has started (its gate keeps it from ever being ready) once a process carries its id.
  wait_until 20 eval '[ "$(agent_count slow)" -ge 1 ]'
  sleep 0.5
  kill -INT "$deployer"
  local start took
  start=$(now_ms)
  wait_pid "$deployer" 30
  took=$(($(now_ms) - start))
  [ "$WAIT_STATUS" = 130 ] || {
    echo "agentctl exited $WAIT_STATUS after SIGINT; its output:" >&2
    cat deploy.out >&2
    false
  }
  ((took < 20000))
  expect_no_agents_left 10

  # State is consistent: status answers and claims nothing is alive.
  status_json status.json
  [[ $STATUS_EXIT == 0 || $STATUS_EXIT == 1 ]]
  [ "$(json_query status.json "[a['id'] for j in d['jobs'] for a in j['agents'] if a['status'] in ('healthy', 'running', 'starting')]")" = "[]" ]
  # The revision is closed as interrupted, not left pending (lib/state/schema.cpp's table).
  [ "$(state_sql "SELECT outcome FROM revisions WHERE job = 'interrupted' AND revision = 1")" = interrupted ]

  touch go
  run agentctl deploy job.yaml
  expect_status 0
  run agentctl status interrupted --check
  expect_status 0
  [ "$(agent_count first)" = 1 ]
  [ "$(agent_count slow)" = 1 ]
  [ "$(http_get "http://127.0.0.1:$port/health" | head -1)" = 200 ]
  run agentctl stop interrupted
  expect_status 0
  expect_no_agents_left 10
}
