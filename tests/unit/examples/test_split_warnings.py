"""Pre-flight warnings: held-out categories training never sees, and likely leaks."""

from __future__ import annotations

import numpy as np
import pytest

from core.config import ColumnSpec, DataConfig, ExperimentConfig, SplitConfig
from core.examples.advisor import data_warnings, preflight
from core.examples.audit import audit_by_part
from core.examples.leaks import find_likely_leaks
from core.examples.prepare import plan_experiment
from core.examples.unseen import find_unseen_categories
from core.features.target import TargetEncoder
from tests.support.tables import follow_up_table, monthly_table


def _monthly_config(
    split: str = "time", categorical=("month", "promo"), **data: object
) -> ExperimentConfig:
    return ExperimentConfig(
        data=DataConfig(
            target_column="sales",
            id_column="store",
            time_column="date",
            categorical_columns=tuple(ColumnSpec(name) for name in categorical),
            task="regression",
            framing="window",
            window=3,
            horizon=1,
            **data,
        ),
        split=SplitConfig(method=split),
    )


def _unseen(table, config):
    return find_unseen_categories(plan_experiment(table, config), config)


def test_time_split_months_unseen_in_training_name_the_months_and_time_features():
    table = monthly_table(months=24, month_as="period")
    warnings = data_warnings(table, _monthly_config())
    assert len(warnings) == 1, warnings
    text = warnings[0]
    assert "column 'month'" in text
    assert "under a time split" in text
    # The last seven months are held out; five are named, the count says the rest.
    assert "'2024-07', '2024-08', '2024-09', '2024-10', '2024-11' and 1 more" in text
    assert "36 of 36 held-out rows (100%; validation 18, test 18)" in text
    assert "data.time_features = ['month']" in text
    assert "numeric column" in text


def test_calendar_part_the_training_year_lacks_is_not_suggested():
    # One year: the held-out months are missing from the training rows as
    # calendar parts too, so deriving them would not help.
    (finding,) = _unseen(monthly_table(months=12, month_as="number"), _monthly_config())
    assert finding.values == ("11", "12")
    assert finding.calendar_part == "month"
    assert not finding.calendar_covered
    text = data_warnings(monthly_table(months=12, month_as="number"), _monthly_config())
    assert "would not help" in text[0]
    assert "make 'month' a numeric column" in text[0]


def test_derived_calendar_part_unseen_in_training_is_reported():
    table = monthly_table(months=12, month_as="number").drop(columns="month")
    config = _monthly_config(categorical=("promo",), time_features=("month",))
    (finding,) = _unseen(table, config)
    assert (finding.column, finding.derived) == ("date__month", True)


def test_entity_split_where_every_value_is_seen_warns_nothing():
    table = monthly_table(months=24, month_as="period")
    config = _monthly_config(split="entity")
    assert _unseen(table, config) == []
    assert data_warnings(table, config) == []


def test_few_unseen_rows_stay_below_the_reporting_share():
    table = monthly_table(months=24, month_as="period")
    config = _monthly_config(split="time")
    plan = plan_experiment(table, config)
    assert find_unseen_categories(plan, config, min_share=1.01) == []


def test_audit_by_part_counts_rows_per_part_and_marks_unseen_values():
    table = monthly_table(months=12, month_as="number")
    audit = audit_by_part(plan_experiment(table, _monthly_config()), "month")
    rows = audit.set_index("value")
    assert list(audit.columns) == [
        "value", "train", "validation", "test", "status", "index"
    ]  # fmt: skip
    assert rows.loc["1", ["train", "validation", "test"]].tolist() == [6, 0, 0]
    assert rows.loc["11", ["train", "validation", "test"]].tolist() == [0, 6, 0]
    assert rows.loc["12", "status"] == "never seen in training"
    assert rows.loc["12", "index"] == 1
    assert list(audit["value"][-2:]) == ["11", "12"]


def _survival_config(
    numeric=("age", "follow_up_days", "heart_rate"),
    categorical=("clinic",),
    task="binary",
    target="died",
) -> ExperimentConfig:
    return ExperimentConfig(
        data=DataConfig(
            target_column=target,
            id_column="patient",
            time_column="visit",
            categorical_columns=tuple(ColumnSpec(name) for name in categorical),
            numeric_columns=numeric,
            task=task,
        )
    )


def _leaks(table, config):
    plan = plan_experiment(table, config)
    data = config.data
    encoder = TargetEncoder(data.task, data.target_column).fit(
        plan.train_rows[data.target_column]
    )
    return find_likely_leaks(
        plan, config, encoder.transform(plan.frame[data.target_column])
    )


def test_follow_up_time_that_decides_the_outcome_is_flagged_as_a_leak():
    table = follow_up_table(patients=40)
    (leak,) = _leaks(table, _survival_config())
    assert (leak.column, leak.statistic) == ("follow_up_days", "ROC AUC")
    assert leak.value == pytest.approx(1.0)
    warnings = preflight(table, _survival_config()).warnings
    text = [w for w in warnings if "likely leak" in w]
    assert len(text) == 1
    assert "column 'follow_up_days'" in text[0]
    assert "ROC AUC 1.00" in text[0]


@pytest.mark.parametrize(
    ("numeric", "categorical"),
    [(("age", "heart_rate"), ("clinic",)), ((), ("patient_code",))],
    ids=["constant-not-predictive", "unique-per-entity-category"],
)
def test_per_entity_constants_that_do_not_predict_are_not_flagged(numeric, categorical):
    table = follow_up_table(patients=40)
    assert _leaks(table, _survival_config(numeric, categorical)) == []


def test_too_few_entities_say_nothing_about_a_leak():
    table = follow_up_table(patients=8)
    assert _leaks(table, _survival_config()) == []


def test_regression_target_tracking_a_per_entity_constant_is_flagged():
    # A remaining-life target next to the entity's total lifetime.
    table = follow_up_table(patients=40)
    table["remaining"] = table["follow_up_days"] - 30.0 * table["visit"]
    config = _survival_config(task="regression", target="remaining")
    (leak,) = _leaks(table, config)
    assert (leak.column, leak.statistic) == ("follow_up_days", "|Spearman|")
    assert leak.value >= 0.95


def test_category_that_maps_to_the_label_is_flagged():
    table = follow_up_table(patients=40)
    table["status"] = np.where(table["follow_up_days"] < 365, "deceased", "alive")
    (leak,) = _leaks(table, _survival_config(numeric=(), categorical=("status",)))
    assert leak.column == "status"
