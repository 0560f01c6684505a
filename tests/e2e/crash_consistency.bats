#!/usr/bin/env bats
# Crash consistency (DESIGN.md §5): agentctl is SIGKILLed right after its N-th committed state
# write (the AGENTCTL_CRASH_AT_WRITE test hook), for EVERY N a clean deploy of a 3-stage job
# reaches. After each crash: `status` answers and tells the truth about every process, a plain
# re-deploy converges to exactly one process per agent (no duplicate, no orphan), and `stop`
# leaves nothing behind. Twice: for the first deploy of the job, and for a re-deploy that
# replaces every agent (where a crash can fall between stopping the old and starting the new).

load deploy_helpers

# Crash points tried at most; a clean deploy of this job makes far fewer writes.
MAX_CRASH_POINTS=60

setup() {
  deploy_setup
  PORTS=($(free_ports 4))
  AGENT_IDS=(a b1 b2 c)
  write_job job.yaml v1
}

# write_job FILE RELEASE: the 3-stage job; RELEASE is in every agent's config (AGENT_RELEASE).
write_job() {
  cat >"$1" <<YAML
job:
  name: crashy
agents:
$(echo_agent_yaml a "${PORTS[0]}" "      release: $2")
$(echo_agent_yaml b1 "${PORTS[1]}" "      release: $2")
$(echo_agent_yaml b2 "${PORTS[2]}" "      release: $2")
$(echo_agent_yaml c "${PORTS[3]}" "      release: $2")
topology:
  type: pipeline
  stages: [a, [b1, b2], c]
deployment:
  timeout: 20
YAML
}

teardown() {
  deploy_teardown
}

# status_is_truthful STATUS_JSON: every claim of `status -o json` matches the processes alive
# now: a job no deploy of which ever finished is not "running"; "healthy" means alive and answering /health; running/starting/unhealthy mean alive;
# exited/missing/stopped/failed mean not alive; and every live agent process of the test is one
# of the instances status lists (none unaccounted for).
status_is_truthful() {
  marked_processes >processes.txt
  "$PYTHON" - "$1" processes.txt <<'PY'
import json, os, sys, urllib.request

def alive(pid):
    if not pid:
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(b")") + 2:][:1] != b"Z"

def answers(url):
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/health", timeout=5) as reply:
            return reply.status == 200
    except OSError:
        return False

status = json.load(open(sys.argv[1]))
live_agents = {}
for line in open(sys.argv[2]):
    pid, role, agent_id = line.split()[:3]
    if role == "agent":
        live_agents[int(pid)] = agent_id
problems = []
listed = set()
for job in status["jobs"]:
    # Revision 0: no deploy of the job ever finished, so it cannot be "running" (whatever the
    # instances recorded so far say: the agents of later stages were never started).
    if job["revision"] == 0 and job["status"] == "running":
        problems.append(f"job {job['name']} claims running but no deploy of it ever finished (revision 0)")
    for agent in job["agents"]:
        name, state, pid = agent["instance"], agent["status"], agent.get("pid")
        if pid:
            listed.add(pid)
        if state == "healthy" and not (alive(pid) and answers(agent["url"])):
            problems.append(f"{name} claims healthy but pid {pid} is not alive and answering")
        elif state in ("running", "starting", "unhealthy") and not alive(pid):
            problems.append(f"{name} claims {state} but pid {pid} is not alive")
        elif state in ("exited", "missing", "stopped", "failed") and alive(pid) and pid in live_agents:
            problems.append(f"{name} claims {state} but its pid {pid} is alive")
for pid, agent_id in live_agents.items():
    if pid not in listed:
        problems.append(f"agent process {pid} ({agent_id}) is alive but status lists no instance with that pid")
if problems:
    print("\n".join(problems))
    sys.exit(1)
PY
}

# expect_converged RELEASE: one shim and one agent process per agent, each answering on its own
# port as itself with config RELEASE, and `status` listing exactly those pids, all healthy.
expect_converged() {
  local i id
  for id in "${AGENT_IDS[@]}"; do
    [ "$(agent_count "$id")" = 1 ] || {
      echo "agent $id has $(agent_count "$id") processes:" >&2
      marked_processes >&2
      return 1
    }
  done
  [ "$(count_role agent)" = 4 ] || { marked_processes >&2; return 1; }
  [ "$(count_role shim)" = 4 ] || { marked_processes >&2; return 1; }
  for i in 0 1 2 3; do
    [ "$(env_of "${PORTS[$i]}" AGENT_ID)" = "${AGENT_IDS[$i]}" ] || {
      echo "port ${PORTS[$i]} does not answer as ${AGENT_IDS[$i]}" >&2
      return 1
    }
    [ "$(env_of "${PORTS[$i]}" AGENT_RELEASE)" = "$1" ] || {
      echo "${AGENT_IDS[$i]} runs release $(env_of "${PORTS[$i]}" AGENT_RELEASE), not $1" >&2
      return 1
    }
  done
  status_json converged.json crashy
  [ "$STATUS_EXIT" = 0 ] || { cat converged.json >&2; return 1; }
  [ "$(json_query converged.json "sorted(a['status'] for a in d['jobs'][0]['agents'])")" = \
    '["healthy", "healthy", "healthy", "healthy"]' ] || { cat converged.json >&2; return 1; }
  local recorded live
  recorded=$(json_query converged.json "sorted(a['pid'] for a in d['jobs'][0]['agents'])")
  live=$(marked_processes | awk '$2 == "agent" { print $1 }' | sort -n | paste -sd, -)
  [ "$recorded" = "[${live//,/, }]" ] || {
    echo "status records pids $recorded, the live agents are $live" >&2
    return 1
  }
}

