#!/usr/bin/env bash
# A fleet of SSH hosts on this machine for agentctl's tests and benchmarks: each host is a
# network namespace (a veth pair, one /30 of 10.231.T.0/24 that no interface of the machine
# uses yet) running its own /usr/sbin/sshd with its own host key, plus one sshd on 127.0.0.1
# on a free port (alias "lo"). Only the addresses of these namespaces and loopback are used.
#
#   ssh_fleet.sh up DIR N      create hosts h1..hN (+ lo); writes into DIR (must be empty/new):
#                                ssh_config   Host aliases (HostName, User root, Port, IdentityFile)
#                                known_hosts  every host's key (as OpenSSH writes it)
#                                client_key   the user key every host authorizes
#                                hosts        one line per host: ALIAS ADDRESS PORT
#                                hK/sshd.log  each sshd's LogLevel VERBOSE log
#   ssh_fleet.sh up DIR N --password-user
#                              the same, plus a local user acpw<tag> with a random password
#                              and no key: every sshd accepts a password for that user only
#                              (key authentication off for it). DIR/password_user holds the
#                              name, DIR/password (0600) the password, DIR/password_home its
#                              home (its sessions' XDG_STATE_HOME is <home>/state).
#   ssh_fleet.sh down DIR      kill the fleet's remote processes and sshds, remove namespaces,
#                              links and the password user (idempotent; safe after a failed
#                              or partial `up`)
#   ssh_fleet.sh pid DIR ALIAS the pid of ALIAS's sshd
#
# Remote sessions get XDG_STATE_HOME=DIR/hK/state (sshd SetEnv), so agentctl's remote state
# lands inside DIR, and `down` finds every process a session left behind by that path in its
# environment. Needs root, iproute2 and openssh-server.
set -euo pipefail

die() {
  echo "ssh_fleet.sh: $*" >&2
  exit 1
}

