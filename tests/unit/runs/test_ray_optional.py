"""Ray is optional: nothing imports it unless the Ray executor is chosen."""

from __future__ import annotations

import subprocess
import sys

import pytest

from core.errors import ConfigError
from core.runs.executors.factory import make_executor
from core.runs.executors.local import LocalExecutor
from core.runs.executors.ray_cluster import RayUnavailableError, receive_files
from core.runs.store import RunStore
from tests.support.tables import make_long_table


def test_core_and_the_cli_import_without_ray():
    code = (
        "import sys, core.runs.executors.local, core.runs.executors.ray_cluster;"
        "import core.cli.main;"
        "core.cli.main.build_parser();"
        "print('ray' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_local_stays_the_default_and_unknown_kinds_are_refused(tmp_path):
    assert type(make_executor("local", RunStore(tmp_path))) is LocalExecutor
    with pytest.raises(ConfigError, match="expected one of"):
        make_executor("slurm", RunStore(tmp_path))


@pytest.fixture
def no_ray(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError


def test_choosing_ray_without_it_says_how_to_install_it(no_ray, tmp_path):
    with pytest.raises(RayUnavailableError, match="requirements-ray.txt"):
        make_executor("ray", RunStore(tmp_path))


def test_the_cli_reports_a_missing_ray_in_one_line(no_ray, tmp_path, capsys):
    from core.cli.main import main

    data = tmp_path / "tiny.csv"
    make_long_table().to_csv(data, index=False)
    code = main(
        [
            "train",
            "--data",
            str(data),
            "--target",
            "label",
            "--id",
            "entity",
            "--time",
            "step",
            "--runs-dir",
            str(tmp_path / "runs"),
            "--executor",
            "ray",
        ]
    )
    assert code == 2
    assert (
        capsys.readouterr()
        .err.strip()
        .splitlines()[-1]
        .startswith("error: the Ray executor needs Ray")
    )


def test_returned_files_land_in_the_run_folder_and_never_outside(tmp_path):
    from core.config import ColumnSpec, DataConfig, ExperimentConfig

    store = RunStore(tmp_path / "runs")
    config = ExperimentConfig(
        data=DataConfig(
            target_column="label",
            id_column="entity",
            time_column="step",
            categorical_columns=(ColumnSpec("kind"),),
            task="binary",
        )
    )
    record = store.create(make_long_table(), config, ("embedding",), "t.csv")
    receive_files(
        store,
        record.id,
        {
            "models/embedding/model.keras": b"weights",
            "metrics.json": b'{"embedding": {"test": {}}}',
            "../escaped.txt": b"no",
        },
    )
    assert (record.path / "models" / "embedding" / "model.keras").read_bytes() == (
        b"weights"
    )
    assert store.results(record.id) == {"embedding": {"test": {}}}
    assert not (store.root / "escaped.txt").exists()
    assert not list(record.path.glob(".incoming-*"))
