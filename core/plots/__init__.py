"""Plotly figures: pure functions from results to figures, no I/O.

The public names below load their module on first use (see
:mod:`core._exports`).
"""

from core._exports import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "tuning": ["FIGURES", "study_figures"],
        "figures": [
            "confusion_matrix_figure",
            "escape_label",
            "frequency_histogram",
            "metric_comparison",
            "pca_dimensions",
            "pca_scatter",
            "precision_recall_figure",
            "predicted_vs_actual",
            "residuals_figure",
            "roc_figure",
            "similarity_heatmap",
            "training_curves",
        ],
        "forecast": ["fan_chart", "horizon_figure", "quantile_columns"],
        "insight": [
            "evolution_figure",
            "importance_figure",
            "stability_map",
            "timeline_figure",
            "tsne_scatter",
        ],
        "runs": [
            "curves_overlay",
            "difference_figure",
            "seed_dot_plot",
            "sweep_figure",
        ],
    },
)