# The processes (pids) whose environment names DIR (or PREFIX): what sessions of this fleet
# started.
fleet_processes() {
  local dir=$1 other=${2:-$1} pid
  for pid in /proc/[0-9]*; do
    pid=${pid#/proc/}
    [ "$pid" = "$$" ] && continue
    if { tr '\0' '\n' <"/proc/$pid/environ"; } 2>/dev/null |
      awk -v want="XDG_STATE_HOME=$dir/" -v other="XDG_STATE_HOME=$other/" \
        'index($0, want) == 1 || index($0, other) == 1 { found = 1 } END { exit !found }'; then
      echo "$pid"
    fi
  done
}

write_sshd_config() {
  local hostdir=$1 listen=$2 port=$3 dir=$4
  cat >"$hostdir/sshd_config" <<EOF
Port $port
ListenAddress $listen
HostKey $hostdir/host_ed25519
PidFile $hostdir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
Subsystem sftp internal-sftp
LogLevel VERBOSE
MaxStartups 100:30:200
MaxSessions 64
SetEnv XDG_STATE_HOME=$hostdir/state
EOF
  if [ -s "$dir/password_user" ]; then
    # Only this user may log in with a password, and only with it (no key): the key the
    # fleet's ssh_config offers for every alias is refused for it.
    local pw_user pw_home
    pw_user=$(cat "$dir/password_user")
    pw_home=$(cat "$dir/password_home")
    sed -i "/^SetEnv /d" "$hostdir/sshd_config"
    cat >>"$hostdir/sshd_config" <<EOF
Match User $pw_user
  AuthorizedKeysFile none
  PasswordAuthentication yes
  SetEnv XDG_STATE_HOME=$pw_home/state
Match User *,!$pw_user
  SetEnv XDG_STATE_HOME=$hostdir/state
EOF
  fi
}

# A local user with a random password, no key, its home under /tmp (the fleet dir is 0700).
add_password_user() {
  local dir=$1 tag=$2
  local pw_user="acpw$tag" pw_home password
  pw_home=$(mktemp -d /tmp/agentctl-fleet-pw.XXXXXX)
  echo "$pw_home" >"$dir/password_home"
  useradd -M -d "$pw_home" -s /bin/sh "$pw_user" || die "cannot create the user $pw_user"
  echo "$pw_user" >"$dir/password_user"
  mkdir -p "$pw_home/state"
  chown -R "$pw_user:" "$pw_home"
  chmod 0755 "$pw_home"
  password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  (umask 077 && printf '%s' "$password" >"$dir/password")
  echo "$pw_user:$password" | chpasswd || die "cannot set the password of $pw_user"
}

# Starts an sshd (in namespace $ns when given) and waits until it listens on $addr:$port.
start_sshd() {
  local hostdir=$1 ns=$2 addr=$3 port=$4
  local cmd=(/usr/sbin/sshd -f "$hostdir/sshd_config" -E "$hostdir/sshd.log")
  if [ -n "$ns" ]; then ip netns exec "$ns" "${cmd[@]}"; else "${cmd[@]}"; fi
  local i
  for i in $(seq 1 200); do
    if [ -s "$hostdir/sshd.pid" ] && (exec 3<>"/dev/tcp/$addr/$port") 2>/dev/null; then return 0; fi
    sleep 0.02
  done
  die "sshd of $hostdir did not start listening on $addr:$port (see $hostdir/sshd.log)"
}

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A third octet T such that no address of this machine is in 10.231.T.0/24.
free_subnet() {
  local t used
  used=$(ip -4 -o addr show | awk '{ print $4 }')
  for t in $(seq 1 254); do
    if ! grep -q "^10\.231\.$t\." <<<"$used"; then
      echo "$t"
      return 0
    fi
  done
  die "no free 10.231.T.0/24 block left"
}

up() {
  local dir=$1 count=$2
  [ "$count" -ge 1 ] && [ "$count" -le 60 ] || die "N must be 1..60"
  [ "$(id -u)" = 0 ] || die "needs root (ip netns)"
  [ -x /usr/sbin/sshd ] || die "/usr/sbin/sshd is missing (apt-get install openssh-server)"
  command -v ip >/dev/null || die "ip is missing (apt-get install iproute2)"
  mkdir -p "$dir" /run/sshd
  dir=$(cd "$dir" && pwd)
  local tag
  tag=$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
  echo "$tag" >"$dir/tag"
  if [ "$password_user" = yes ]; then add_password_user "$dir" "$tag"; fi
  ssh-keygen -q -t ed25519 -N '' -C agentctl-test -f "$dir/client_key"
  cp "$dir/client_key.pub" "$dir/authorized_keys"
  : >"$dir/ssh_config"
  : >"$dir/known_hosts"
  : >"$dir/hosts"
  chmod 600 "$dir/client_key"

  # Address allocation is serialized so that two fleets never pick the same block.
  exec 9>/run/agentctl-ssh-fleet.lock
  flock 9
  local t
  t=$(free_subnet)
  local k
  for k in $(seq 1 "$count"); do
    local ns="acssh-$tag-h$k" out="vac$tag$k" in="vnc$tag$k"
    local base=$(((k - 1) * 4))
    local outer="10.231.$t.$((base + 1))" inner="10.231.$t.$((base + 2))"
    echo "$ns $out" >>"$dir/links"
    ip netns add "$ns"
    ip link add "$out" type veth peer name "$in"
    ip link set "$in" netns "$ns"
    ip addr add "$outer/30" dev "$out"
    ip link set "$out" up
    ip netns exec "$ns" ip addr add "$inner/30" dev "$in"
    ip netns exec "$ns" ip link set "$in" up
    ip netns exec "$ns" ip link set lo up
    echo "h$k $inner 22 $ns" >>"$dir/hosts"
  done
  flock -u 9

  local lo_port
  lo_port=$(free_port)
  echo "lo 127.0.0.1 $lo_port -" >>"$dir/hosts"

  local alias addr port ns
  while read -r alias addr port ns; do
    local hostdir="$dir/$alias"
    mkdir -p "$hostdir/state"
    ssh-keygen -q -t ed25519 -N '' -C "$alias" -f "$hostdir/host_ed25519"
    write_sshd_config "$hostdir" "$addr" "$port" "$dir"
    [ "$ns" = - ] && ns=""
    start_sshd "$hostdir" "$ns" "$addr" "$port"
    local known=$addr
    [ "$port" != 22 ] && known="[$addr]:$port"
    echo "$known $(cut -d' ' -f1,2 "$hostdir/host_ed25519.pub")" >>"$dir/known_hosts"
    cat >>"$dir/ssh_config" <<EOF
Host $alias
  HostName $addr
  User root
  Port $port
  IdentityFile $dir/client_key
  IdentitiesOnly yes
  UserKnownHostsFile $dir/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 10

EOF
  done <"$dir/hosts"
}

down() {
  local dir=$1
  [ -d "$dir" ] || return 0
  dir=$(cd "$dir" && pwd)
  local pid
  # Continue a stopped sshd first: a SIGSTOPped one holds its connections forever.
  for pid in $(cat "$dir"/*/sshd.pid 2>/dev/null); do kill -CONT "$pid" 2>/dev/null || true; done
  local pw_home=""
  [ -f "$dir/password_home" ] && pw_home=$(cat "$dir/password_home")
  for pid in $(fleet_processes "$dir" "$pw_home"); do kill -9 "$pid" 2>/dev/null || true; done
  # Each sshd's sessions (its children), then the sshd itself.
  for pid in $(cat "$dir"/*/sshd.pid 2>/dev/null); do
    pkill -9 -P "$pid" 2>/dev/null || true
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -f "$dir"/*/sshd.pid
  if [ -f "$dir/links" ]; then
    local ns link
    while read -r ns link; do
      # Whatever still runs in the namespace (orphaned sessions) would keep it alive.
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
      ip netns del "$ns" 2>/dev/null || true
      ip link del "$link" 2>/dev/null || true
    done <"$dir/links"
    rm -f "$dir/links"
  fi
  if [ -s "$dir/password_user" ]; then
    userdel "$(cat "$dir/password_user")" 2>/dev/null || true
    rm -f "$dir/password_user"
  fi
  if [ -n "$pw_home" ]; then
    case "$pw_home" in /tmp/agentctl-fleet-pw.*) rm -rf "$pw_home" ;; esac
    rm -f "$dir/password_home"
  fi
}

sshd_pid() {
  cat "$1/$2/sshd.pid"
}

case "${1:-}" in
  up)
    password_user=no
    if [ $# -eq 4 ] && [ "$4" = --password-user ]; then
      password_user=yes
    elif [ $# -ne 3 ]; then
      die "usage: ssh_fleet.sh up DIR N [--password-user]"
    fi
    # A failed `up` leaves nothing behind.
    trap 'rc=$?; [ $rc -ne 0 ] && down "$2"; exit $rc' EXIT
    up "$2" "$3"
    ;;
  down)
    [ $# -eq 2 ] || die "usage: ssh_fleet.sh down DIR"
    down "$2"
    ;;
  pid)
    [ $# -eq 3 ] || die "usage: ssh_fleet.sh pid DIR ALIAS"
    sshd_pid "$2" "$3"
    ;;
  *) die "usage: ssh_fleet.sh up DIR N [--password-user] | down DIR | pid DIR ALIAS" ;;
esac
