"""Untrusted text in the app: never raw HTML, user text escaped before Markdown."""

from __future__ import annotations

import re

import pandas as pd

from tests.support.app import open_page, shown
from tests.support.paths import ROOT
from ui.text import literal


def test_the_app_never_renders_raw_html():
    sources = [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py")]
    assert len(sources) > 3
    offending = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sources
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "unsafe_allow_html" in line or "st.html(" in line
    ]
    assert offending == [], "user text could reach raw HTML here"


MARKDOWN = "**bold** _it_ [link](http://x) :red[red] :material/home: $x^2$ <b>x</b>"


def test_user_text_is_escaped_before_markdown():
    escaped = literal(MARKDOWN)
    # Every special character is escaped, so nothing is left to interpret ...
    assert re.search(r"(?<!\\)[*_\[\]()$:<>]", escaped) is None
    # ... and removing the escapes gives back exactly what the user wrote.
    assert shown(escaped) == MARKDOWN
    assert literal("two\nlines") == "two lines"


def test_a_column_named_like_markdown_reads_literally_on_the_data_page():
    frame = pd.DataFrame(
        {"machine": [1, 1, 2, 2], MARKDOWN: ["a", "b", "a", "b"], "y": [0, 1, 0, 1]}
    )
    app = open_page("data")
    app.file_uploader(key="data_upload").upload(
        "**report**.csv", frame.to_csv(index=False).encode(), "text/csv"
    ).run()
    assert not app.exception
    assert app.subheader[0].value == literal("**report**.csv")
    assert shown(app.subheader[0].value) == "**report**.csv"
