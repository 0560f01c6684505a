#!/usr/bin/env bats
# What goes wrong with container agents, each with a clear message, exit status 1 and nothing
# left half-created: a missing image (found by preflight before anything starts), a container
# that exits at once (its exit status and last log lines), a name held by a container agentctl
# does not own, an engine that cannot be reached; and secrets that stay off every command line.

bats_require_minimum_version 1.5.0
load docker_helpers

setup_file() { docker_setup_file; }
teardown_file() { docker_teardown_file; }
setup() {
  docker_setup
  read -r PORT_A PORT_B < <(free_ports 2)
}
teardown() { docker_teardown; }

@test "a missing image is named by preflight, before any container or network exists" {
  {
    printf 'job:\n  name: %s\nagents:\n' "$JOB"
    container_agent first "$PORT_A"
    container_agent second "$PORT_B"
    printf 'topology:\n  type: pipeline\n  stages: [first, second]\n'
  } >job.yaml
  sed -i "0,/image: $IMAGE/! s|image: $IMAGE|image: agentctl-e2e-no-such-image:v0|" job.yaml
  run "$AGENTCTL" --state-dir "$STATE" deploy job.yaml --progress plain
  expect_status 1
  [[ $output == *"second: image 'agentctl-e2e-no-such-image:v0' is not present on the Docker engine of 127.0.0.1"* ]]
  [[ $output != *"first: image"* ]]
  expect_no_leftovers "$JOB"
}

@test "a container that exits at once: its exit status and last log lines, rolled back" {
  cat >job.yaml <<YAML
job:
  name: $JOB
agents:
  - id: crash
    command: ["/bin/sh", "-c", "echo config missing for \$AGENT_ID; exit 3"]
    config: { port: 8080 }
    deployment: { target: container, image: $IMAGE, publish: "127.0.0.1:$PORT_A" }
YAML
  run "$AGENTCTL" --state-dir "$STATE" deploy job.yaml --progress plain
  expect_status 1
  [[ $output == *"exited with status 3"* ]]
  [[ $output == *"config missing for crash"* ]]
  expect_no_leftovers "$JOB"
}

@test "a container name taken by a container agentctl does not own is refused and left alone" {
  EXTRA_CONTAINERS+=("$JOB-web")
  "$DOCKER" create --name "$JOB-web" "$IMAGE" /bin/sleep 1000 >foreign.id
  {
    printf 'job:\n  name: %s\nagents:\n' "$JOB"
    container_agent web "$PORT_A"
  } >job.yaml
  run "$AGENTCTL" --state-dir "$STATE" deploy job.yaml --progress plain
  expect_status 1
  [[ $output == *"container name '$JOB-web' on the engine of 127.0.0.1 is taken by a container agentctl did not create"* ]]
  [[ $output == *"docker rm $JOB-web"* ]]
  run "$DOCKER" inspect --format '{{.Id}}' "$JOB-web"
  [ "$output" = "$(cat foreign.id)" ]
  expect_no_leftovers "$JOB"

  # Without preflight, docker create meets the name: the same refusal, the container untouched.
  run "$AGENTCTL" --state-dir "$STATE" deploy job.yaml --progress plain --skip-preflight
  expect_status 1
  [[ $output == *"container name '$JOB-web' on the engine of 127.0.0.1 is taken by a container agentctl did not create"* ]]
  run "$DOCKER" inspect --format '{{.Id}}' "$JOB-web"
  [ "$output" = "$(cat foreign.id)" ]
  expect_no_leftovers "$JOB"
}

@test "a container agentctl left behind for the same agent (a crash before recording it) is replaced" {
  "$DOCKER" create --name "$JOB-web" --label "agentctl.job=$JOB" --label agentctl.agent=web "$IMAGE" /bin/sleep 1000 >left.id
  {
    printf 'job:\n  name: %s\nagents:\n' "$JOB"
    container_agent web "$PORT_A"
  } >job.yaml
  run "$AGENTCTL" --state-dir "$STATE" deploy job.yaml --progress plain
  expect_status 0
  run "$DOCKER" inspect --format '{{.Id}}' "$JOB-web"
  [ -n "$output" ] && [ "$output" != "$(cat left.id)" ]
  run "$AGENTCTL" --state-dir "$STATE" stop "$JOB"
  expect_status 0
  expect_no_leftovers "$JOB"
}

