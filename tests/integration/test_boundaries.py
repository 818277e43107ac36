"""Import boundaries, each checked in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.paths import ROOT

CORE_MODULES = sorted(
    ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    for path in (ROOT / "core").rglob("*.py")
    if path.stem != "__main__"
)
#: Modules the first pages use: none may pull in TensorFlow.
LIGHT_MODULES = [
    "core.config",
    "core.data.schema",
    "core.data.io",
    "core.data.bundled",
    "core.examples.advisor",
    "core.examples.prepare",
    "core.plots.figures",
    "core.model.metrics",
]


def _modules_after_import(modules: list[str]) -> set[str]:
    code = (
        "import sys, importlib\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print('\\n'.join(sys.modules))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return set(completed.stdout.split())


def test_no_core_module_imports_streamlit():
    loaded = _modules_after_import(CORE_MODULES)
    assert not {name for name in loaded if name.split(".")[0] == "streamlit"}


@pytest.mark.parametrize("module", LIGHT_MODULES)
def test_light_modules_do_not_import_tensorflow(module):
    loaded = _modules_after_import([module])
    heavy = {name.split(".")[0] for name in loaded} & {"tensorflow", "keras"}
    assert not heavy, f"{module} imports {heavy}"
