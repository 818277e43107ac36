"""The fitted preprocessing: vocabularies, numeric scaling and target encoding.

:class:`SequencePreprocessor` follows scikit-learn's contract: ``__init__`` only
stores the configuration, :meth:`~SequencePreprocessor.fit` learns from the
training split alone and returns ``self``, and the learned state lives in
attributes ending in ``_``. It is saved as JSON (never pickle) beside the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.config import DataConfig, ExperimentConfig
from core.data.columns import require_columns
from core.errors import DataValidationError, NotFittedError
from core.features.derived import derived_columns, target_input_name
from core.features.embedding_sizes import default_embedding_dim
from core.features.entity_baseline import (
    baseline_spread,
    subtract_entity_baselines,
)
from core.features.numeric import NumericScaler, to_numeric_values
from core.features.series_scaling import SeriesScaler
from core.features.target import TargetEncoder
from core.features.time_inputs import time_value_name
from core.features.vocabulary import (
    FIRST_CATEGORY_INDEX,
    build_vocabulary,
    key_counts,
    labels_for,
    lookup,
)

FORMAT_VERSION = 1


@dataclass(frozen=True)
class EncodedTable:
    """A long-format table after :meth:`SequencePreprocessor.transform`.

    Attributes
    ----------
    categorical : numpy.ndarray of int32, shape (rows, categorical columns)
        Vocabulary indices (1 = unknown, 2.. = categories; 0 never occurs here,
        it is reserved for padding).
    numeric : numpy.ndarray of float32, shape (rows, numeric features)
        Scaled values with missing values imputed, then missing indicators.
    unknown_values : dict of str to dict of str to int
        Per categorical column, values mapped to the unknown index and their rows.
    series_center, series_scale : numpy.ndarray or None
        With per-series target scaling: each row's target centre and scale in
        the target's own units (see :mod:`core.features.series_scaling`).
    """

    categorical: np.ndarray
    numeric: np.ndarray
    unknown_values: dict[str, dict[str, int]] = field(default_factory=dict)
    series_center: np.ndarray | None = None
    series_scale: np.ndarray | None = None

    @property
    def unknown_counts(self) -> dict[str, int]:
        """Rows that received the unknown index, per categorical column."""
        return {
            column: int(sum(values.values()))
            for column, values in self.unknown_values.items()
        }


class SequencePreprocessor:
    """Encode categorical columns, scale numeric columns and encode the target.

    Parameters
    ----------
    config : DataConfig
        Column roles and preprocessing options.

    Attributes
    ----------
    vocabularies_ : dict of str to list of str
        Per categorical column, the category keys; entry ``i`` has index ``i + 2``.
    category_counts_ : dict of str to list of int
        Training rows per vocabulary entry.
    category_target_means_ : dict of str to list of float or None
        Mean encoded target per vocabulary entry (positive rate for binary).
    input_dims_ : dict of str to int
        Embedding table sizes, ``len(vocabulary) + 2``.
    embedding_dims_ : dict of str to int
        Configured embedding widths, or the default rule's.
    numeric_scaler_ : NumericScaler
        Fitted scaling of the numeric columns.
    target_encoder_ : TargetEncoder
        Fitted target encoding.
    time_origin_ : float or None
        With ``time_as_input``: the earliest training time (in the time
        unit), subtracted from the time before it is scaled; ``None``
        otherwise.

    Examples
    --------
    >>> import pandas as pd
    >>> from core.config import ColumnSpec, DataConfig
    >>> frame = pd.DataFrame({"kind": ["a", "b", "a"], "y": [0, 1, 0]})
    >>> kind = ColumnSpec("kind")
    >>> config = DataConfig(target_column="y", categorical_columns=(kind,))
    >>> pre = SequencePreprocessor(config).fit(frame)
    >>> pre.vocabularies_["kind"], pre.transform(frame).categorical[:, 0].tolist()
    (['a', 'b'], [2, 3, 2])
    """

    def __init__(self, config: DataConfig) -> None:
        self.config = config

    @property
    def is_fitted(self) -> bool:
        """Whether :meth:`fit` has run."""
        return hasattr(self, "vocabularies_")

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(
                "expected a fitted SequencePreprocessor, received one before fit(); "
                "call fit(train_df) first"
            )

    def fit(self, train_df: pd.DataFrame) -> SequencePreprocessor:
        """Learn vocabularies, scaling and target encoding from training rows only.

        Parameters
        ----------
        train_df : pandas.DataFrame
            Long-format training rows.

        Returns
        -------
        SequencePreprocessor
            ``self``, fitted; any previous fit is forgotten.

        Raises
        ------
        DataValidationError
            If a column is missing or holds values of the wrong kind.
        """
        config = self.config
        require_columns(train_df, (*config.feature_columns, config.target_column))
        if len(train_df) == 0:
            raise DataValidationError(
                None, "expected at least one training row, received none"
            )
        self.vocabularies_: dict[str, list[str]] = {}
        self.category_counts_: dict[str, list[int]] = {}
        for spec in config.categorical_columns:
            counts = key_counts(train_df[spec.name])
            vocabulary = build_vocabulary(
                counts, config.min_category_count, config.max_categories
            )
            self.vocabularies_[spec.name] = vocabulary
            self.category_counts_[spec.name] = [counts[key] for key in vocabulary]
        self.input_dims_ = {
            name: len(vocabulary) + FIRST_CATEGORY_INDEX
            for name, vocabulary in self.vocabularies_.items()
        }
        self.embedding_dims_ = {
            spec.name: spec.embedding_dim
            or default_embedding_dim(len(self.vocabularies_[spec.name]))
            for spec in config.categorical_columns
        }
        self.target_encoder_ = TargetEncoder(
            config.task, config.target_column, config.target_cap
        ).fit(train_df[config.target_column])
        self.time_origin_ = self._fit_time_origin(train_df)
        train_df = self._from_time_origin(train_df)
        categorical = self._encode_categorical(train_df)[0]
        group_indices = self._group_indices(categorical)
        self.numeric_scaler_ = NumericScaler(
            config.numeric_columns,
            config.numeric_scaling,
            config.missing_indicators,
        ).fit(train_df, group_indices, self._group_count())
        # Entity age, time inputs and the target's past do not depend on the
        # operating condition that ``normalize_by`` names: one global scaling.
        self.numeric_scaler_.keep_global(
            tuple(c for c in derived_columns(config) if c in config.numeric_columns)
        )
        self.baseline_spread_ = None
        if config.entity_baseline is not None:
            numeric = self.numeric_scaler_.transform(train_df, group_indices)
            self.baseline_spread_ = baseline_spread(
                numeric,
                self._entities(train_df),
                self._baseline_positions(),
                config.entity_baseline,
            )
        self.category_target_means_ = self._target_means(train_df, categorical)
        self.series_scaler_ = None
        if config.target_scaling is not None:
            raw = self.target_encoder_.raw_values(train_df[config.target_column])
            self.series_scaler_ = SeriesScaler(config).fit(train_df, raw)
        return self

    def _fit_time_origin(self, train_df: pd.DataFrame) -> float | None:
        """The earliest training time, when the time itself is an input."""
        if not self.config.time_as_input:
            return None
        name = time_value_name(self.config)
        values = to_numeric_values(train_df[name], name)
        return float(np.nanmin(values)) if np.isfinite(values).any() else 0.0

    def _from_time_origin(self, df: pd.DataFrame) -> pd.DataFrame:
        """``df`` with the time input counted from the stored origin."""
        if self.time_origin_ is None:
            return df
        name = time_value_name(self.config)
        return df.assign(
            **{name: to_numeric_values(df[name], name) - self.time_origin_}
        )

    def _group_count(self) -> int:
        if self.config.normalize_by is None:
            return 1
        return self.input_dims_[self.config.normalize_by]

    def _group_indices(self, categorical: np.ndarray) -> np.ndarray | None:
        if self.config.normalize_by is None:
            return None
        position = self.config.categorical_names.index(self.config.normalize_by)
        return categorical[:, position]

    def _encode_categorical(
        self, df: pd.DataFrame
    ) -> tuple[np.ndarray, dict[str, dict[str, int]]]:
        columns = self.config.categorical_names
        matrix = np.empty((len(df), len(columns)), dtype=np.int32)
        unknown: dict[str, dict[str, int]] = {}
        for position, name in enumerate(columns):
            result = lookup(df[name], self.vocabularies_[name])
            matrix[:, position] = result.indices
            unknown[name] = result.unknown_values
        return matrix, unknown

    def _target_means(
        self, train_df: pd.DataFrame, categorical: np.ndarray
    ) -> dict[str, list[float | None]]:
        if self.config.task == "multiclass":
            return {
                name: [None] * len(vocabulary)
                for name, vocabulary in self.vocabularies_.items()
            }
        target = self.target_encoder_.raw_values(train_df[self.config.target_column])
        known = ~np.isnan(target)
        means: dict[str, list[float | None]] = {}
        for position, name in enumerate(self.config.categorical_names):
            size = self.input_dims_[name]
            indices = categorical[known, position]
            sums = np.bincount(indices, weights=target[known], minlength=size)
            counts = np.bincount(indices, minlength=size)
            means[name] = [
                float(sums[i] / counts[i]) if counts[i] else None
                for i in range(FIRST_CATEGORY_INDEX, size)
            ]
        return means

    def transform(self, df: pd.DataFrame) -> EncodedTable:
        """Encode a long-format table with the fitted state.

        Unseen categories map to the unknown index 1 and are counted, never raised.

        Raises
        ------
        NotFittedError
            If called before :meth:`fit`.
        DataValidationError
            If a feature column is missing or a numeric column holds text.
        """
        self._check_fitted()
        require_columns(df, self.config.feature_columns)
        df = self._from_time_origin(df)
        categorical, unknown = self._encode_categorical(df)
        numeric = self.numeric_scaler_.transform(df, self._group_indices(categorical))
        if self.config.entity_baseline is not None:
            numeric = self._from_entity_baselines(df, numeric)
        if self.series_scaler_ is None:
            return EncodedTable(categorical, numeric, unknown)
        center, scale = self._series_statistics(df)
        past = target_input_name(self.config)
        if past in self.numeric_scaler_.feature_names:
            # The target's past on the same per-series scale as the label.
            values = to_numeric_values(df[past], past)
            scaled = np.nan_to_num((values - center) / scale, nan=0.0)
            numeric[:, self.numeric_scaler_.feature_names.index(past)] = scaled
        return EncodedTable(categorical, numeric, unknown, center, scale)

    def _from_entity_baselines(
        self, df: pd.DataFrame, numeric: np.ndarray
    ) -> np.ndarray:
        """The user's scaled numeric columns as changes from each entity's baseline."""
        return subtract_entity_baselines(
            numeric,
            self._entities(df),
            self._baseline_positions(),
            self.config.entity_baseline,
            self.baseline_spread_,
        )

    def _baseline_positions(self) -> list[int]:
        """Positions of the user's numeric columns among the numeric features."""
        derived = set(derived_columns(self.config))
        names = self.numeric_scaler_.feature_names
        return [
            names.index(column)
            for column in self.config.numeric_columns
            if column not in derived
        ]

    def _entities(self, df: pd.DataFrame) -> np.ndarray:
        """Each row's entity (one entity without an id column)."""
        if self.config.id_column is None:
            return np.zeros(len(df), dtype=np.int64)
        return df[self.config.id_column].to_numpy()

    def _series_statistics(self, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Per-row target centre and scale (own window where the series is new)."""
        column = self.config.target_column
        target = None
        if column in df.columns:
            target = self.target_encoder_.raw_values(df[column])
        return self.series_scaler_.row_statistics(df, target)

    def inverse_transform(self, encoded: EncodedTable) -> pd.DataFrame:
        """Labels and unscaled values back from an :class:`EncodedTable`.

        Categories come back as their canonical keys (``"<unknown>"`` for index 1);
        imputed numeric values come back as ``NaN`` where a missing indicator says so.
        """
        self._check_fitted()
        columns: dict[str, Any] = {}
        for position, name in enumerate(self.config.categorical_names):
            columns[name] = labels_for(
                encoded.categorical[:, position], self.vocabularies_[name]
            )
        numeric = self.numeric_scaler_.inverse_transform(
            encoded.numeric, self._group_indices(encoded.categorical)
        )
        if self.time_origin_ is not None:
            name = time_value_name(self.config)
            numeric[name] = numeric[name] + self.time_origin_
        columns.update(numeric)
        return pd.DataFrame(columns)

    def encode_target(self, series: pd.Series) -> np.ndarray:
        """Target values as the model sees them (NaN or -1 where unusable)."""
        self._check_fitted()
        return self.target_encoder_.transform(series)

    def decode_target(self, values: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`encode_target` for predictions and labels."""
        self._check_fitted()
        return self.target_encoder_.inverse_transform(values)

    @property
    def numeric_feature_names(self) -> list[str]:
        """Names of the numeric model features (indicators included)."""
        self._check_fitted()
        return self.numeric_scaler_.feature_names

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable fitted state, with the data config it was built from."""
        self._check_fitted()
        config = ExperimentConfig(data=self.config).to_dict()["data"]
        return {
            "format_version": FORMAT_VERSION,
            "config": config,
            "vocabularies": self.vocabularies_,
            "category_counts": self.category_counts_,
            "category_target_means": self.category_target_means_,
            "embedding_dims": self.embedding_dims_,
            "numeric_scaler": self.numeric_scaler_.to_dict(),
            "target_encoder": self.target_encoder_.to_dict(),
            "series_scaler": None
            if self.series_scaler_ is None
            else self.series_scaler_.to_dict(),
            "time_origin": self.time_origin_,
            "baseline_spread": self.baseline_spread_,
        }

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> SequencePreprocessor:
        """Rebuild a fitted preprocessor from :meth:`to_dict` output.

        Raises
        ------
        DataValidationError
            If the payload is from another format version or incomplete.
        """
        version = payload.get("format_version")
        if version != FORMAT_VERSION:
            raise DataValidationError(
                None,
                f"expected preprocessor format version {FORMAT_VERSION}, "
                f"received {version!r}",
            )
        try:
            data = ExperimentConfig.from_dict({"data": payload["config"]}).data
            preprocessor = cls(data)
            preprocessor.vocabularies_ = dict(payload["vocabularies"])
            preprocessor.category_counts_ = dict(payload["category_counts"])
            preprocessor.category_target_means_ = dict(payload["category_target_means"])
            preprocessor.embedding_dims_ = dict(payload["embedding_dims"])
            preprocessor.numeric_scaler_ = NumericScaler.from_dict(
                payload["numeric_scaler"]
            )
            preprocessor.target_encoder_ = TargetEncoder.from_dict(
                payload["target_encoder"]
            )
            series = payload.get("series_scaler")
            preprocessor.series_scaler_ = (
                None if series is None else SeriesScaler.from_dict(data, series)
            )
            # Bundles saved before entity baselines have no spread (and no baseline).
            preprocessor.baseline_spread_ = (
                [float(value) for value in payload["baseline_spread"]]
                if data.entity_baseline is not None
                else None
            )
            # Bundles saved before the time could be an input have no origin.
            preprocessor.time_origin_ = (
                float(payload["time_origin"]) if data.time_as_input else None
            )
        except (KeyError, TypeError) as error:
            raise DataValidationError(
                None, f"expected a complete preprocessor, received one lacking {error}"
            ) from error
        except ValueError as error:
            raise DataValidationError(
                None, f"expected consistent preprocessor arrays, received: {error}"
            ) from error
        preprocessor.input_dims_ = {
            name: len(vocabulary) + FIRST_CATEGORY_INDEX
            for name, vocabulary in preprocessor.vocabularies_.items()
        }
        return preprocessor
