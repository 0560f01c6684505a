#!/usr/bin/env bats
# Docker over SSH (DESIGN.md §2 deployment.host, §4): a container agent naming an SSH host runs
# on that host's engine, every docker command sent over agentctl's SSH session. The host is the
# test sshd on 127.0.0.1 (alias "lo", the fleet's own ssh_config, known_hosts and key), whose
# engine is this machine's: reached exactly as a remote host would be.

bats_require_minimum_version 1.5.0
load docker_helpers
load ssh_fixture

setup_file() {
  docker_setup_file
  [ -n "${DOCKER_SKIP:-}" ] || { fleet_require && fleet_up 1; }
}
teardown_file() {
  fleet_down
  docker_teardown_file
}
setup() {
  docker_setup
  fleet_setup
  read -r PORT_WEB PORT_APP < <(free_ports 2)
  export DOCKER_SSH_SECRET="s3cr3t-$RANDOM-over-ssh"
}
teardown() {
  fleet_teardown "$JOB"
  docker_remove_job "$JOB"
}

# web_yaml HOST: a busybox-httpd container on HOST's engine, listening on PORT_WEB (no
# `publish`: published on the address agentctl reaches the host at) with a secret.
web_yaml() {
  cat <<YAML
  - id: web
    command: ["/bin/sh", "-c", "echo agent \$AGENT_ID up; mkdir -p /www; echo ok >/www/health; exec /bin/busybox httpd -f -p \$AGENT_PORT -h /www"]
    config: { port: $PORT_WEB }
    health: { http: /health, interval: 0.5s, timeout: 2s, retries: 3 }
    stop: { signal: SIGTERM, timeout: 1s }
    deployment:
      target: container
      image: $IMAGE
      host: $1
      environment: { API_TOKEN: "\${DOCKER_SSH_SECRET}" }
YAML
}

# Every command line on this machine, sampled until process $1 exits: prints the files of those
# naming the secret (the pattern comes from a file: grep's own command line must not hold it).
watch_cmdlines() {
  local pid=$1
  printf '%s\n' "$DOCKER_SSH_SECRET" >secret.pattern
  SWEEPS=0
  while kill -0 "$pid" 2>/dev/null; do
    grep -F -l -a -f secret.pattern /proc/[0-9]*/cmdline 2>/dev/null || true
    SWEEPS=$((SWEEPS + 1))
  done
}

