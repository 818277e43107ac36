"""One model on several GPUs of one machine: which ``tf.distribute`` strategy.

With more than one GPU visible, the model is built and compiled under a
``tf.distribute.MirroredStrategy`` scope, so Keras's ``model.fit`` splits each
batch over the GPUs (``train.batch_size`` is the global batch). With one GPU or
none nothing changes: no strategy, and on CPU the deterministic kernels that
make a run reproducible.

``$SEQ_EMBED_STRATEGY`` overrides the choice: ``auto`` (the default),
``default`` (never distribute) or ``mirrored`` (always, even on one device).
``multiworker`` is refused with the reason: Keras 3's ``model.fit`` under
``tf.distribute.MultiWorkerMirroredStrategy`` fails on TensorFlow 2.21 even for
a two-layer Dense model (keras-team/keras#20585; ``bench/multiworker_repro.py``
shows it). Several machines train several runs instead (the Ray executor).

The cuDNN LSTM kernel stays usable because the sequences are padded on the
right and ``recurrent_dropout`` is 0 by default; :func:`cudnn_notes` says when a
config gives that up. The choice itself is a pure function of the number of
visible GPUs and the setting (:func:`choose_strategy`), tested without a GPU.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import tensorflow as tf

from core.errors import ConfigError

STRATEGY_VARIABLE = "SEQ_EMBED_STRATEGY"
SETTINGS = ("auto", "default", "mirrored")
MULTIWORKER_REFUSAL = (
    "MultiWorkerMirroredStrategy fails with Keras 3's model.fit on TensorFlow "
    "2.21 (keras-team/keras#20585, see bench/multiworker_repro.py); train "
    "several runs on several machines with --executor ray instead"
)
_mirrored: Any = None


def choose_strategy(visible_gpus: int, setting: str | None = None) -> str:
    """``"mirrored"`` or ``"default"`` for this many visible GPUs and setting.

    Parameters
    ----------
    visible_gpus : int
        GPUs TensorFlow can see (after ``CUDA_VISIBLE_DEVICES``).
    setting : str or None
        ``auto`` (``None`` too), ``default`` or ``mirrored``.

    Raises
    ------
    ConfigError
        For ``multiworker`` (with the reason) or an unknown setting.
    """
    chosen = (setting or "auto").strip().lower()
    if chosen in ("multiworker", "multi_worker", "multiworkermirrored"):
        raise ConfigError(STRATEGY_VARIABLE, MULTIWORKER_REFUSAL)
    if chosen not in SETTINGS:
        raise ConfigError(
            STRATEGY_VARIABLE, f"expected one of {list(SETTINGS)}, received {setting!r}"
        )
    if chosen == "auto":
        return "mirrored" if visible_gpus > 1 else "default"
    return chosen


def cudnn_notes(recurrent_dropout: float, visible_gpus: int) -> list[str]:
    """Why the LSTM would leave the fast cuDNN kernel on a GPU (empty: it will not)."""
    if visible_gpus and recurrent_dropout > 0:
        return [
            f"model.recurrent_dropout is {recurrent_dropout}: the LSTM runs "
            "without cuDNN on the GPU (several times slower); set it to 0 to "
            "keep the cuDNN kernel"
        ]
    return []


def visible_gpu_count() -> int:
    """GPUs TensorFlow sees, without initialising its runtime."""
    return len(tf.config.list_physical_devices("GPU"))


@contextlib.contextmanager
def strategy_scope(setting: str | None = None) -> Iterator[str]:
    """Build and compile a model inside this; yields the strategy's name.

    ``setting`` defaults to ``$SEQ_EMBED_STRATEGY``. Under ``default`` it does
    nothing at all.
    """
    global _mirrored
    setting = setting if setting is not None else os.environ.get(STRATEGY_VARIABLE)
    name = choose_strategy(visible_gpu_count(), setting)
    if name == "default":
        yield name
        return
    if _mirrored is None:  # one per process: it claims the GPUs once
        _mirrored = tf.distribute.MirroredStrategy()
    with _mirrored.scope():
        yield name
