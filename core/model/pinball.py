"""The pinball (quantile) loss of a multi-horizon quantile head, as a Keras loss.

The head predicts ``horizons x quantiles`` values per example, horizon-major
(output ``h * Q + q``); the labels are ``(batch, horizons)``. Registered as a
Keras serialisable, so a model compiled with it saves; bundles are reloaded
uncompiled (``compile=False``), so reading one never needs this class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="sequence_embedding_studio")
class PinballLoss(keras.losses.Loss):
    """Mean pinball loss over horizons and quantiles.

    Parameters
    ----------
    quantiles : sequence of float
        The predicted levels, in output order.
    horizons : int
        Steps predicted per example.
    """

    def __init__(
        self,
        quantiles: Sequence[float],
        horizons: int = 1,
        name: str = "pinball",
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.quantiles = tuple(float(q) for q in quantiles)
        self.horizons = int(horizons)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        """Per-example loss: mean over horizons and quantiles."""
        levels = ops.convert_to_tensor(self.quantiles, dtype=y_pred.dtype)
        actual = ops.reshape(ops.cast(y_true, y_pred.dtype), (-1, self.horizons, 1))
        predicted = ops.reshape(y_pred, (-1, self.horizons, len(self.quantiles)))
        difference = actual - predicted
        losses = ops.maximum(levels * difference, (levels - 1.0) * difference)
        return ops.mean(losses, axis=(1, 2))

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, for saving."""
        return {
            **super().get_config(),
            "quantiles": list(self.quantiles),
            "horizons": self.horizons,
        }
