"""Where one `agentctl deploy --progress json` run spent its time (stdlib only; Debian's python3).

  local_deploy_phases.py START_MS EXIT_MS EVENTS.jsonl

START_MS and EXIT_MS are the wall-clock times (ms since the epoch) at which the bench started
agentctl and saw it exit; the events carry `time_ms` on the same clock. Prints six numbers, ms:

  startup    process start -> the "begin" event (loading, planning, opening state, the lock)
  intent     "begin" -> the last "starting" event (launch records and the intent transaction)
  spawn      the last "starting" -> readiness polling begins (shims spawned, their handshakes,
             the confirming transaction); readiness begins at the "ready" events' time minus the
             "in N ms" of their detail
  readiness  readiness polling begins -> the last "ready"
  finish     the last "ready" -> the "end" event (recording the outcome)
  exit       "end" -> the process gone (the status table printed, teardown)
"""

import json
import re
import sys


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__)
    start_ms, exit_ms = float(argv[1]), float(argv[2])
    begin = end = None
    starting, ready, ready_begins = [], [], []
    with open(argv[3]) as events:
        for line in events:
            line = line.strip()
            if not line.startswith("{"):
                continue
            event = json.loads(line)
            kind, when = event.get("event"), event.get("time_ms")
            if kind == "begin" and begin is None:
                begin = when
            elif kind == "end":
                end = when
            elif kind == "instance" and event.get("step") == "starting":
                starting.append(when)
            elif kind == "instance" and event.get("step") == "ready":
                ready.append(when)
                took = re.search(r"(\d+)\s*ms", event.get("detail", ""))
                if took:
                    ready_begins.append(when - int(took.group(1)))
    if begin is None or end is None or not starting or not ready:
        sys.exit("local_deploy_phases: the progress events lack begin/starting/ready/end")
    last_starting, last_ready = max(starting), max(ready)
    # Without "in N ms" details the spawn and readiness phases cannot be told apart: all spawn.
    readiness_begins = min(ready_begins) if ready_begins else last_ready
    readiness_begins = min(max(readiness_begins, last_starting), last_ready)
    phases = [begin - start_ms, last_starting - begin, readiness_begins - last_starting,
              last_ready - readiness_begins, end - last_ready, exit_ms - end]
    print(" ".join(f"{value:.0f}" for value in phases))


if __name__ == "__main__":
    main(sys.argv)