@test "an engine that cannot be reached: deploy, status and stop say so" {
  {
    printf 'job:\n  name: %s\nagents:\n' "$JOB"
    container_agent web "$PORT_A"
  } >job.yaml
  DOCKER_HOST="unix://$BATS_TEST_TMPDIR/no-dockerd.sock" run "$AGENTCTL" --state-dir "$STATE" deploy job.yaml --progress plain
  expect_status 1
  [[ $output == *"the Docker daemon is not running on this machine"* ]]
  expect_no_leftovers "$JOB"

  # The daemon going away under a running job, seen through a socket nothing answers on. The
  # shared test engine is never stopped, and a second, private dockerd is not safe on a machine
  # that runs one already: with --bridge=none it deletes the shared docker0 bridge (seen here),
  # and with a bridge it hands out the same 172.17.0.0/16.
  run "$AGENTCTL" --state-dir "$STATE" deploy job.yaml --progress plain
  expect_status 0
  DOCKER_HOST="unix://$BATS_TEST_TMPDIR/no-dockerd.sock" run "$AGENTCTL" --state-dir "$STATE" status "$JOB" -o json
  [ "$(jq -r '.jobs[0].agents[0].status' <<<"$output")" = unknown ]
  DOCKER_HOST="unix://$BATS_TEST_TMPDIR/no-dockerd.sock" run "$AGENTCTL" --state-dir "$STATE" stop "$JOB"
  expect_status 1
  [[ $output == *"the Docker daemon is not running on this machine"* ]]
  run "$AGENTCTL" --state-dir "$STATE" stop "$JOB"
  expect_status 0
  expect_no_leftovers "$JOB"
}

@test "secrets reach the container through an env file only: not in docker inspect's command, ps or the database" {
  export DOCKER_E2E_SECRET="s3cr3t-$RANDOM-value"
  {
    printf 'job:\n  name: %s\nagents:\n' "$JOB"
    container_agent vault "$PORT_A" 'environment: { API_TOKEN: "${DOCKER_E2E_SECRET}" }'
  } >job.yaml
  run "$AGENTCTL" --state-dir "$STATE" deploy job.yaml --progress plain
  expect_status 0
  [[ $output != *"$DOCKER_E2E_SECRET"* ]]
  run "$DOCKER" exec "$JOB-vault" sh -c 'echo "$API_TOKEN"'
  [ "$output" = "$DOCKER_E2E_SECRET" ]
  run "$DOCKER" inspect --format '{{json .Path}} {{json .Args}} {{json .Config.Cmd}} {{json .Config.Entrypoint}}' "$JOB-vault"
  expect_status 0
  [[ $output == *'echo agent $AGENT_ID up'* ]]
  [[ $output != *"$DOCKER_E2E_SECRET"* ]]
  run ps -eo args
  [[ $output != *"$DOCKER_E2E_SECRET"* ]]
  # The database and logs never hold it (the 0600 launch record may: a restart needs it).
  run grep -r --binary-files=text -l "$DOCKER_E2E_SECRET" "$STATE" --exclude=instance.json
  [ -z "$output" ]
  [ -z "$(find "$STATE" -name container.env)" ]
  run "$AGENTCTL" --state-dir "$STATE" inspect "$JOB" vault
  [[ $output == *"API_TOKEN"* ]]
  [[ $output != *"$DOCKER_E2E_SECRET"* ]]
  run "$AGENTCTL" --state-dir "$STATE" stop "$JOB"
  expect_status 0
  expect_no_leftovers "$JOB"
}

@test "permission denied on the Docker socket: a user outside the docker group is told how to fix it" {
  [ "$(id -u)" = 0 ] || skip "needs root to run agentctl as the unprivileged user nobody"
  # The real socket, reached by a real user without access to it (root:docker, mode 0660).
  local dir
  dir=$(mktemp -d)
  chmod 755 "$dir"
  mkdir "$dir/state"
  chown nobody "$dir/state"
  {
    printf 'job:\n  name: %s\nagents:\n' "$JOB"
    container_agent web "$PORT_A"
  } >"$dir/job.yaml"
  : >"$dir/ssh_config"
  # A copy nobody can run wherever the checkout is (its parents may be closed to others).
  cp "$AGENTCTL" "$(dirname "$AGENTCTL")/agentctl-shim" "$dir/"
  AGENTCTL_SSH_CONFIG="$dir/ssh_config" run runuser -u nobody -- "$dir/agentctl" --state-dir "$dir/state" deploy "$dir/job.yaml" --progress plain
  rm -rf "$dir"
  echo "$output"
  expect_status 1
  [[ $output == *"web: permission denied on the Docker socket on this machine ("* ]]
  [[ $output == *"add this user to the 'docker' group (then log in again) or run agentctl as root"* ]]
  expect_no_leftovers "$JOB"
}
