"""Sequence Embedding Studio: navigation, page setup and the sign-in gate.

Run with ``make app`` (``streamlit run app.py`` on 127.0.0.1) or, for a team,
``make serve``. This file and the first pages never import TensorFlow, so the
studio opens fast; the training pages import it when needed.
"""

from pathlib import Path

import streamlit as st

from ui import auth
from ui.runs import sync_with_url

PAGES = Path(__file__).parent / "pages"

st.set_page_config(page_title="Sequence Embedding Studio", layout="wide")

refusal = auth.address_refusal()
admitted = refusal is None and auth.admission().viewer is not None
navigation = st.navigation(
    [
        st.Page(PAGES / "home.py", title="Start", default=True),
        st.Page(PAGES / "data.py", title="1. Data"),
        st.Page(PAGES / "configure.py", title="2. Configure"),
        st.Page(PAGES / "train.py", title="3. Train"),
        st.Page(PAGES / "predictions.py", title="4. Predictions"),
        st.Page(PAGES / "embeddings.py", title="5. Embeddings"),
        st.Page(PAGES / "compare.py", title="6. Compare"),
        st.Page(PAGES / "insight.py", title="7. Insight"),
        st.Page(PAGES / "tune.py", title="8. Tune"),
        st.Page(PAGES / "runs.py", title="Runs"),
    ],
    position="sidebar" if admitted else "hidden",
)
if refusal:
    st.error(refusal)
    st.stop()
auth.sidebar(auth.viewer())  # the sign-in screen stops here
sync_with_url()
navigation.run()
