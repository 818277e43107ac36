"""The fitted preprocessing: vocabularies (0 = padding, 1 = unknown), numeric
scaling, target encoding, derived inputs, embedding sizes and layer names.
Imports without Keras.

The public names below load their module on first use (see
:mod:`core._exports`).
"""

from core._exports import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "derived": [
            "AGE_COLUMN",
            "causal_smoothing",
            "derive_features",
            "derived_columns",
            "input_config",
            "target_input_name",
        ],
        "embedding_sizes": [
            "RULES",
            "RULE_DESCRIPTIONS",
            "default_embedding_dim",
            "embedding_parameters",
            "suggest_embedding_dim",
        ],
        "moments": ["Moments", "TINY_SCALE"],
        "naming": [
            "MASK_INPUT",
            "NUMERIC_INPUT",
            "categorical_input_name",
            "embedding_layer_name",
        ],
        "numeric": ["to_numeric_values"],
        "preprocessor": ["EncodedTable", "FORMAT_VERSION", "SequencePreprocessor"],
        "series_scaling": [
            "BY_ENTITY",
            "SUGGEST_RATIO",
            "SeriesScaler",
            "level_ratio",
            "suggest_series_scaling",
        ],
        "target": ["TargetEncoder"],
        "time_inputs": [
            "since_first_name",
            "since_previous_name",
            "time_input_columns",
            "time_inputs",
            "time_value_name",
        ],
        "vocabulary": [
            "FIRST_CATEGORY_INDEX",
            "MISSING_KEY",
            "UNKNOWN_INDEX",
            "UNKNOWN_LABEL",
            "build_vocabulary",
            "category_keys",
            "key_counts",
            "lookup",
        ],
    },
)
