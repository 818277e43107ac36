"""Reading and checking user tables: files, schema guesses, values, validation,
repairs, the bundled sample sets and Parquet datasets. Imports without Keras.

The public names below load their module on first use (see
:mod:`core._exports`).
"""

from core._exports import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "bundled": [
            "BundledDataset",
            "SAMPLE_DATA",
            "get_bundled",
            "list_bundled",
            "load_bundled",
        ],
        "columns": ["require_columns"],
        "derived_target": [
            "apply_derived_target",
            "derived_target_sources",
            "has_target_sources",
            "target_balance",
        ],
        "expression_syntax": [
            "Comparison",
            "Junction",
            "MAX_EXPRESSION_LENGTH",
            "MAX_NESTING",
            "Membership",
            "Negation",
            "Token",
            "expression_columns",
            "parse_syntax",
            "tokenize",
        ],
        "io": [
            "FORMULA_PREFIXES",
            "LoadedTable",
            "load_table",
            "read_table",
            "write_csv_safely",
        ],
        "parquet": [
            "DatasetSource",
            "EntityOrderError",
            "GLOB_CHARACTERS",
            "chunk_rows_for",
            "estimate_row_bytes",
            "is_dataset_path",
            "iter_entity_chunks",
        ],
        "provenance": ["Provenance", "SourceKind"],
        "repairs": ["add_timestamp", "numbers_or_missing"],
        "schema": [
            "ColumnProfile",
            "SchemaSuggestion",
            "infer_schema",
            "infer_task",
            "task_for_classes",
        ],
        "time_units": [
            "AUTO_UNIT",
            "UNIT_SECONDS",
            "infer_time_unit",
            "resolve_time_unit",
            "time_numbers",
            "typical_step_seconds",
            "unit_label",
        ],
        "target_expression": [
            "TargetExpression",
            "parse_target_expression",
            "unknown_column_error",
        ],
        "validation": ["coerce_numeric", "validate_against"],
        "values": [
            "date_part_columns",
            "natural_order",
            "parse_numbers",
            "parse_time",
            "parse_time_utc",
            "timestamp_from_parts",
        ],
    },
)
