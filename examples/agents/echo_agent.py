"""A small stdlib-only agent for agentctl's example jobs and end-to-end tests.

It reads agentctl's environment contract (see DESIGN.md / man agentctl-job(5)):

  AGENT_ID, AGENT_NAME, AGENT_PORT (or "port" in AGENT_CONFIG), AGENT_HOST (default 127.0.0.1),
  CONNECTED_AGENTS (comma-separated peer URLs), AGENT_PEERS_JSON ([{"id", "instance", "url"}]),
  JOB_ID

and serves:

  GET  /health  -> 200 {"status": "ok", "id": AGENT_ID}
  GET  /env     -> 200 the contract variables it was started with (AGENT_*, JOB_ID, CONNECTED_AGENTS)
  POST /query   {"query": str, "session_id": str} -> {"response": str, "id": ..., "peers": [...]}

An agent with peers (a hub) forwards each query to every peer's /query and appends their
responses to its own, so a query to the hub shows the whole topology answering. Forwarded
queries carry the ids already visited ("path") so that meshes and cycles end.

Run it as `python3 -m agents.echo_agent` from examples/ (what the example jobs do), or as
`python3 echo_agent.py [--host H] [--port N]` (flags win over the environment).
"""

import argparse
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# How many agents one query may pass through; bounds the fan-out of a mesh.
DEFAULT_MAX_HOPS = 4
PEER_TIMEOUT_SECONDS = 10.0


class Stop(Exception):
    """Raised by the SIGTERM/SIGINT handler to leave serve_forever()."""


def log(line):
    """One line to stdout, flushed at once so that agentctl's log shows it immediately."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    sys.stdout.write(f"{stamp} {line}\n")
    sys.stdout.flush()


def agent_config():
    """The agent's whole config map (AGENT_CONFIG), or {} when absent or not a JSON object."""
    try:
        config = json.loads(os.environ.get("AGENT_CONFIG", "{}"))
    except ValueError:
        return {}
    return config if isinstance(config, dict) else {}


def peers_from_environment():
    """The peers to forward to: AGENT_PEERS_JSON when given, else the CONNECTED_AGENTS URLs."""
    peers_json = os.environ.get("AGENT_PEERS_JSON", "").strip()
    if peers_json:
        try:
            peers = json.loads(peers_json)
            return [
                {"id": str(p.get("id", p.get("url", ""))), "url": str(p["url"]).rstrip("/")}
                for p in peers
                if isinstance(p, dict) and p.get("url")
            ]
        except (ValueError, TypeError, KeyError):
            log(f"ignoring AGENT_PEERS_JSON that is not a list of peers: {peers_json!r}")
    urls = [u.strip().rstrip("/") for u in os.environ.get("CONNECTED_AGENTS", "").split(",")]
    return [{"id": url, "url": url} for url in urls if url]


def contract_variables():
    """The environment contract as this agent saw it at start."""
    names = [n for n in os.environ if n.startswith("AGENT_")]
    names += [n for n in ("JOB_ID", "CONNECTED_AGENTS") if n in os.environ]
    return {name: os.environ[name] for name in sorted(names)}


class Agent:
    """What the request handler needs to know about this agent."""

    def __init__(self, agent_id, name, peers, max_hops):
        self.id = agent_id
        self.name = name
        self.peers = peers
        self.max_hops = max_hops
        self.env = contract_variables()

    def answer(self, query, session_id, path):
        """This agent's answer, with the answers of the peers the query has not visited yet."""
        path = list(path) + [self.id]
        own = f"{self.id} received {query!r}"
        results = []
        if len(path) < self.max_hops:
            for peer in self.peers:
                if peer["id"] in path:
                    continue
                results.append(self.ask_peer(peer, query, session_id, path))
        parts = [own] + [
            f"{r['id']}: {r['response']}" if "response" in r else f"{r['id']}: unreachable ({r['error']})"
            for r in results
        ]
        return {
            "response": " | ".join(parts) if len(parts) == 1 else f"{own} <- [" + "; ".join(parts[1:]) + "]",
            "id": self.id,
            "name": self.name,
            "session_id": session_id,
            "peers": results,
        }

    @staticmethod
    def ask_peer(peer, query, session_id, path):
        """POSTs the query to one peer; an unreachable peer becomes an "error" entry, not a failure."""
        body = json.dumps({"query": query, "session_id": session_id, "path": path}).encode()
        request = urllib.request.Request(
            peer["url"] + "/query", data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=PEER_TIMEOUT_SECONDS) as reply:
                answer = json.loads(reply.read().decode("utf-8"))
            return {"id": peer["id"], "url": peer["url"], "response": str(answer.get("response", ""))}
        except (urllib.error.URLError, OSError, ValueError) as error:
            return {"id": peer["id"], "url": peer["url"], "error": str(error)}


