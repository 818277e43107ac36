"""The arms a run trains: the names stored in ``run.json``, results and configs.

An arm is what the code elsewhere calls an *encoding*: the embedding LSTM, its
one-hot twin, or the gradient-boosting arm on window summaries. The values are
the strings already stored in run records, result folders and config JSON, so
an :class:`Arm` compares equal to (and serialises as) that string.
"""

from __future__ import annotations

from enum import StrEnum


class Arm(StrEnum):
    """One arm of a run; its value is the stored string.

    Examples
    --------
    >>> Arm.ONEHOT == "onehot"
    True
    >>> Arm("gbm") is Arm.GBM
    True
    """

    #: The LSTM with one trainable ``Embedding`` per categorical column.
    EMBEDDING = "embedding"
    #: The same LSTM with a frozen identity embedding: one-hot inputs.
    ONEHOT = "onehot"
    #: Gradient boosting on summaries of the same windows (no sequence model).
    GBM = "gbm"


#: The two LSTM arms, embedding first: the pair every comparison is about.
LSTM_ARMS: tuple[Arm, ...] = (Arm.EMBEDDING, Arm.ONEHOT)
