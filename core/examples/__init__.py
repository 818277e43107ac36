"""From encoded rows to examples: ordering, splits, windows and labels, the
prepared data a model trains on, the pre-flight advice (with its warnings on
unseen categories and likely leaks) and the streamed passes.
Imports without Keras.

The public names below load their module on first use (see
:mod:`core._exports`).
"""

from core._exports import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "advisor": [
            "EpochSample",
            "Preflight",
            "advise_embedding_sizes",
            "audit_column",
            "data_warnings",
            "default_epoch_seconds",
            "epoch_sample",
            "epoch_seconds_range",
            "plan_warnings",
            "preflight",
        ],
        "audit": ["audit_by_part"],
        "leaks": ["LikelyLeak", "find_likely_leaks", "likely_leak_text"],
        "prepare": [
            "DEFAULT_MEMORY_LIMIT_BYTES",
            "MIN_SCORED_EXAMPLES",
            "PreparedData",
            "check_memory",
            "estimate_memory_bytes",
            "plan_experiment",
            "prepare_experiment",
            "prepare_prediction",
            "series_scaled",
        ],
        "seasons": [
            "SEASON_BY_STEP",
            "detect_season",
            "forecast_season",
            "seasonal_offset",
            "typical_step",
        ],
        "sequences": [
            "Examples",
            "TEST",
            "TRAIN",
            "VALIDATION",
            "entity_layout",
            "example_labels",
            "example_positions",
            "gather_batch",
            "last_per_entity",
            "order_rows",
            "ordering_keys",
            "split_rows",
        ],
        "stream_passes": [
            "DEFAULT_MAX_EVAL_ROWS",
            "DEFAULT_MEMORY_BUDGET_MB",
            "FitReport",
            "StreamOptions",
            "check_streamable",
            "chunks",
            "fit_streaming",
            "held_out_sample",
            "prepare_chunk",
        ],
        "streaming": ["hash_entity_parts"],
        "time_horizon": [
            "TimeHorizon",
            "censored_note",
            "censored_prediction_notes",
            "rows_through",
            "time_horizon",
            "time_horizon_labels",
            "time_purged_last",
            "time_unit_note",
            "training_time_unit",
            "unit_seconds",
            "uses_time_unit",
        ],
        "unseen": [
            "UnseenCategories",
            "find_unseen_categories",
            "unseen_categories_text",
        ],
    },
)
