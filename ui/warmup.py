"""Import TensorFlow in the background before the user needs it.

The first bundle load or prediction after a server start used to spend 6-8 s
importing TensorFlow after the click. The predictions page starts this import
when it shows the bundle uploader, so it overlaps with choosing the file. The
first page never calls it (it stays free of TensorFlow).
"""

from __future__ import annotations

import importlib
import threading

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
