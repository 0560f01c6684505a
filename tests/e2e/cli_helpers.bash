# Shared setup for the CLI's bats tests (loaded with `load cli_helpers`).
# Each test gets its own state dir and an empty ssh_config, so nothing from this machine's
# ~/.local/state or ~/.ssh/config can change what agentctl prints.

cli_setup() {
  SOURCE_DIR=${AGENTCTL_SOURCE_DIR:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
  AGENTCTL=${AGENTCTL:-$SOURCE_DIR/build/apps/agentctl/agentctl}
  [ -x "$AGENTCTL" ] || {
    echo "no agentctl binary at $AGENTCTL (set AGENTCTL)" >&2
    return 1
  }
  STATE="$BATS_TEST_TMPDIR/state"
  export AGENTCTL_SSH_CONFIG="$BATS_TEST_TMPDIR/ssh_config"
  : >"$AGENTCTL_SSH_CONFIG"
  unset AGENTCTL_STATE_DIR AGENTCTL_KNOWN_HOSTS NO_COLOR
  cd "$BATS_TEST_TMPDIR"
}

# agentctl with this test's private state dir.
agentctl() {
  "$AGENTCTL" --state-dir "$STATE" "$@"
}

# A valid hub-spoke job: controller is the hub of weather and maps, all on this machine.
write_hub_spoke() {
  cat >"${1:-hub.yaml}" <<'YAML'
job:
  name: tiny-hub
  version: "1.0.0"
  description: A hub and two spokes
agents:
  - id: weather
    type: WeatherAgent
    module: agents.weather
    config:
      port: 19001
  - id: maps
    type: MapsAgent
    command: ["./maps", "--port", "$(AGENT_PORT)"]
    config:
      port: 19002
  - id: controller
    type: ControllerAgent
    module: agents.controller
    config:
      port: 19000
topology:
  type: hub-spoke
  hub: controller
  spokes: [weather, maps]
YAML
}

# Fails the test with both output streams shown when $status is not $1.
expect_status() {
  if [ "$status" -ne "$1" ]; then
    echo "expected exit status $1, got $status" >&2
    echo "--- output:" >&2
    echo "$output" >&2
    return 1
  fi
}
