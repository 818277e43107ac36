"""Analyses of trained runs: seed comparisons, size sweeps, permutation
importance, what-if, embedding extraction, projections, evolution, stability.

The public names below load their module on first use (see
:mod:`core._exports`).
"""

from core._exports import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "alignment": ["align_to_consensus"],
        "leaderboard": ["BoardRow", "Leaderboard", "leaderboard"],
        "comparison": [
            "ArmSummary",
            "ComparisonResult",
            "ComparisonSpec",
            "comparison_runs",
            "cost_table",
            "per_seed_table",
            "start_comparison",
            "summarize",
        ],
        "embeddings": [
            "EmbeddingTable",
            "HEATMAP_CATEGORIES",
            "Projection",
            "cluster_categories",
            "cosine_similarity_matrix",
            "embedding_frame",
            "embedding_table",
            "export_projector",
            "extract_embedding",
            "heatmap_similarity",
            "nearest_neighbours",
            "project_pca",
            "projector_bytes",
            "stored_embedding",
        ],
        "evolution": ["evolution_frame", "run_evolution", "run_vocabulary"],
        "importance": [
            "DEFAULT_MAX_EXAMPLES",
            "DEFAULT_REPEATS",
            "importance_on_frame",
            "permutation_importance",
            "scored_batches",
        ],
        "permutation": ["permute_column", "permute_valid_steps"],
        "stability": [
            "DEFAULT_NEIGHBOURS",
            "SeedVectors",
            "column_stability",
            "neighbour_agreement",
            "seed_vectors",
        ],
        "stability_runs": ["comparison_choices", "stability_of_runs"],
        "sweep": [
            "ONEHOT_ROW",
            "SweepSpec",
            "start_sweep",
            "summarize_sweep",
            "sweep_runs",
        ],
        "tsne": ["MANY_CATEGORIES", "project_tsne"],
        "verdict": [
            "Difference",
            "INTERVAL_METHOD",
            "VerdictKind",
            "judge",
            "paired_difference",
            "t_interval",
            "verdict",
        ],
        "whatif": ["entity_history", "entity_ids", "timeline", "what_if"],
    },
)
