"""User text (file names, column names, values, messages) shown literally.

Streamlit renders the text of ``st.info``, ``st.error``, ``st.subheader`` and
friends as Markdown, with its own extensions (``:red[...]`` colours,
``:material/...:`` icons, ``$...$`` maths). A column called ``**total**`` or a
file called ``[click](http://x)`` must read exactly like that, so every piece of
user text goes through :func:`literal` before it meets Markdown.
"""

from __future__ import annotations

import re

#: ASCII punctuation that Markdown or Streamlit's extensions give a meaning to.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")


def literal(text: object) -> str:
    """``text`` with every Markdown-special character backslash-escaped.

    Line breaks become spaces, so a message stays one paragraph.
    """
    flat = " ".join(str(text).splitlines())
    return _SPECIAL.sub(r"\\\1", flat)
