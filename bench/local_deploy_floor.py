"""The floor of bench/local_deploy: the least work that gets N local HTTP agents to all-ready.

Stdlib only; run with Debian's /usr/bin/python3.

  local_deploy_floor.py start RUN_DIR WWW_DIR BASE_PORT COUNT
      Spawns COUNT `busybox httpd -f -p 127.0.0.1:PORT -h WWW_DIR` (PORT = BASE_PORT + i), each in
      a new session (setsid), stdin /dev/null, stdout+stderr appended to RUN_DIR/logs/<i>.log;
      writes their pids to RUN_DIR/pids, then polls every /health until all answer 2xx and prints
      "<ms spawning> <ms polling> <poll rounds>" on stdout. Exit 1 if not all ready in 60 s.
  local_deploy_floor.py start-shim RUN_DIR WWW_DIR BASE_PORT COUNT SHIM
      The same through agentctl-shim (a diagnostic, not the floor): each process is
      `SHIM --log RUN_DIR/logs/<i>.log --status RUN_DIR/status/<i>.json -- busybox httpd ...`,
      started as above but with its stdout a pipe; every handshake line is read (after all the
      spawns, as agentctl does) before polling. Shows what the shim itself costs.
  local_deploy_floor.py wait BASE_PORT COUNT [TIMEOUT_S]
      Only the polling half: for agents started by someone else (pm2, supervisord, a check).
  local_deploy_floor.py stop RUN_DIR
      SIGTERM to each recorded process group, SIGKILL to those still there after 5 s.
  local_deploy_floor.py fs-cost DIR
      Prints the microseconds one small file costs in DIR (create, write, close, rename: what
      agentctl and the shim do for each state file), over 200 files in a scratch directory.
      agentctl creates several such files per agent and deploy, the floor none after its first
      run: on a file system slow at it (a much-churned /tmp on ext4 without a journal can take
      ~1 ms per file) this weighs on agentctl's time and the ratio.
  local_deploy_floor.py leftovers TEXT
      Prints the pids of the live processes (zombies aside) whose command line contains TEXT.

Polling is one thread with an epoll selector over non-blocking sockets: every agent not yet
ready is probed at once, again 10 ms after its last failed probe, as agentctl's readiness check
would if it polled at a fixed 10 ms. A probe is `GET /health HTTP/1.0`; ready = a 2xx status
line. The busybox binary is resolved once, as an exec of an absolute path.
"""

import errno
import os
import selectors
import signal
import socket
import sys
import time

BUSYBOX = "/bin/busybox"
POLL_INTERVAL_S = 0.010
PROBE_TIMEOUT_S = 1.0
READY_TIMEOUT_S = 60.0
REQUEST = b"GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


class Poller:
    """Probes every port not yet ready, each again POLL_INTERVAL_S after its last failure."""

    def __init__(self, ports):
        self.selector = selectors.DefaultSelector()
        self.due = {port: 0.0 for port in ports}  # not in flight: when to probe next
        self.in_flight = {}  # port -> (socket, deadline)
        self.rounds = 0

    def run(self, timeout_s):
        """Returns the number of probes of the slowest agent, or None on timeout."""
        give_up = time.monotonic() + timeout_s
        probes = dict.fromkeys(self.due, 0)
        while self.due or self.in_flight:
            now = time.monotonic()
            if now > give_up:
                return None
            for port, when in list(self.due.items()):
                if when <= now:
                    del self.due[port]
                    probes[port] += 1
                    self.open(port, now)
            for port, (sock, deadline) in list(self.in_flight.items()):
                if deadline <= now:
                    self.fail(port, now)
            waits = [when - now for when in self.due.values()]
            waits += [deadline - now for _, deadline in self.in_flight.values()]
            if not waits:
                continue
            for key, events in self.selector.select(max(0.0, min(waits))):
                self.advance(key.data, events, time.monotonic())
        return max(probes.values(), default=0)

    def open(self, port, now):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        self.in_flight[port] = (sock, now + PROBE_TIMEOUT_S)
        code = sock.connect_ex(("127.0.0.1", port))
        if code == 0:
            self.send(port, sock, now)
        elif code == errno.EINPROGRESS:
            self.selector.register(sock, selectors.EVENT_WRITE, port)
        else:
            self.fail(port, now)

    def send(self, port, sock, now):
        try:
            sock.send(REQUEST)
        except OSError:
            self.fail(port, now)
            return
        self.selector.register(sock, selectors.EVENT_READ, port)

    def advance(self, port, events, now):
        sock, _ = self.in_flight[port]
        if events & selectors.EVENT_WRITE:
            self.selector.unregister(sock)
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                self.fail(port, now)
            else:
                self.send(port, sock, now)
            return
        try:
            head = sock.recv(256)
        except OSError:
            head = b""
        parts = head.split(b" ", 2)
        if len(parts) >= 2 and parts[1][:1] == b"2":
            self.close(port)
        else:
            self.fail(port, now)

    def fail(self, port, now):
        self.close(port)
        self.due[port] = now + POLL_INTERVAL_S

    def close(self, port):
        sock, _ = self.in_flight.pop(port)
        try:
            self.selector.unregister(sock)
        except KeyError:
            pass
        sock.close()


def poll(ports, timeout_s):
    """Polls until all ports are ready; returns (seconds, probes of the slowest) or exits 1."""
    start = time.monotonic()
    rounds = Poller(ports).run(timeout_s)
    if rounds is None:
        sys.exit(f"local_deploy_floor: not all of {len(ports)} agents ready within {timeout_s:g} s")
    return time.monotonic() - start, rounds


