#!/usr/bin/env bats
# Process identity, job ownership and secrets (DESIGN.md §2 "Secrets", §4 "Local", §5):
# - a recorded pid that is alive but whose start time no longer matches is never signalled;
# - a job name deployed from another file is refused unless --force;
# - a ${VAR} value in deployment.environment reaches the agent but nothing else: not the state
#   database or any other file of the state dir (only the 0600 launch records may hold it), not
#   status/plan/inspect/list or progress output, not agentctl's stderr, not any command line.

load deploy_helpers

setup() {
  deploy_setup
}

teardown() {
  deploy_teardown
}

@test "stop refuses to signal a recorded pid whose start time no longer matches" {
  cat >job.yaml <<YAML
job:
  name: identity
agents:
$(sleep_agent_yaml lonely)
topology:
  type: none
YAML
  run agentctl deploy job.yaml
  expect_status 0
  status_json before.json identity
  local pid
  pid=$(status_agent before.json identity lonely pid)
  pid_alive "$pid"
  [ "$(agent_count lonely)" = 1 ]

  # The same pids, other start times: as if both processes had died and the pids been reused.
  state_sql "UPDATE instances SET agent_start = agent_start + 100000, shim_start = shim_start + 100000 WHERE job = 'identity'"
  [ "$(state_sql "SELECT agent_pid FROM instances WHERE job = 'identity'")" = "$pid" ]

  run agentctl stop identity
  expect_status 1
  expect_output_contains lonely
  sleep 0.5
  pid_alive "$pid" || {
    echo "stop signalled pid $pid although its start time did not match" >&2
    false
  }
  [ "$(agent_count lonely)" = 1 ]
  [ "$(count_role shim)" = 1 ]
}

@test "the same job name from a different file is refused naming both files, and --force proceeds" {
  mkdir -p team-a team-b
  cat >team-a/job.yaml <<YAML
job:
  name: shared-name
agents:
$(sleep_agent_yaml worker)
topology:
  type: none
YAML
  cp team-a/job.yaml team-b/job.yaml
  local file_a file_b
  file_a=$(realpath team-a/job.yaml)
  file_b=$(realpath team-b/job.yaml)

  run agentctl deploy team-a/job.yaml
  expect_status 0
  status_json a.json shared-name
  local pid
  pid=$(status_agent a.json shared-name worker pid)

  run agentctl deploy team-b/job.yaml
  expect_status 1
  expect_output_contains shared-name "$file_a" "$file_b"
  # The refused deploy touched nothing.
  status_json refused.json shared-name
  [ "$(status_agent refused.json shared-name worker pid)" = "$pid" ]
  [ "$(agent_count worker)" = 1 ]

  run agentctl deploy team-b/job.yaml --force
  expect_status 0
  [ "$(agent_count worker)" = 1 ]
  run agentctl status shared-name --check
  expect_status 0
  # team-b owns it now: team-a's file is the one refused.
  run agentctl deploy team-a/job.yaml
  expect_status 1
  expect_output_contains "$file_a" "$file_b"
}

# A background sampler of every process's command line (every 50 ms) that appends any command
# line containing $SECRET_TOKEN to cmdline-hits.txt until the file "stop-sampler" exists. It
# reads the secret from its environment, so it is not on its own command line.
start_cmdline_sampler() {
  "$PYTHON" -c '
import os, time
secret = os.environ["SECRET_TOKEN"].encode()
samples = 0
with open("cmdline-hits.txt", "ab") as hits:
    while not os.path.exists("stop-sampler"):
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    cmdline = f.read()
            except OSError:
                continue
            if secret in cmdline:
                hits.write(name.encode() + b": " + cmdline.replace(b"\0", b" ") + b"\n")
                hits.flush()
        samples += 1
        time.sleep(0.05)
with open("sampler-count.txt", "w") as f:
    f.write(str(samples))
' 3>&- &
  SAMPLER=$!
  track_pid "$SAMPLER"
}

