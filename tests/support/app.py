"""AppTest helpers: run the app through its navigation, read messages, wait for runs."""

from __future__ import annotations

import os
import re

from streamlit.testing.v1 import AppTest

from tests.support.paths import ROOT

APP = str(ROOT / "app.py")
#: Shared run timeout: the first run of a training page imports TensorFlow.
TIMEOUT = 120
PAGES = (
    "home", "data", "configure", "train", "predictions", "embeddings", "compare",
    "insight", "runs",
)  # fmt: skip
#: Safety net for a training run in its child process.
RUN_SECONDS = 600


def open_page(
    page: str, state: dict | None = None, query: dict | None = None
) -> AppTest:
    """Run the app, seed session state (and URL query), then switch to a page."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in (state or {}).items():
        app.session_state[key] = value
    for key, value in (query or {}).items():
        app.query_params[key] = value
    app.run()
    if page != "home":
        app.switch_page(f"pages/{page}.py").run()
    return app


def shown(markdown: str) -> str:
    """Text as the reader sees it: Markdown backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


def errors_of(app: AppTest) -> list[str]:
    """Texts of the st.error boxes on the page, as the reader sees them."""
    return [shown(element.value) for element in app.error]


def infos_of(app: AppTest) -> list[str]:
    """Texts of the st.info boxes on the page, as the reader sees them."""
    return [shown(element.value) for element in app.info]


def wait_for_current_run(app: AppTest):
    """Block until the session's current run is final; returns its record."""
    from core.runs.executors.local import LocalExecutor
    from core.runs.store import RunStore
    from ui import state

    run_id = app.session_state[state.CURRENT_RUN]
    record = LocalExecutor(RunStore()).wait(run_id, timeout=RUN_SECONDS)
    assert record.status.final, f"run {run_id} still {record.status}"
    return record


def train_here(app: AppTest):
    """Press Train, wait for the run, rerun the page; returns the run's record."""
    app.button(key="train_start").click().run()
    assert not app.exception
    record = wait_for_current_run(app)
    app.run()
    return record


def sample_session_state() -> dict:
    """Session state with the bundled sample loaded, as the Data page leaves it."""
    from ui import state
    from ui.data import dataset_from_bundled

    dataset = dataset_from_bundled("predictive_maintenance")
    return {
        state.DATA: dataset.frame,
        state.DATA_NAME: dataset.name,
        state.DATA_FINGERPRINT: dataset.fingerprint,
        state.DATA_NOTES: [],
    }


#: The Configure form's save button.
SAVE = "FormSubmitter:experiment_form-Save configuration"
KINDS = (
    "selectbox",
    "multiselect",
    "radio",
    "number_input",
    "checkbox",
    "text_input",
    "toggle",
)


def configure_widgets(app) -> dict:
    """Every configure widget on the page, by key."""
    found = {}
    for kind in KINDS:
        for widget in app.get(kind):
            if widget.key and widget.key.startswith("cfg_"):
                found[widget.key] = widget
    return found


def play_browser_values(app, before: dict) -> None:
    """Give back the values a browser still holds: same widget, no value set."""
    for key, widget in configure_widgets(app).items():
        old = before.get(key)
        if old is not None and old[0] == widget.id and not widget.proto.set_value:
            widget.set_value(old[1])


def load_config_as_a_browser(app, config) -> dict:
    """Upload ``config`` as JSON on the Configure page, then play the browser."""
    before = {key: (w.id, w.value) for key, w in configure_widgets(app).items()}
    app.file_uploader(key="config_upload").upload(
        "loaded.json", config.to_json().encode(), "application/json"
    ).run()
    assert not app.exception, app.exception
    play_browser_values(app, before)
    return before
