"""Import TensorFlow in the background before the user needs it.

The first bundle load or prediction after a server start used to spend 6-8 s
importing TensorFlow after the click. A run's model predicts in the model
worker (:mod:`core.runs.remote`): the predictions page starts that process as
soon as it shows a run's model, and it imports TensorFlow while the user
picks a file, outside the server. Only an uploaded bundle is loaded in the
server: the page imports TensorFlow here when the user opens the bundle
uploader, so the import overlaps with choosing the file. Other pages never
call these (they stay free of TensorFlow).
"""

from __future__ import annotations

import importlib
import threading

from ui import runs

_LOCK = threading.Lock()
_STARTED: list[threading.Thread] = []


def warm_tensorflow() -> threading.Thread:
    """Start (once per process) a daemon thread importing the Keras-using modules."""
    with _LOCK:
        if not _STARTED:
            thread = threading.Thread(
                target=importlib.import_module,
                args=("core.model.bundle",),
                name="tensorflow-warm-up",
                daemon=True,
            )
            thread.start()
            _STARTED.append(thread)
        return _STARTED[0]


def warm_model_worker() -> None:
    """Start the executor's model worker, if it is not running, without waiting.

    It imports TensorFlow in its own process, so the first prediction on a new
    file does not wait for that import; cheap on every rerun once it runs.
    """
    runs.executor().models.start()
