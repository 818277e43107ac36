"""A two-node Ray cluster on this machine for the Ray executor's tests (its parts).

The head and one extra worker node are separate ``ray start`` daemons on
127.0.0.1, each with one CPU, a private temporary folder and their own ports.
Each ``ray start`` runs in a new session, and every daemon and Ray worker it
starts stays in that session, so the teardown ends exactly those processes (by
session id) and never calls ``ray stop``, which would end every Ray process of
this user on the machine.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

SKIP_REASON = (
    "Ray is not installed: pip install -r requirements-ray.txt to run the Ray "
    "executor's tests (make test-ray)"
)
#: Explicit, so a token in ~/.ray/auth_token (which a private ``ray.init()``
#: leaves behind) cannot switch half of the test cluster to token auth.
CLUSTER_ENVIRONMENT = {"RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
RAY = Path(sys.executable).with_name("ray")
START_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def node_ports() -> list[str]:
    """Every port a node listens on, chosen free (not Ray's fixed defaults)."""
    # Below the ephemeral range, where free_port() draws the others.
    low = random.randrange(11000, 30000, 200)
    return [
        f"--node-manager-port={free_port()}",
        f"--object-manager-port={free_port()}",
        f"--min-worker-port={low}",
        f"--max-worker-port={low + 199}",
        f"--dashboard-agent-listen-port={free_port()}",
        f"--dashboard-agent-grpc-port={free_port()}",
        f"--runtime-env-agent-port={free_port()}",
        f"--metrics-export-port={free_port()}",
    ]


@dataclass
class LocalCluster:
    """The address of the test cluster and the sessions of its daemons."""

    address: str
    temp_dir: Path
    sessions: list[int] = field(default_factory=list)

    def start_node(self, arguments: list[str]) -> None:
        command = [
            str(RAY),
            "start",
            "--num-cpus=1",
            "--num-gpus=0",
            "--disable-usage-stats",
            "--node-ip-address=127.0.0.1",
            *node_ports(),
            *arguments,
        ]
        environment = {**os.environ, **CLUSTER_ENVIRONMENT}
        environment.pop("RAY_ADDRESS", None)
        child = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=environment,
            start_new_session=True,
        )
        self.sessions.append(child.pid)
        output, _ = child.communicate(timeout=START_SECONDS)
        if child.returncode != 0:
            raise RuntimeError(f"ray start failed:\n{output}")

    def processes(self) -> list[int]:
        """Pids of every live process in this cluster's sessions."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, IndexError, ValueError):
                text = (entry / "stat").read_text()
                fields = text[text.rindex(")") + 2 :].split()
                if int(fields[3]) in self.sessions and fields[0] not in "ZX":
                    found.append(int(entry.name))
        return found

    def stop(self) -> None:
        """End this cluster's processes only (SIGTERM, then SIGKILL)."""
        for sent in (signal.SIGTERM, signal.SIGKILL):
            for pid in self.processes():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, sent)
            deadline = time.monotonic() + 10
            while self.processes() and time.monotonic() < deadline:
                time.sleep(0.2)
        shutil.rmtree(self.temp_dir, ignore_errors=True)
