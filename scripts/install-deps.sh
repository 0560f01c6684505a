#!/usr/bin/env bash
# Installs, from Debian's apt only, the packages agentctl needs; idempotent.
#
#   scripts/install-deps.sh --build   what compiling needs
#   scripts/install-deps.sh --test    everything: compiling, the test suite, the tools (default)
#   scripts/install-deps.sh --list    print the packages of --test that are missing, install nothing
#
# Only missing packages are installed (checked with dpkg-query). Installing needs root; as
# another user the script lists what is missing and the command to run, and exits 1.
set -euo pipefail

# What compiling agentctl and running its example job need (the libraries of DEPENDENCIES.md,
# the tool chain, and Debian's python3 for the example agents).
build_packages=(
  python3
  cmake g++ ninja-build pkg-config ccache
  libcli11-dev libyaml-cpp-dev libfmt-dev
  libssh-dev nlohmann-json3-dev catch2
  libsqlite3-dev libsqlitecpp-dev libcurl4-openssl-dev libssl-dev
  libhowardhinnant-date-dev
  libcpp-httplib-dev  # the monitor's /metrics server (--metrics-addr)
  musl-tools  # musl-gcc: agentctl-shim linked statically against musl starts ~10x faster than with glibc
)

# What the test suite and the tools need on top: the
# clang + libFuzzer runtime for the fuzz target, mandoc for the man pages, graphviz for
# `plan -o dot`, bats + jq for the end-to-end tests, GNU time for bench/, busybox for
# test agents, zsh and fish to check the completion scripts parse.
# OpenSSH (sshd, ssh-keygen), iproute2 (ip netns) and curl: the SSH fleet tests.
test_packages=(
  clang libclang-rt-14-dev mandoc graphviz bats jq time busybox-static zsh fish
  openssh-server openssh-client iproute2 curl
  docker.io
  prometheus  # its promtool checks the monitor's /metrics (tests/e2e/monitor_*.bats)
  webfs  # a keep-alive HTTP agent for bench/monitor_cost
  procps passwd  # ps/pgrep; useradd/chpasswd for the SSH fixture's password user (ssh_password.bats)
)

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
}

mode="test"
case "${1:-}" in
  --build) mode=build ;;
  --test | "") mode="test" ;;
  --list) mode=list ;;
  -h | --help) usage; exit 0 ;;
  *) echo "install-deps.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
esac

wanted=("${build_packages[@]}")
if [[ $mode != build ]]; then
  wanted+=("${test_packages[@]}")
fi

# A package counts as installed only in state "ii" (installed, not half-configured or removed).
is_installed() {
  local status
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null || true)
  [[ $status == ii* ]]
}

missing=()
for package in "${wanted[@]}"; do
  is_installed "$package" || missing+=("$package")
done

if [[ $mode == list ]]; then
  (( ${#missing[@]} == 0 )) || printf '%s\n' "${missing[@]}"
  exit 0
fi

if (( ${#missing[@]} == 0 )); then
  echo "install-deps: all ${#wanted[@]} packages for --$mode are installed"
  exit 0
fi

if (( EUID != 0 )); then
  {
    echo "install-deps: these Debian packages are missing: ${missing[*]}"
    echo "install-deps: installing them needs root; run:"
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
    echo "install-deps: or run this script as root: sudo $0 --$mode"
  } >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"

# Make sure apt really delivered everything (a renamed package would otherwise pass silently).
still_missing=()
for package in "${missing[@]}"; do
  is_installed "$package" || still_missing+=("$package")
done
if (( ${#still_missing[@]} > 0 )); then
  echo "install-deps: apt-get did not install: ${still_missing[*]}" >&2
  exit 1
fi
echo "install-deps: done"
