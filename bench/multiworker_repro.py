"""Keras 3 ``model.fit`` under ``MultiWorkerMirroredStrategy`` on TensorFlow 2.21.

Starts two worker processes on 127.0.0.1 with a ``TF_CONFIG`` each, builds a
two-layer Dense model under ``tf.distribute.MultiWorkerMirroredStrategy`` in
both, and calls ``model.fit`` on a small ``tf.data`` set; prints the library
versions and what each worker got. On TensorFlow 2.21 with Keras 3 the fit
fails ("ValueError: Attempt to convert a value (PerReplica...)",
keras-team/keras#20585), which is why the studio trains one model on several
GPUs of *one* machine only (``MirroredStrategy``, ``core/model/strategy.py``) and
uses several machines for several runs (the Ray executor).

    python -m bench.multiworker_repro            # exit 0: failure reproduced
                                                 # exit 1: fit worked (revisit!)
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import traceback
from pathlib import Path

RESULT = "RESULT "
TIMEOUT_SECONDS = 300


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def worker(index: int, ports: list[int]) -> None:
    """One worker: TF_CONFIG first, then TensorFlow, the strategy and the fit."""
    os.environ["TF_CONFIG"] = json.dumps(
        {
            "cluster": {"worker": [f"127.0.0.1:{port}" for port in ports]},
            "task": {"type": "worker", "index": index},
        }
    )
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np
    import tensorflow as tf

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    outcome: dict[str, object] = {"worker": index}
    try:
        with strategy.scope():
            model = keras.Sequential(
                [
                    keras.Input((4,)),
                    keras.layers.Dense(8, activation="relu"),
                    keras.layers.Dense(1),
                ]
            )
            model.compile(optimizer="adam", loss="mse")
        rng = np.random.default_rng(0)
        features = rng.normal(size=(64, 4)).astype("float32")
        labels = features.sum(axis=1, keepdims=True)
        data = tf.data.Dataset.from_tensor_slices((features, labels)).batch(8)
        history = model.fit(data, epochs=1, verbose=0)
        outcome.update(ok=True, loss=float(history.history["loss"][-1]))
    except Exception as error:  # the point of this script is to show it
        outcome.update(
            ok=False,
            error=f"{type(error).__name__}: {str(error)[:400]}",
            trace=traceback.format_exc()[-1500:],
        )
    print(RESULT + json.dumps(outcome), flush=True)


def versions() -> dict[str, str]:
    """The versions that matter here (read without importing TensorFlow)."""
    from importlib import metadata
    from platform import python_version

    found = {"python": python_version()}
    for name in ("tensorflow", "keras", "numpy"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.multiworker_repro")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--ports", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        worker(args.worker, [int(port) for port in args.ports.split(",")])
        return 0
    print("versions:", json.dumps(versions()))
    ports = [_free_port(), _free_port()]
    root = Path(__file__).resolve().parents[1]
    environment = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "PYTHONUNBUFFERED": "1"}
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.multiworker_repro",
                "--worker",
                str(index),
                "--ports",
                ",".join(map(str, ports)),
            ],
            cwd=root,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for index in range(2)
    ]
    started = time.monotonic()
    outcomes = []
    for child in children:
        try:
            output, _ = child.communicate(
                timeout=max(1, TIMEOUT_SECONDS - (time.monotonic() - started))
            )
        except subprocess.TimeoutExpired:
            child.kill()
            output, _ = child.communicate()
            output += "\n(timed out)"
        lines = [line for line in output.splitlines() if line.startswith(RESULT)]
        if lines:
            outcomes.append(json.loads(lines[-1][len(RESULT) :]))
        else:
            outcomes.append(
                {"ok": False, "error": "no result", "output": output[-1500:]}
            )
    for outcome in outcomes:
        shown = {key: value for key, value in outcome.items() if key != "trace"}
        print("worker:", json.dumps(shown))
    if outcomes and all(outcome.get("ok") for outcome in outcomes):
        print(
            "model.fit under MultiWorkerMirroredStrategy WORKED: revisit docs/scale.md"
        )
        return 1
    trace = next((o.get("trace") for o in outcomes if o.get("trace")), None)
    if trace:
        print("first failing worker's trace (end):\n" + trace)
    print("reproduced: model.fit under MultiWorkerMirroredStrategy fails")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
