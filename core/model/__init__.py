"""The networks and everything that trains, evaluates, saves and loads them: the
embedding/one-hot LSTM, batches, training, metrics, bundles, the
gradient-boosting arm. Names that need Keras load it on first use.

The public names below load their module on first use (see
:mod:`core._exports`).
"""

from core._exports import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "arms": ["Arm", "LSTM_ARMS"],
        "batches": ["ExampleBatches", "input_batches"],
        "bundle": [
            "Bundle",
            "PredictionResult",
            "bundle_from_result",
            "bundle_zip_bytes",
            "extract_bundle_zip",
            "load_bundle",
            "predict",
            "save_bundle",
        ],
        "bundle_files": ["copy_bundle"],
        "evaluation": [
            "baseline_scores",
            "baselines_report",
            "configured_prediction_table",
            "held_out_scores",
            "is_forecast",
            "part_metrics",
            "persistence_scores",
            "predict_scores",
            "prediction_table",
            "seasonal_naive_scores",
        ],
        "forecast_report": [
            "forecast_outputs",
            "horizon_report",
            "interval_factors",
            "point_scores",
            "quantile_report",
        ],
        "experiment": [
            "fit_prepared",
            "result_of",
            "run_comparison",
            "run_experiment",
            "train_prepared",
            "with_encoding",
        ],
        "gbm_arm": ["GBM_ENCODING", "part_features", "train_gbm_arm"],
        "metric_registry": [
            "Direction",
            "METRICS",
            "headline_metric",
            "lower_is_better",
            "metric_info",
            "metric_label",
            "reported_metrics",
            "summary_metrics",
        ],
        "metrics": [
            "MAX_CURVE_POINTS",
            "baseline_name",
            "baseline_predictions",
            "best_f1_threshold",
            "compute_metrics",
            "curve_points",
            "metrics_at_threshold",
            "ordered_metrics",
            "phm08_score",
        ],
        "network": ["build_model", "count_parameters", "unmasked_view"],
        "pinball": ["PinballLoss"],
        "quantiles": [
            "conformal_factor",
            "interval_coverage",
            "pinball_loss",
            "q_risk",
            "quantile_name",
            "quantile_scores",
            "widened",
        ],
        "run_logging": [
            "EmbeddingSnapshots",
            "TensorBoardScalars",
            "read_snapshots",
            "write_projector",
        ],
        "skill": [
            "BASELINE_NAMES",
            "BASELINE_TITLES",
            "SKILL_METRIC",
            "Standing",
            "baseline_table",
            "baseline_title",
            "baseline_values",
            "baselines_of",
            "report_standing",
            "skill_score",
            "standing",
        ],
        "strategy": ["choose_strategy", "cudnn_notes"],
        "stream_training": [
            "batch_generator",
            "batches_estimate",
            "fit_stream",
            "keep_fraction",
            "training_dataset",
        ],
        "training": [
            "CancelToken",
            "ProgressEvent",
            "TrainingResult",
            "cosine_learning_rate",
            "lr_schedule_callbacks",
            "make_batches",
            "train_model",
        ],
    },
)
