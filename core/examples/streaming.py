"""The preprocessor fitted in one streaming pass, and the split without a full load.

:class:`StreamingFit` receives training rows chunk by chunk and keeps only
counts and moments: category counts per column, running mean and variance per
numeric column (Chan's merge of batch moments), minimum and maximum, per group
when ``normalize_by`` is set, and the target's classes or moments. Its
:meth:`~StreamingFit.finish` gives a
:class:`~core.features.preprocessor.SequencePreprocessor`
with the same vocabularies (exactly) and statistics (to float rounding) as
``SequencePreprocessor(config).fit`` on the same rows.

:func:`hash_entity_parts` sends each entity to train, validation or test by a
seeded hash of its id, so the split needs no pass over the whole table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
import pandas as pd

from core.config import DataConfig, ExperimentConfig, SplitConfig
from core.data.schema import task_for_classes
from core.data.values import natural_order
from core.errors import DataValidationError
from core.examples.sequences import TEST, TRAIN, VALIDATION
from core.features.embedding_sizes import default_embedding_dim
from core.features.moments import TINY_SCALE, Moments
from core.features.numeric import to_numeric_values
from core.features.preprocessor import FORMAT_VERSION, SequencePreprocessor
from core.features.vocabulary import MISSING_KEY, build_vocabulary, category_keys

_GLOBAL_ROWS = 2


def _add_counts(totals: dict[str, int], codes: np.ndarray, keys: np.ndarray) -> None:
    counts = np.bincount(codes, minlength=len(keys))
    for key, count in zip(keys, counts, strict=True):
        if count:
            totals[key] = totals.get(key, 0) + int(count)


class StreamingFit:
    """Fit a :class:`SequencePreprocessor` from training chunks, one at a time.

    Parameters
    ----------
    config : DataConfig
        Column roles and preprocessing options.

    Examples
    --------
    >>> import pandas as pd
    >>> from core.config import ColumnSpec, DataConfig
    >>> config = DataConfig(target_column="y", categorical_columns=(ColumnSpec("k"),))
    >>> fit = StreamingFit(config)
    >>> fit.update(pd.DataFrame({"k": ["a", "b"], "y": [0, 1]}))
    >>> fit.update(pd.DataFrame({"k": ["b"], "y": [1]}))
    >>> fit.finish().vocabularies_["k"]
    ['b', 'a']
    """

    def __init__(self, config: DataConfig) -> None:
        self.config = config
        self.rows = 0
        names = config.categorical_names
        self.counts: dict[str, dict[str, int]] = {name: {} for name in names}
        # Per column and key: [known-target rows, target sum] (regression) or
        # per target key counts (classification), for category_target_means_.
        self.target_by_key: dict[str, dict[str, dict[str, float]]] = {
            name: {} for name in names
        }
        self.target_counts: dict[str, int] = {}
        self.target_moments = Moments(1)
        width = len(config.numeric_columns)
        self.numeric = Moments(width)
        self.groups: dict[str, Moments] = {}

    def update(self, train_rows: pd.DataFrame) -> None:
        """Merge the counts and moments of one chunk of training rows."""
        if len(train_rows) == 0:
            return
        config = self.config
        self.rows += len(train_rows)
        target = self._update_target(train_rows)
        group = None
        for name in config.categorical_names:
            codes, keys = category_keys(train_rows[name])
            _add_counts(self.counts[name], codes, keys)
            self._update_target_by_key(name, codes, keys, target)
            if name == config.normalize_by:
                group = codes, keys
        values = np.empty((len(train_rows), len(config.numeric_columns)))
        for position, column in enumerate(config.numeric_columns):
            values[:, position] = to_numeric_values(train_rows[column], column)
        self.numeric.update(values)
        if group is not None:
            codes, keys = group
            for code, rows in pd.Series(codes).groupby(codes).indices.items():
                moments = self.groups.setdefault(keys[code], Moments(values.shape[1]))
                moments.update(values[rows])

    def _update_target(
        self, train_rows: pd.DataFrame
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Regression: (capped values, None); classification: (codes, keys)."""
        config = self.config
        series = train_rows[config.target_column]
        if config.task == "regression":
            values = to_numeric_values(series, config.target_column)
            if config.target_cap is not None:
                values = np.minimum(values, config.target_cap)
            self.target_moments.update(values[:, None])
            return values, None
        if pd.api.types.is_float_dtype(series):
            values = series.to_numpy(dtype=np.float64, na_value=np.nan)
            if np.isinf(values).any():
                raise DataValidationError(
                    config.target_column,
                    f"expected class labels, received {int(np.isinf(values).sum())} "
                    "infinite value(s)",
                )
        codes, keys = category_keys(series)
        _add_counts(self.target_counts, codes, keys)
        return codes, keys

    def _update_target_by_key(
        self,
        name: str,
        codes: np.ndarray,
        keys: np.ndarray,
        target: tuple[np.ndarray, np.ndarray | None],
    ) -> None:
        """Per category key: target sum and count, or per target key counts."""
        if self.config.task == "multiclass":
            return
        table = self.target_by_key[name]
        values, target_keys = target
        if target_keys is None:
            known = ~np.isnan(values)
            counts = np.bincount(codes[known], minlength=len(keys))
            sums = np.bincount(codes[known], values[known], minlength=len(keys))
            for key, count, total in zip(keys, counts, sums, strict=True):
                if count:
                    entry = table.setdefault(key, {"count": 0.0, "sum": 0.0})
                    entry["count"] += float(count)
                    entry["sum"] += float(total)
            return
        width = len(target_keys)
        joint = np.bincount(codes * width + values, minlength=len(keys) * width)
        joint = joint.reshape(len(keys), width)
        for code, label in zip(*np.nonzero(joint), strict=True):
            entry = table.setdefault(keys[code], {})
            label_key = target_keys[label]
            entry[label_key] = entry.get(label_key, 0) + int(joint[code, label])

    def finish(self) -> SequencePreprocessor:
        """The fitted preprocessor.

        Raises
        ------
        DataValidationError
            If no training rows arrived, or the target does not fit the task.
        """
        config = self.config
        if self.rows == 0:
            raise DataValidationError(
                None, "expected at least one training row, received none"
            )
        vocabularies = {
            name: build_vocabulary(
                counts, config.min_category_count, config.max_categories
            )
            for name, counts in self.counts.items()
        }
        target = self._target_encoder()
        payload = {
            "format_version": FORMAT_VERSION,
            "config": ExperimentConfig(data=config).to_dict()["data"],
            "vocabularies": vocabularies,
            "category_counts": {
                name: [self.counts[name][key] for key in vocabulary]
                for name, vocabulary in vocabularies.items()
            },
            "category_target_means": self._target_means(vocabularies, target),
            "embedding_dims": {
                spec.name: spec.embedding_dim
                or default_embedding_dim(len(vocabularies[spec.name]))
                for spec in config.categorical_columns
            },
            "numeric_scaler": self._scaler(vocabularies),
            "target_encoder": target,
        }
        return SequencePreprocessor.from_dict(payload)

    def _target_encoder(self) -> dict:
        config = self.config
        column = config.target_column
        payload = {
            "task": config.task,
            "column": column,
            "cap": config.target_cap,
            "classes": None,
            "mean": 0.0,
            "std": 1.0,
        }
        if config.task == "regression":
            moments = self.target_moments
            if moments.count[0] == 0:
                raise DataValidationError(
                    column, "expected at least one non-missing target value"
                )
            std = float(np.sqrt(moments.m2[0] / moments.count[0]))
            payload["mean"] = float(moments.mean[0])
            payload["std"] = std if std > TINY_SCALE else 1.0
            return payload
        counts = dict(self.target_counts)
        counts.pop(MISSING_KEY, None)
        keys = natural_order(counts)
        if not keys:
            raise DataValidationError(
                column,
                "expected target values in the training rows, received only missing",
            )
        if len(keys) < 2:
            raise DataValidationError(
                column, f"expected at least two classes in training, received {keys}"
            )
        if config.task == "binary" and len(keys) != 2:
            raise DataValidationError(
                column,
                f"expected exactly two classes for a binary task, received "
                f"{len(keys)}: {keys[:10]} (choose task {task_for_classes(keys)!r})",
            )
        payload["classes"] = keys
        return payload

    def _target_means(
        self, vocabularies: dict[str, list[str]], target: dict
    ) -> dict[str, list[float | None]]:
        means: dict[str, list[float | None]] = {}
        for name, vocabulary in vocabularies.items():
            table = self.target_by_key[name]
            values: list[float | None] = []
            for key in vocabulary:
                entry = table.get(key, {})
                if self.config.task == "multiclass":
                    values.append(None)
                    continue
                if self.config.task == "regression":
                    count, total = entry.get("count", 0.0), entry.get("sum", 0.0)
                else:
                    negative, positive = target["classes"]
                    total = entry.get(positive, 0)
                    count = total + entry.get(negative, 0)
                values.append(float(total / count) if count else None)
            means[name] = values
        return means

    def _scaler(self, vocabularies: dict[str, list[str]]) -> dict:
        config = self.config
        scaling = config.numeric_scaling
        global_stats = self.numeric.statistics(scaling)
        groups = 1
        if config.normalize_by is not None:
            groups = len(vocabularies[config.normalize_by]) + _GLOBAL_ROWS
        rows = max(groups, _GLOBAL_ROWS)
        center, scale, mean = (np.tile(stat, (rows, 1)) for stat in global_stats)
        if config.normalize_by is not None:
            vocabulary = vocabularies[config.normalize_by]
            for index, key in enumerate(vocabulary, start=_GLOBAL_ROWS):
                moments = self.groups.get(key)
                # As in the in-memory fit: fewer than two rows keep the global scale.
                if moments is None or moments.rows < 2:
                    continue
                stats = moments.statistics(scaling, global_stats)
                center[index], scale[index], mean[index] = stats
        missing = self.numeric.count < self.numeric.rows
        indicators = []
        if config.missing_indicators:
            indicators = [
                column
                for column, flag in zip(config.numeric_columns, missing, strict=True)
                if flag
            ]
        return {
            "columns": list(config.numeric_columns),
            "scaling": scaling,
            "missing_indicators": config.missing_indicators,
            "indicator_columns": indicators,
            "center": center.tolist(),
            "scale": scale.tolist(),
            "mean": mean.tolist(),
        }


