"""Start page: what the studio does, and one click to the bundled sample data."""

import streamlit as st

from ui import state

st.title("Sequence Embedding Studio")
st.markdown(
    """
Train an LSTM on **long-format sequence data** (one row per entity per time step)
whose categorical columns — machine type, operator, error code, store — each get
their **own learned embedding**, and see whether that beats **one-hot encoding**
on your data.

1. **Data** — upload a CSV or Parquet file, or pick a bundled data set.
2. **Configure** — id, time and target columns; which columns are categorical and
   how wide each embedding is; windows, split, model, training.
3. **Train** — the embedding model and its one-hot twin, side by side with a naive
   baseline, with live progress.
4. **Predictions** — metrics, curves, a predictions table, predict on new files,
   save or load the model.
5. **Embeddings** — PCA maps, similarities and nearest neighbours of the learned
   category vectors.
"""
)
if st.button("Start with the sample data", key="home_sample", type="primary"):
    # Imported on the click: it brings pandas, which painting this page does not need.
    from ui.data import dataset_from_bundled

    state.set_dataset(dataset_from_bundled("predictive_maintenance"))
    st.switch_page("pages/data.py")
st.caption(
    "The sample is a generated predictive-maintenance plant with hidden machine "
    "families and operator skill levels that a good embedding should recover."
)
