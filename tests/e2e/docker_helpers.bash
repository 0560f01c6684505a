# Shared setup for the docker_*.bats tests (`load docker_helpers`): a real Docker engine
# (tests/support/docker-up.sh starts Debian's dockerd when `docker info` fails), a busybox test
# image imported per file, and a per-test job name. Teardown removes every container and
# network labelled with the test's job, and whatever else the test listed in EXTRA_CONTAINERS.
# Under CI=true a missing engine fails the tests; elsewhere they are skipped, saying why.

load deploy_helpers

DOCKER=/usr/bin/docker

# setup_file: the engine and this file's image (IMAGE).
docker_setup_file() {
  local source_dir=${AGENTCTL_SOURCE_DIR:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
  export IMAGE="agentctl-e2e-$(basename "$BATS_TEST_FILENAME" .bats | tr _ -):$$"
  if ! "$source_dir/tests/support/docker-up.sh" --image "$IMAGE" >"$BATS_FILE_TMPDIR/docker-up.log" 2>&1; then
    if [ "${CI:-}" = true ]; then
      cat "$BATS_FILE_TMPDIR/docker-up.log" >&2
      return 1
    fi
    export DOCKER_SKIP="no Docker engine here: $(tail -1 "$BATS_FILE_TMPDIR/docker-up.log")"
  fi
}

docker_teardown_file() {
  [ -n "${DOCKER_SKIP:-}" ] || "$DOCKER" image rm --force "$IMAGE" >/dev/null 2>&1 || true
}

# setup: deploy_setup, then JOB (unique per test) and the skip outside CI without an engine.
docker_setup() {
  [ -z "${DOCKER_SKIP:-}" ] || skip "$DOCKER_SKIP"
  deploy_setup
  JOB="d$(date +%s%N | tail -c 7)$RANDOM"
  EXTRA_CONTAINERS=()
}

docker_teardown() {
  deploy_teardown "$JOB"
  docker_remove_job "$JOB"
  local name
  for name in "${EXTRA_CONTAINERS[@]}"; do
    "$DOCKER" rm --force "$name" >/dev/null 2>&1 || true
  done
}

# docker_remove_job JOB: removes every container and network labelled agentctl.job=JOB.
docker_remove_job() {
  local ids
  ids=$("$DOCKER" ps --all --quiet --filter "label=agentctl.job=$1")
  [ -z "$ids" ] || "$DOCKER" rm --force $ids >/dev/null 2>&1 || true
  ids=$("$DOCKER" network ls --quiet --filter "label=agentctl.job=$1")
  [ -z "$ids" ] || "$DOCKER" network rm $ids >/dev/null 2>&1 || true
}

# job_leftovers JOB: prints the containers and networks still labelled with JOB (none: empty).
job_leftovers() {
  "$DOCKER" ps --all --format 'container {{.Names}}' --filter "label=agentctl.job=$1"
  "$DOCKER" network ls --format 'network {{.Name}}' --filter "label=agentctl.job=$1"
}

# expect_no_leftovers JOB: fails listing them when JOB left a container or network behind.
expect_no_leftovers() {
  local left
  left=$(job_leftovers "$1")
  if [ -n "$left" ]; then
    echo "left behind: $left" >&2
    return 1
  fi
}

# container_agent ID PUBLISH_PORT [EXTRA YAML LINES...]: one busybox-httpd container agent
# listening on 8080 inside, published on 127.0.0.1:PUBLISH_PORT, logging one line at start.
container_agent() {
  local id=$1 port=$2
  shift 2
  cat <<YAML
  - id: $id
    type: HttpdAgent
    command: ["/bin/sh", "-c", "echo agent \$AGENT_ID up; exec /bin/busybox httpd -f -p 8080 -h /www"]
    config:
      port: 8080
    health: { http: /health, interval: 1s, timeout: 2s, retries: 3 }
    stop: { signal: SIGTERM, timeout: 1s }
    deployment:
      target: container
      image: $IMAGE
      publish: "127.0.0.1:$port"
YAML
  local line
  for line in "$@"; do printf '      %s\n' "$line"; done
}
