#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine, starting Debian's dockerd in the
# background when `docker info` fails (its output goes to $AGENTCTL_DOCKERD_LOG, default
# /tmp/agentctl-dockerd.log); fails loudly, with the daemon's last log lines, when it cannot.
#   tests/support/docker-up.sh                  the engine only
#   tests/support/docker-up.sh --image NAME:TAG  also import the busybox test image as NAME:TAG
# The test image is a busybox-static rootfs imported with `docker import` (no registry is
# reachable): /bin/busybox with sh, httpd, wget, ... links, and /www/health for httpd to serve.
set -euo pipefail
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
docker=/usr/bin/docker
dockerd=/usr/sbin/dockerd
log=${AGENTCTL_DOCKERD_LOG:-/tmp/agentctl-dockerd.log}

die() {
  echo "docker-up: $*" >&2
  exit 1
}

[[ -x $docker ]] || die "$docker is missing: install Debian's docker.io (scripts/install-deps.sh --test)"

if ! "$docker" info >/dev/null 2>&1; then
  [[ -x $dockerd ]] || die "$dockerd is missing: install Debian's docker.io"
  [[ $(id -u) == 0 ]] || die "docker info fails and only root can start dockerd here: $("$docker" info 2>&1 | tail -1)"
  # A dockerd killed earlier (e.g. with the session that started it) leaves its pid file; if
  # that pid now belongs to another process, a new dockerd refuses to start.
  pidfile=/var/run/docker.pid
  if [[ -f $pidfile ]] && [[ $(cat "/proc/$(cat "$pidfile")/comm" 2>/dev/null) != dockerd ]]; then
    rm -f "$pidfile"
  fi
  echo "docker-up: starting $dockerd (log: $log)" >&2
  # setsid: the daemon outlives this script and is not in its process group. It must hold
  # none of the caller's descriptors either: bats (and ctest) wait for the end of the pipes
  # they gave a test, and a daemon keeping one open would make them wait forever.
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      if ((fd > 2)); then eval "exec $fd>&-"; fi
    done
    exec setsid "$dockerd" >>"$log" 2>&1 </dev/null
  ) &
  for _ in $(seq 1 120); do
    "$docker" info >/dev/null 2>&1 && break
    sleep 0.5
  done
  if ! "$docker" info >/dev/null 2>&1; then
    echo "docker-up: dockerd did not come up within 60 s; its last log lines:" >&2
    tail -20 "$log" >&2 || true
    die "no Docker engine: $("$docker" info 2>&1 | tail -1)"
  fi
fi

if [[ ${1:-} == --image ]]; then
  image=${2:?--image needs NAME:TAG}
  busybox=/bin/busybox
  [[ -x $busybox ]] || die "$busybox is missing: install Debian's busybox-static"
  if ! "$docker" image inspect "$image" >/dev/null 2>&1; then
    root=$(mktemp -d)
    trap 'rm -rf "$root"' EXIT
    mkdir -p "$root/bin" "$root/www" "$root/tmp" "$root/etc"
    cp "$busybox" "$root/bin/busybox"
    for applet in sh httpd wget echo sleep cat env ls ps grep sed kill true false printf nc; do
      ln -s busybox "$root/bin/$applet"
    done
    echo ok >"$root/www/health"
    echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
    tar -C "$root" -c . | "$docker" import - "$image" >/dev/null
  fi
fi
