"""The floor for bench/docker_deploy: the same 3-stage chain of busybox-httpd containers
started by hand, as fast as the docker CLI allows (stdlib only; Debian's python3).

  docker_deploy_floor.py DOCKER IMAGE NETWORK PREFIX BASE_PORT STAGES PER_STAGE

Creates NETWORK, then per stage runs PER_STAGE `docker run -d` at once (each container
PREFIX-<i>, publishing 127.0.0.1:<BASE_PORT+i> to 8080), and polls every container's /health
every 10 ms until all of the stage answer, before the next stage. Prints the elapsed
milliseconds. Removing the containers and the network is the caller's job.
"""

import subprocess
import sys
import time
import urllib.request


def answers(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as reply:
            return reply.status == 200
    except OSError:
        return False


def main():
    docker, image, network, prefix = sys.argv[1:5]
    base_port, stages, per_stage = (int(arg) for arg in sys.argv[5:8])
    started = time.monotonic()
    subprocess.run([docker, "network", "create", network], check=True, stdout=subprocess.DEVNULL)
    for stage in range(stages):
        ports = [base_port + stage * per_stage + i for i in range(per_stage)]
        runs = [
            subprocess.Popen(
                [docker, "run", "-d", "--name", f"{prefix}-{port - base_port}", "--network", network,
                 "--restart=no", "-p", f"127.0.0.1:{port}:8080", image,
                 "/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"],
                stdout=subprocess.DEVNULL)
            for port in ports
        ]
        for run in runs:
            if run.wait() != 0:
                sys.exit("docker run failed")
        waiting = set(ports)
        while waiting:
            waiting = {port for port in waiting if not answers(port)}
            if waiting:
                time.sleep(0.01)
    print(int((time.monotonic() - started) * 1000))


if __name__ == "__main__":
    main()
