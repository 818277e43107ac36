"""The Ray tests' cluster fixture; the cluster's parts live in tests/support."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.ray_cluster import (
    CLUSTER_ENVIRONMENT,
    SKIP_REASON,
    LocalCluster,
    free_port,
)

try:
    import ray
except ImportError:  # the test module skips itself, saying what to install
    ray = None


@pytest.fixture(scope="package")
def ray_cluster() -> Iterator[LocalCluster]:
    """A head and one worker node (one CPU each) for the whole package."""
    if ray is None:
        pytest.skip(SKIP_REASON)
    saved = {name: os.environ.get(name) for name in CLUSTER_ENVIRONMENT}
    os.environ.update(CLUSTER_ENVIRONMENT)  # the tests' driver (this process) too
    # Short: Ray's socket paths live under it (Unix sockets allow ~107 bytes).
    temp_dir = Path(tempfile.mkdtemp(prefix="rt", dir="/tmp"))
    port = free_port()
    cluster = LocalCluster(f"127.0.0.1:{port}", temp_dir)
    try:
        cluster.start_node(
            [
                "--head",
                f"--port={port}",
                f"--temp-dir={temp_dir}",
                f"--ray-client-server-port={free_port()}",
                "--include-dashboard=false",
                f"--dashboard-port={free_port()}",
            ]
        )
        cluster.start_node([f"--address={cluster.address}"])
        yield cluster
    finally:
        with contextlib.suppress(Exception):
            ray.shutdown()  # the tests' driver connection
        cluster.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
