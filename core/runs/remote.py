"""Model computations for the web server, done in a process with TensorFlow.

The server shows runs without TensorFlow (:mod:`core.runs.stored_models`);
what needs a run's model itself (predictions on a new file, the what-if
timeline, permutation importance) is asked of a *model worker*:
``python -m core.runs.remote``, started on first use by the executor that
owns it (:attr:`core.runs.executors.local.LocalExecutor.models`), with the
executor's thread cap. It loads each bundle once (kept by folder and
modification time) and answers one request at a time.

Requests and answers travel as pickle files in a private temporary folder;
the pipes carry only their names. Both ends are this library, started by the
same user (trusted like a worker's command line). The worker exits when its
launcher closes the pipe or ends, so it dies with the web server.
"""

from __future__ import annotations

import importlib
import os
import pickle
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from core.errors import CoreError
from core.runs.executors.spare import PROJECT_ROOT

#: What a model worker computes, by name: the function's module and name. Each
#: takes the loaded bundle first.
OPERATIONS = {
    "predict": ("core.model.bundle", "predict"),
    "timeline": ("core.runs.remote", "bundle_timeline"),
    "what_if": ("core.runs.remote", "bundle_what_if"),
    "permutation_importance": ("core.runs.remote", "bundle_importance"),
}
#: The longest one request may take before the worker is restarted.
DEFAULT_TIMEOUT_SECONDS = 600.0
OK, FAILED = "ok", "failed"


class RemoteError(CoreError):
    """A model worker's computation failed; the message says why."""


def bundle_timeline(bundle: Any, history: Any) -> Any:
    """:func:`core.analysis.whatif.timeline` with a loaded bundle's model."""
    # Runs in the model worker, which has TensorFlow: the server never calls it.
    from core.analysis.whatif import timeline

    return timeline(bundle.model, bundle.preprocessor, history)


def bundle_what_if(bundle: Any, history: Any, column: str, replacement: Any) -> Any:
    """:func:`core.analysis.whatif.what_if` with a loaded bundle's model."""
    # Runs in the model worker, which has TensorFlow: the server never calls it.
    from core.analysis.whatif import what_if

    return what_if(bundle.model, bundle.preprocessor, history, column, replacement)


def bundle_importance(bundle: Any, prepared: Any, part: str, **options: Any) -> Any:
    """:func:`core.analysis.importance.permutation_importance` of a bundle's model."""
    # Runs in the model worker, which has TensorFlow: the server never calls it.
    from core.analysis.importance import permutation_importance

    return permutation_importance(bundle.model, prepared, part, **options)


class ModelWorker:
    """The launcher's end: one model worker process, started on first use.

    Parameters
    ----------
    environment : dict of str to str or None
        Added to the worker's environment (the executor's thread cap).
    timeout : float
        Seconds one request may take; past it the worker is ended (and a
        fresh one started by the next request) and :class:`RemoteError` raised.
    """

    def __init__(
        self,
        environment: dict[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self.environment = dict(environment or {})
        self.timeout = timeout
        self.process: subprocess.Popen | None = None
        self._folder = Path(tempfile.mkdtemp(prefix="seq-embed-models-"))
        self._lock = threading.Lock()
        self._count = 0

    def start(self) -> None:
        """Start the process now (it imports TensorFlow while nobody waits)."""
        with self._lock:
            self._ensure_started()

    def _ensure_started(self) -> subprocess.Popen:
        if self.process is None or self.process.poll() is not None:
            environment = {**os.environ, **self.environment}
            environment.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            self.process = subprocess.Popen(
                [sys.executable, "-m", "core.runs.remote"],
                cwd=PROJECT_ROOT,
                env=environment,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        return self.process

    def call(
        self, operation: str, bundle_path: str | Path, *args: Any, **kwargs: Any
    ) -> Any:
        """Compute ``operation`` with the bundle at ``bundle_path``; its result.

        Raises
        ------
        CoreError
            What the computation raised (the same class when it can be rebuilt).
        RemoteError
            If the worker failed otherwise, ended, or took longer than ``timeout``.
        """
        if operation not in OPERATIONS:
            raise RemoteError(
                f"expected one of {sorted(OPERATIONS)}, received {operation!r}"
            )
        with self._lock:
            self._count += 1
            request = self._folder / f"request-{self._count}.pickle"
            answer = self._folder / f"answer-{self._count}.pickle"
            payload = (operation, str(bundle_path), args, kwargs)
            request.write_bytes(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
            process = self._ensure_started()
            try:
                process.stdin.write(f"{request}\t{answer}\n".encode())
                process.stdin.flush()
                status = self._reply(process)
                result = pickle.loads(answer.read_bytes())
            except (OSError, EOFError, pickle.UnpicklingError) as error:
                self._end(process)
                raise RemoteError(
                    f"the model worker ended unexpectedly: {error}"
                ) from error
            finally:
                request.unlink(missing_ok=True)
                answer.unlink(missing_ok=True)
        if status == OK:
            return result
        if isinstance(result, CoreError):
            raise result
        raise RemoteError(str(result))

    def _reply(self, process: subprocess.Popen) -> str:
        """The worker's status line, waiting at most ``timeout`` seconds."""
        line: list[bytes] = []
        reader = threading.Thread(
            target=lambda: line.append(process.stdout.readline()), daemon=True
        )
        reader.start()
        reader.join(self.timeout)
        if reader.is_alive() or not line or not line[0].strip():
            self._end(process)
            raise RemoteError(
                f"expected an answer from the model worker within "
                f"{self.timeout:.0f} s, received none (it was stopped)"
            )
        return line[0].decode().strip()

    def _end(self, process: subprocess.Popen) -> None:
        process.kill()
        process.wait()

    def close(self) -> None:
        """Let the worker go (it exits at end-of-file) and remove the folder."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.stdin.close()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._end(process)
        for path in self._folder.glob("*"):
            path.unlink(missing_ok=True)
        self._folder.rmdir()


def _answer(line: str, bundles: dict[tuple[str, float], Any]) -> tuple[str, Any]:
    """Run one request (its pickle's path is in ``line``); (status, result)."""
    # Start-up cost: Keras; main() starts importing it as the worker starts.
    from core.model.bundle import load_bundle

    operation, path, args, kwargs = pickle.loads(Path(line).read_bytes())
    try:
        key = (path, (Path(path) / "model.keras").stat().st_mtime)
        if key not in bundles:
            bundles.clear()  # one model at a time: memory stays flat
            bundles[key] = load_bundle(path)
        module, name = OPERATIONS[operation]
        function = getattr(importlib.import_module(module), name)
        return OK, function(bundles[key], *args, **kwargs)
    except CoreError as error:
        try:
            pickle.loads(pickle.dumps(error))
            return FAILED, error
        except Exception:
            return FAILED, str(error)
    except Exception as error:
        # A bug, not the user's mistake: said so, never hidden.
        return FAILED, f"the computation crashed (a bug, please report it): {error!r}"


def main() -> int:
    """Entry point of the model worker: answer requests until end-of-file."""
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    # Anything else printed (TensorFlow's chatter) must not reach the replies.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    # Import TensorFlow while nobody waits; a request joins the import.
    threading.Thread(
        target=importlib.import_module, args=("core.model.bundle",), daemon=True
    ).start()
    bundles: dict[tuple[str, float], Any] = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        request, answer = line.rstrip("\n").split("\t")
        status, result = _answer(request, bundles)
        Path(answer).write_bytes(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
        replies.write(status + "\n")
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)