def _hash_key(seed: int) -> str:
    """The 16-character key of pandas' hash for a split seed."""
    return hashlib.sha256(f"split-{seed}".encode()).hexdigest()[:16]


def hash_entity_parts(ids: Iterable[object], split: SplitConfig) -> np.ndarray:
    """Part (train 0, validation 1, test 2) of each entity id, by a seeded hash.

    The same id and seed always give the same part, whatever chunk or file the
    id is read from; ids are hashed as text, so ``7`` and ``"7"`` agree. Parts
    come out close to the requested fractions (exactly in expectation).

    Examples
    --------
    >>> from core.config import SplitConfig
    >>> parts = hash_entity_parts(["a", "b", "a"], SplitConfig())
    >>> bool(parts[0] == parts[2])
    True
    """
    text = np.asarray([str(value) for value in ids], dtype=object)
    if len(text) == 0:
        return np.zeros(0, dtype=np.int8)
    hashes = pd.util.hash_array(text, hash_key=_hash_key(split.seed), categorize=True)
    uniform = (hashes >> np.uint64(11)).astype(np.float64) / float(2**53)
    parts = np.full(len(text), TRAIN, dtype=np.int8)
    parts[uniform < split.test_fraction + split.validation_fraction] = VALIDATION
    parts[uniform < split.test_fraction] = TEST
    return parts
