#!/usr/bin/env bash
# The README's first command: build agentctl, then deploy the example job (examples/hub-spoke.yaml)
# for real on this machine and show its status. The agents keep running afterwards; the script
# ends by saying how to query them, read their logs and stop them.
# Needs root (or a user who already ran `sudo scripts/install-deps.sh --build`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Debian's tools first: a user machine has only these, and the example agents need Debian's python3.
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
# The agents inherit this: no __pycache__ in the source tree.
export PYTHONDONTWRITEBYTECODE=1
agentctl=./build/apps/agentctl/agentctl
job=examples/hub-spoke.yaml

step() { printf '\n==> %s\n' "$*"; }

step "install the build dependencies (Debian packages)"
scripts/install-deps.sh --build

step "configure (Ninja, Release) in ./build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DAGENTCTL_BUILD_TESTS=OFF

step "build"
cmake --build build

step "validate $job"
"$agentctl" validate "$job"

step "plan $job"
"$agentctl" plan "$job"


step "deploy $job (three local agents: the spokes first, then the hub)"
"$agentctl" deploy "$job"

step "status hub-spoke"
"$agentctl" status hub-spoke

cat <<EOF

The job keeps running in the background. Next:

  $agentctl query hub-spoke "what is the weather?"   # ask the entry point (the controller)
  $agentctl logs hub-spoke -f                        # follow every agent's output (Ctrl-C to leave)
  $agentctl status hub-spoke -o wide                 # pids, restarts, last health check
  $agentctl stop hub-spoke                           # stop the three agents
EOF
