#!/usr/bin/env bash
# The README's second command: install what the tests need, build everything with warnings as
# errors, build the libFuzzer target with clang, and run the whole suite. Exit code = ctest's.
# Needs root (or a user who already ran `sudo scripts/install-deps.sh --test`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Debian's tools first: this must behave as on a fresh Debian machine, where python3 and
# docker are Debian's (a developer machine may have others earlier on its PATH).
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
export AGENTCTL_PYTHON=/usr/bin/python3

step() { printf '\n==> %s\n' "$*"; }
started=$SECONDS

step "install the test dependencies (Debian packages)"
scripts/install-deps.sh --test

# The docker_*.bats tests need a Docker engine: started here when `docker info` fails, and a
# loud failure when it cannot be.
step "make sure a Docker engine answers (tests/support/docker-up.sh)"
tests/support/docker-up.sh

step "build the fuzz target with clang in ./build-fuzz"
cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DAGENTCTL_FUZZ_ONLY=ON
cmake --build build-fuzz --target job_loader_fuzz

# RelWithDebInfo (-O2 -g), the project's default and what developers build: GCC 12 gives
# false -Wmaybe-uninitialized warnings at -O3 (Release), and backtraces need the symbols.
step "configure (Ninja, RelWithDebInfo, warnings are errors) in ./build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAGENTCTL_WERROR=ON \
  -DAGENTCTL_BUILD_TESTS=ON -DAGENTCTL_FUZZER="$PWD/build-fuzz/tests/fuzz/job_loader_fuzz"

step "build"
cmake --build build
echo "build: $((SECONDS - started)) s"

step "run the test suite"
suite_started=$SECONDS
status=0
ctest --test-dir build --output-on-failure -j2 || status=$?
echo "test suite: $((SECONDS - suite_started)) s"
exit "$status"