def make_handler(agent):
    """A request handler class bound to `agent`."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "echo_agent/1"

        def send_json(self, status, payload):
            data = (json.dumps(payload, sort_keys=True) + "\n").encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802 (the name http.server calls)
            if self.path == "/health":
                self.send_json(200, {"status": "ok", "id": agent.id})
            elif self.path == "/env":
                self.send_json(200, agent.env)
            else:
                self.send_json(404, {"error": f"no such path: {self.path}"})

        def do_POST(self):  # noqa: N802
            if self.path != "/query":
                self.send_json(404, {"error": f"no such path: {self.path}"})
                return
            try:
                length = int(self.headers.get("Content-Length") or 0)
                request = json.loads(self.rfile.read(length).decode("utf-8") or "{}")
                if not isinstance(request, dict) or not isinstance(request.get("query"), str):
                    raise ValueError('the body must be a JSON object with a string "query"')
                path = request.get("path", [])
                if not isinstance(path, list):
                    raise ValueError('"path" must be a list of agent ids')
            except ValueError as error:
                self.send_json(400, {"error": str(error)})
                return
            session_id = str(request.get("session_id") or "")
            self.send_json(200, agent.answer(request["query"], session_id, [str(p) for p in path]))

        def log_message(self, format, *args):  # noqa: A002 (the signature http.server uses)
            log(f"{agent.id} {self.address_string()} {format % args}")

    return Handler


def parse_arguments(config):
    """Flags, falling back to the environment contract, then to the config map."""
    parser = argparse.ArgumentParser(description="agentctl's example echo agent")
    parser.add_argument("--host", default=os.environ.get("AGENT_HOST") or str(config.get("host") or "127.0.0.1"))
    parser.add_argument("--port", type=int, default=os.environ.get("AGENT_PORT") or config.get("port"))
    parser.add_argument("--id", default=os.environ.get("AGENT_ID", "echo"))
    args = parser.parse_args()
    if args.port is None:
        parser.error("no port: pass --port, or set AGENT_PORT or config.port")
    try:
        args.port = int(args.port)
    except ValueError:
        parser.error(f"the port is not a number: {args.port!r}")
    return args


def main():
    config = agent_config()
    args = parse_arguments(config)
    try:
        max_hops = int(os.environ.get("AGENT_MAX_HOPS", DEFAULT_MAX_HOPS))
    except ValueError:
        max_hops = DEFAULT_MAX_HOPS
    agent = Agent(args.id, os.environ.get("AGENT_NAME", args.id), peers_from_environment(), max_hops)

    def stop(signum, _frame):
        raise Stop(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    ThreadingHTTPServer.daemon_threads = True
    try:
        server = ThreadingHTTPServer((args.host, args.port), make_handler(agent))
    except OSError as error:
        log(f"{agent.id} cannot listen on {args.host}:{args.port}: {error}")
        return 1
    peers = ", ".join(p["id"] for p in agent.peers) or "none"
    log(f"{agent.id} listening on http://{args.host}:{args.port} (job {os.environ.get('JOB_ID', '-')}, peers: {peers})")
    try:
        server.serve_forever()
    except Stop as reason:
        log(f"{agent.id} stopping on {reason}")
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