@test "a container agent on an SSH host's engine: ready, status, logs, env, secret kept off command lines, stop" {
  {
    printf 'job:\n  name: %s\nagents:\n' "$JOB"
    web_yaml lo
    cat <<YAML
  - id: app
    command: ["/bin/sh", "-c", "echo \"\$AGENT_PEER_WEB_URL\" >peer_url; exec sleep 300"]
    health: { none: true, start_period: 0s }
    deployment: { target: localhost, workdir: . }
topology:
  type: dag
  connections:
    - { from: app, to: web }
YAML
  } >job.yaml
  "$AGENTCTL" --state-dir "$STATE" deploy job.yaml --progress plain >deploy.out 2>&1 &
  local deploy_pid=$!
  track_pid "$deploy_pid"
  watch_cmdlines "$deploy_pid" >cmdline_hits
  echo "command lines swept $SWEEPS times during the deploy"
  local deploy_status=0
  wait "$deploy_pid" || deploy_status=$?
  cat deploy.out
  [ "$deploy_status" -eq 0 ]
  [ "$SWEEPS" -ge 2 ]
  [ ! -s cmdline_hits ]
  ! grep -qF -- "$DOCKER_SSH_SECRET" deploy.out

  # The docker commands went over the session: sshd logged the key of the test fleet.
  [ "$(fleet_auth_count lo)" -ge 1 ]
  # Published on the address agentctl reaches "lo" at, and answering there.
  run "$DOCKER" inspect --format '{{json .HostConfig.PortBindings}}' "$JOB-web"
  [ "$output" = "{\"$PORT_WEB/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"$PORT_WEB\"}]}" ]
  run http_get "http://127.0.0.1:$PORT_WEB/health"
  [ "${lines[0]}" = 200 ]
  # The local agent was given the container's publish address.
  [ "$(cat peer_url)" = "http://127.0.0.1:$PORT_WEB" ]

  run "$AGENTCTL" --state-dir "$STATE" status "$JOB" -o json
  expect_status 0
  [ "$(jq -r '[.jobs[0].agents[] | "\(.id)=\(.target)=\(.host)=\(.status)"] | sort | join(",")' <<<"$output")" = \
    "app=localhost=127.0.0.1=running,web=container=lo=healthy" ]

  run "$AGENTCTL" --state-dir "$STATE" logs "$JOB" web
  expect_status 0
  [[ $output == *"agent web up"* ]]

  # The secret reached the container through the env file only.
  run "$DOCKER" exec "$JOB-web" sh -c 'echo "$API_TOKEN $AGENT_ID"'
  [ "$output" = "$DOCKER_SSH_SECRET web" ]
  run "$DOCKER" inspect --format '{{json .Path}} {{json .Args}} {{json .Config.Cmd}}' "$JOB-web"
  expect_status 0
  [[ $output == *'echo agent $AGENT_ID up'* ]]
  [[ $output != *"$DOCKER_SSH_SECRET"* ]]
  # The env file written over SFTP on "lo" was removed after docker create.
  [ -d "$FLEET/lo/state/agentctl/docker/$JOB" ]
  [ -z "$(find "$FLEET/lo/state" -name '*.env')" ]

  run "$AGENTCTL" --state-dir "$STATE" stop "$JOB"
  expect_status 0
  expect_no_leftovers "$JOB"
  # Its log was kept on agentctl's machine when the container was removed.
  run "$AGENTCTL" --state-dir "$STATE" logs "$JOB" web
  [[ $output == *"agent web up"* ]]
}

@test "an SSH host whose key is not known: the container agent is refused with the fingerprint, nothing created" {
  : >"$BATS_TEST_TMPDIR/empty_known_hosts"
  export AGENTCTL_KNOWN_HOSTS="$BATS_TEST_TMPDIR/empty_known_hosts"
  { printf 'job:\n  name: %s\nagents:\n' "$JOB"; web_yaml lo; } >job.yaml
  run "$AGENTCTL" --state-dir "$STATE" deploy job.yaml --progress plain
  expect_status 1
  [[ $output == *"host key of lo (root@127.0.0.1:"*") is not known: ssh-ed25519 SHA256:"* ]]
  [[ $output == *"--accept-new-host-keys"* ]]
  expect_no_leftovers "$JOB"
}

@test "an SSH host that refuses the connection: the container agent is refused naming it, nothing created" {
  # An alias of --ssh-config on 127.0.0.1 at a port nothing listens on.
  local closed
  closed=$(free_ports 1)
  { cat "$FLEET/ssh_config"; printf 'Host dead\n  HostName 127.0.0.1\n  Port %s\n' "$closed"; } >ssh_config
  { printf 'job:\n  name: %s\nagents:\n' "$JOB"; web_yaml dead; } >job.yaml
  run "$AGENTCTL" --state-dir "$STATE" --ssh-config ssh_config deploy job.yaml --progress plain
  expect_status 1
  [[ $output == *"web: "*"dead"*"127.0.0.1:$closed"* ]]
  expect_no_leftovers "$JOB"
}

@test "a loopback publish on a host reached at another address is refused by preflight, nothing created" {
  # h1 is a network namespace (its own loopback) reached at 10.231.T.2: its 127.0.0.1 is not ours.
  { printf 'job:\n  name: %s\nagents:\n' "$JOB"; web_yaml h1; } >job.yaml
  sed -i "s|^      host: h1|      host: h1\n      publish: \"127.0.0.1:$PORT_WEB\"|" job.yaml
  run "$AGENTCTL" --state-dir "$STATE" deploy job.yaml --progress plain
  expect_status 1
  [[ $output == *"web: publish '127.0.0.1:$PORT_WEB' binds the loopback of h1, which agentctl's machine cannot reach"* ]]
  expect_no_leftovers "$JOB"
}