def start(run_dir, www_dir, base_port, count, shim=None):
    log_dir = os.path.join(run_dir, "logs")
    status_dir = os.path.join(run_dir, "status")
    os.makedirs(log_dir, exist_ok=True)
    os.makedirs(status_dir, exist_ok=True)
    ports = [base_port + i for i in range(count)]
    env = dict(os.environ)
    handshakes = []
    t0 = time.monotonic()
    with open(os.path.join(run_dir, "pids"), "w") as pid_file:
        for i, port in enumerate(ports):
            argv = [BUSYBOX, "httpd", "-f", "-p", f"127.0.0.1:{port}", "-h", www_dir]
            log = os.path.join(log_dir, f"{i}.log")
            # posix_spawn (vfork + exec in glibc): what a careful C launcher would do, without
            # Popen's per-child Python bookkeeping. The descriptors are opened in the child.
            if shim is None:
                program = BUSYBOX
                actions = [
                    (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                    (os.POSIX_SPAWN_OPEN, 1, log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600),
                    (os.POSIX_SPAWN_DUP2, 1, 2),
                ]
            else:
                program = shim
                argv = [shim, "--log", log, "--status", os.path.join(status_dir, f"{i}.json"), "--"] + argv
                # Python's pipe ends are close-on-exec; dup2 onto 1 makes the write end the shim's.
                read_end, write_end = os.pipe()
                actions = [
                    (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                    (os.POSIX_SPAWN_DUP2, write_end, 1),
                    (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
                ]
            pid = os.posix_spawn(program, argv, env, file_actions=actions, setsid=True)
            if shim is not None:
                os.close(write_end)
                handshakes.append(read_end)
            # Written as we go, so the bench's trap can kill what exists even if we die midway.
            pid_file.write(f"{pid}\n")
            pid_file.flush()
    for fd in handshakes:
        line = b""
        while not line.endswith(b"\n"):
            chunk = os.read(fd, 256)
            if not chunk:
                break
            line += chunk
        os.close(fd)
        if not line.startswith(b"ok "):
            sys.exit(f"local_deploy_floor: agentctl-shim handshake: {line.decode(errors='replace').strip()!r}")
    spawned = time.monotonic() - t0
    polled, rounds = poll(ports, READY_TIMEOUT_S)
    print(f"{spawned * 1000:.1f} {polled * 1000:.1f} {rounds}")


def stop(run_dir):
    path = os.path.join(run_dir, "pids")
    try:
        with open(path) as pid_file:
            pids = [int(line) for line in pid_file if line.strip()]
    except FileNotFoundError:
        return
    alive = []
    for pid in pids:
        if not is_our_agent(pid):
            continue
        try:
            os.killpg(pid, signal.SIGTERM)
            alive.append(pid)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 5
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if group_alive(pid)]
        if alive:
            time.sleep(0.01)
    for pid in alive:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    os.remove(path)


def is_our_agent(pid):
    """True when pid is still a busybox httpd or an agentctl-shim (never signal a pid the system
    has recycled)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            argv0 = cmdline.read().split(b"\0", 2)
            return argv0[0] == BUSYBOX.encode() and argv0[1:2] == [b"httpd"] or argv0[0].endswith(b"/agentctl-shim")
    except (FileNotFoundError, ProcessLookupError):
        return False


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return not_zombie(pgid)


def not_zombie(pid):
    """True while pid exists and is not a zombie (an exited child its parent has not reaped yet
    still answers signal 0)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def leftovers(text):
    needle = text.encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                if needle in cmdline.read() and not_zombie(int(entry)):
                    print(entry)
        except OSError:
            pass


def fs_cost(directory):
    scratch = os.path.join(directory, f"fs-cost.{os.getpid()}")
    os.mkdir(scratch)
    files = 200
    try:
        t0 = time.monotonic()
        for i in range(files):
            temp, final = os.path.join(scratch, f"{i}.tmp"), os.path.join(scratch, str(i))
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.write(fd, b"x" * 512)
            os.close(fd)
            os.rename(temp, final)
        took = time.monotonic() - t0
    finally:
        for name in os.listdir(scratch):
            os.remove(os.path.join(scratch, name))
        os.rmdir(scratch)
    print(f"{took * 1e6 / files:.0f}")


def main(argv):
    if len(argv) == 6 and argv[1] == "start":
        start(argv[2], os.path.abspath(argv[3]), int(argv[4]), int(argv[5]))
    elif len(argv) == 7 and argv[1] == "start-shim":
        start(argv[2], os.path.abspath(argv[3]), int(argv[4]), int(argv[5]), os.path.abspath(argv[6]))
    elif len(argv) in (4, 5) and argv[1] == "wait":
        timeout_s = float(argv[4]) if len(argv) == 5 else READY_TIMEOUT_S
        polled, rounds = poll([int(argv[2]) + i for i in range(int(argv[3]))], timeout_s)
        print(f"{polled * 1000:.1f} {rounds}")
    elif len(argv) == 3 and argv[1] == "stop":
        stop(argv[2])
    elif len(argv) == 3 and argv[1] == "fs-cost":
        fs_cost(argv[2])
    elif len(argv) == 3 and argv[1] == "leftovers":
        leftovers(argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