@test "a \${VAR} secret reaches the agent but no state file, output, stderr or command line" {
  export SECRET_TOKEN=s3cr3t-VALUE-42
  # grep reads the pattern from a file: on its command line it would be a leak of the test's own.
  printf '%s\n' "$SECRET_TOKEN" >secret.pattern
  local port
  port=$(free_ports 1)
  cat >job.yaml <<YAML
job:
  name: secretive
environment:
  LOG_LEVEL: INFO
agents:
  - id: keeper
    command: ["sh", "-c", "printf '%s' \"\$TOKEN\" >token.txt; exec sleep 1000"]
    health: {none: true, start_period: 0.2s}
    deployment:
      environment: {TOKEN: "\${SECRET_TOKEN}"}
$(echo_agent_yaml talker "$port")
    deployment:
      environment:
        AGENT_TOKEN: "\${SECRET_TOKEN}"
topology:
  type: pipeline
  stages: [keeper, talker]
YAML
  grep -q '${SECRET_TOKEN}' job.yaml

  start_cmdline_sampler
  sleep 0.2
  agentctl deploy job.yaml >deploy.out 2>deploy.err || { cat deploy.out deploy.err >&2; false; }
  agentctl deploy job.yaml --force-recreate --progress json >deploy-json.out 2>deploy-json.err ||
    { cat deploy-json.out deploy-json.err >&2; false; }
  agentctl status >status.out 2>status.err
  agentctl status secretive -o json >status-json.out 2>status-json.err
  agentctl status secretive -o wide >status-wide.out 2>status-wide.err
  agentctl plan job.yaml >plan.out 2>plan.err
  agentctl plan job.yaml -o json >plan-json.out 2>plan-json.err
  agentctl inspect secretive >inspect.out 2>inspect.err
  agentctl inspect secretive keeper -o json >inspect-keeper.out 2>inspect-keeper.err
  agentctl inspect secretive talker -o yaml >inspect-talker.out 2>inspect-talker.err
  agentctl list >list.out 2>list.err
  agentctl restart secretive keeper >restart.out 2>restart.err
  touch stop-sampler
  wait_pid "$SAMPLER" 10

  # The commands did show the job (an empty output would leak nothing).
  local out
  for out in deploy.out deploy-json.out status.out status-json.out plan.out plan-json.out inspect.out; do
    grep -q keeper "$out" || { echo "$out does not mention keeper" >&2; false; }
  done

  # It did reach both agents.
  [ "$(cat token.txt)" = "$SECRET_TOKEN" ]
  [ "$(env_of "$port" AGENT_TOKEN)" = "$SECRET_TOKEN" ]
  # inspect names the variable and masks its value.
  grep -q TOKEN inspect.out
  grep -qF '***' inspect.out
  grep -q TOKEN inspect-keeper.out

  # No command line ever held it.
  (($(cat sampler-count.txt) >= 10))
  [ ! -s cmdline-hits.txt ] || {
    echo "command lines holding the secret:" >&2
    cat cmdline-hits.txt >&2
    false
  }
  # No output or stderr of agentctl.
  local leaked
  leaked=$(grep -lF -f secret.pattern ./*.out ./*.err || true)
  [ -z "$leaked" ] || {
    echo "agentctl output holding the secret: $leaked" >&2
    false
  }
  # No file of the state dir (database, WAL, logs, status files...) but the launch records,
  # which are the owner's alone: the deployer's instance.json and the local runner's launch.json
  # in each instance's run dir.
  [ -e "$STATE/state.db" ]
  local file
  while IFS= read -r file; do
    [[ $(basename "$file") == instance.json || $(basename "$file") == launch.json ]] || {
      echo "the secret is in $file" >&2
      false
    }
  done < <(grep -rlaF -f secret.pattern "$STATE")
  local records=0
  while IFS= read -r file; do
    records=$((records + 1))
    [ "$(stat -c %a "$file")" = 600 ] || {
      echo "$file has mode $(stat -c %a "$file")" >&2
      false
    }
  done < <(find "$STATE" -name instance.json -o -name launch.json)
  ((records >= 2))
}
