# The SSH fleet for ssh_*.bats (load ssh_fixture): hosts h1..hN as network namespaces, each with
# its own sshd, plus "lo", an sshd on 127.0.0.1 (tests/support/ssh_fleet.sh does the work).
# Call fleet_up N from setup_file and fleet_down from teardown_file; every test points agentctl
# at the fleet's own ssh_config and known_hosts, never at this machine's ~/.ssh.

load deploy_helpers

FLEET_SCRIPT="${BATS_TEST_DIRNAME}/../support/ssh_fleet.sh"

# Skips (fails under CI=true) when this machine cannot run the fleet.
fleet_require() {
  local why=""
  if [ "$(id -u)" != 0 ]; then
    why="needs root for ip netns"
  elif [ ! -x /usr/sbin/sshd ]; then
    why="/usr/sbin/sshd is missing (apt-get install openssh-server)"
  elif ! command -v ip >/dev/null; then
    why="ip is missing (apt-get install iproute2)"
  fi
  if [ -n "$why" ]; then
    if [ "${CI:-}" = true ]; then
      echo "SSH fleet unavailable: $why" >&2
      return 1
    fi
    skip "SSH fleet unavailable: $why"
  fi
}

# Creates N namespace hosts (+ lo) under $BATS_FILE_TMPDIR/fleet and exports FLEET
# (fleet_up N --password-user: also a password-only user, see ssh_fleet.sh).
fleet_up() {
  export FLEET="$BATS_FILE_TMPDIR/fleet"
  "$FLEET_SCRIPT" up "$FLEET" "$@"
}

fleet_down() {
  [ -n "${FLEET:-}" ] && "$FLEET_SCRIPT" down "$FLEET"
  return 0
}

# Per test: agentctl reads the fleet's ssh_config and known_hosts.
fleet_setup() {
  fleet_require
  deploy_setup
  export FLEET="$BATS_FILE_TMPDIR/fleet"
  [ -f "$FLEET/hosts" ] || {
    echo "the fleet was not created (see setup_file)" >&2
    return 1
  }
  export AGENTCTL_SSH_CONFIG="$FLEET/ssh_config"
  export AGENTCTL_KNOWN_HOSTS="$FLEET/known_hosts"
}

# The address of a fleet host (h1 -> 10.231.T.2).
fleet_addr() {
  awk -v h="$1" '$1 == h { print $2 }' "$FLEET/hosts"
}

# The processes a fleet session started and that still run (remote shims and agents), one pid
# per line: their environment names the fleet's remote state dirs.
fleet_remote_processes() {
  local pid
  for pid in /proc/[0-9]*; do
    pid=${pid#/proc/}
    { tr '\0' '\n' <"/proc/$pid/environ"; } 2>/dev/null |
      awk -v want="XDG_STATE_HOME=$FLEET/" 'index($0, want) == 1 { f = 1 } END { exit !f }' && echo "$pid"
  done
  return 0
}

# Kills what a test left running on the fleet's hosts (by pid), then the local leftovers.
fleet_teardown() {
  deploy_teardown "$@"
  local pid
  for pid in $(fleet_remote_processes); do
    case "$(cat "/proc/$pid/comm" 2>/dev/null)" in
      sshd) ;;
      *) kill -9 "$pid" 2>/dev/null || true ;;
    esac
  done
}

# The number of "Accepted publickey" lines in host H's sshd log.
fleet_auth_count() {
  grep -c "Accepted publickey" "$FLEET/$1/sshd.log" || true
}