# crash_at_every_write PREPARE FILE RELEASE: for N = 1, 2, ... in a fresh state dir each time:
# run PREPARE (a function; it may deploy something first), then `deploy FILE` crashed at its
# N-th state write, then check status, converge with a plain `deploy FILE` (RELEASE running),
# stop; until a run with crash point N completes. Sets CLEAN_WRITES to the number of state
# writes of the uncrashed deploy.
crash_at_every_write() {
  local prepare=$1 file=$2 release=$3 n status
  CLEAN_WRITES=""
  for ((n = 1; n <= MAX_CRASH_POINTS; n++)); do
    STATE="$BATS_TEST_TMPDIR/state-$prepare-$n"
    "$prepare"
    AGENTCTL_CRASH_AT_WRITE=$n agentctl deploy "$file" >"crash-$n.out" 2>&1 && status=0 || status=$?
    if [[ $status == 0 ]]; then
      # The hook never fired: a clean deploy makes n - 1 writes.
      CLEAN_WRITES=$((n - 1))
      expect_converged "$release"
      run agentctl stop crashy
      expect_status 0
      expect_no_agents_left 10
      break
    fi
    [[ $status == 137 ]] || {
      echo "crash point $n: agentctl exited $status, not 137 (SIGKILL):" >&2
      cat "crash-$n.out" >&2
      false
    }
    [ "$(count_role agentctl)" = 0 ]

    status_json "status-$n.json" || { echo "crash point $n: status after the crash" >&2; false; }
    [[ $STATUS_EXIT == 0 || $STATUS_EXIT == 1 ]] || {
      echo "crash point $n: status exited $STATUS_EXIT" >&2
      false
    }
    status_is_truthful "status-$n.json" || {
      echo "crash point $n: status after the crash is not truthful:" >&2
      cat "status-$n.json" >&2
      false
    }
    # A job whose deploy never finished fails `status --check` (a CI script must not take it as up).
    if [[ $(json_query "status-$n.json" "[j['revision'] for j in d['jobs'] if j['name'] == 'crashy']") == "[0]" ]]; then
      run agentctl status crashy --check
      [ "$status" = 1 ] || {
        echo "crash point $n: status --check exited $status for a job no deploy of which finished:" >&2
        echo "$output" >&2
        false
      }
    fi

    run agentctl deploy "$file"
    [ "$status" = 0 ] || {
      echo "crash point $n: the re-deploy exited $status:" >&2
      echo "$output" >&2
      false
    }
    expect_converged "$release" || { echo "crash point $n: the re-deploy did not converge" >&2; false; }

    run agentctl stop crashy
    [ "$status" = 0 ] || {
      echo "crash point $n: stop exited $status: $output" >&2
      false
    }
    expect_no_agents_left 10 || { echo "crash point $n: processes left after stop" >&2; false; }
  done
  [ -n "$CLEAN_WRITES" ] || {
    echo "the deploy never completed within $MAX_CRASH_POINTS crash points" >&2
    false
  }
}

# Nothing to prepare: the crashed deploy is the job's first.
first_deploy() {
  :
}

# Release v1 deployed cleanly (all four agents running), then job.yaml edited to v2 (the same
# file: another path would be another owner), so that the crashed deploy replaces every agent.
v1_running_then_v2() {
  write_job job.yaml v1
  agentctl deploy job.yaml >/dev/null 2>&1 || {
    echo "the clean deploy of v1 failed" >&2
    return 1
  }
  expect_converged v1 || return 1
  write_job job.yaml v2
}

@test "a crash at every state write of a first 3-stage deploy leaves state that status reconciles and a re-deploy converges from" {
  local started
  started=$(now_ms)
  crash_at_every_write first_deploy job.yaml v1
  # Lock, revision, then intent + pids + outcome for each of 3 stages, then the outcome: at least 10.
  ((CLEAN_WRITES >= 10))
  echo "# a first 3-stage deploy makes $CLEAN_WRITES state writes; all $CLEAN_WRITES crash points checked in $((($(now_ms) - started) / 1000)) s" >&3
}

@test "a crash at every state write of a re-deploy that replaces all 3 stages leaves state a re-deploy converges from" {
  local started
  started=$(now_ms)
  crash_at_every_write v1_running_then_v2 job.yaml v2
  # Each stage also stops its old instances first (two more writes per stage).
  ((CLEAN_WRITES >= 16))
  echo "# a replacing 3-stage re-deploy makes $CLEAN_WRITES state writes; all $CLEAN_WRITES crash points checked in $((($(now_ms) - started) / 1000)) s" >&3
}
