#!/usr/bin/env bash
# ctest `fuzz_job_loader`: runs the job loader's libFuzzer target for a fixed number of inputs
# and fails on any crash, hang, leak or out-of-memory.
#
#   run_fuzz.sh FUZZER SEED_CORPUS DICT [READ_ONLY_CORPUS_DIR...]
#
# The seed corpus is copied to a temporary directory (libFuzzer adds new inputs to the first
# corpus directory; the source tree must stay untouched); the other directories are only read.
# AGENTCTL_FUZZ_RUNS overrides the number of inputs (default 200000). Crash inputs are kept in
# ./fuzz-artifacts/ (the test's working directory) to reproduce with `FUZZER FILE`.
set -euo pipefail

fuzzer=${1:-}
seed_corpus=${2:?usage: run_fuzz.sh FUZZER SEED_CORPUS DICT [DIR...]}
dict=${3:?usage: run_fuzz.sh FUZZER SEED_CORPUS DICT [DIR...]}
shift 3
runs=${AGENTCTL_FUZZ_RUNS:-200000}

if [[ -z $fuzzer || ! -x $fuzzer ]]; then
  why="no fuzzer binary (AGENTCTL_FUZZER='$fuzzer'); build it with clang: cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DAGENTCTL_FUZZ_ONLY=ON && cmake --build build-fuzz --target job_loader_fuzz, then configure with -DAGENTCTL_FUZZER=\$PWD/build-fuzz/tests/fuzz/job_loader_fuzz (scripts/test.sh does all this)"
  if [[ ${CI:-} == true ]]; then
    echo "FAIL: fuzz_job_loader cannot run under CI: $why" >&2
    exit 1
  fi
  echo "SKIP: $why"
  exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/agentctl-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
cp -R "$seed_corpus"/. "$work/corpus/"

read_only=()
for dir in "$@"; do
  [[ -d $dir ]] && read_only+=("$dir")
done

artifacts="$PWD/fuzz-artifacts"
mkdir -p "$artifacts"

echo "fuzz_job_loader: $runs inputs, seeds from $seed_corpus ${read_only[*]}"
started=$SECONDS
status=0
"$fuzzer" -runs="$runs" -max_len=4096 -timeout=10 -rss_limit_mb=2048 -dict="$dict" \
  -artifact_prefix="$artifacts/" -print_final_stats=1 \
  "$work/corpus" "${read_only[@]}" || status=$?
echo "fuzz_job_loader: exit $status after $((SECONDS - started)) s"
if (( status != 0 )); then
  echo "fuzz_job_loader: FAILED; the input that failed is in $artifacts/ (reproduce: $fuzzer FILE)" >&2
fi
exit "$status"
