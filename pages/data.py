"""Data page: upload or choose a data set, preview it, see the inferred schema."""

import streamlit as st

from core.errors import CoreError
from ui import state
from ui.data import (
    blank_non_numbers,
    build_timestamp,
    bundled_titles,
    dataset_from_bundled,
    dataset_from_upload,
    derived_columns,
    description_of,
    forget_upload,
    load_upload,
    profile_table,
    schema_for,
    shown_table,
)
from ui.dataset_folder import render_folder_source
from ui.text import literal

st.title("1. Data")
upload_column, bundled_column = st.columns(2)
with upload_column:
    upload = st.file_uploader(
        "Upload a CSV or Parquet file",
        type=["csv", "parquet", "txt"],
        key="data_upload",
    )
with bundled_column:
    titles = bundled_titles()
    choice = st.selectbox(
        "...or use a bundled data set",
        list(titles),
        format_func=titles.get,
        key="data_bundled",
    )
    use_bundled = st.button("Load this data set", key="data_load_bundled")
with st.expander(
    "...or preview a folder of Parquet files (larger than memory)",
    expanded=state.get(state.DATA_FOLDER) is not None,
):
    try:
        folder_shown = render_folder_source()
    except CoreError as error:
        st.error(f"Could not read the folder: {literal(error)}")
        folder_shown = False

try:
    if use_bundled:
        state.set_dataset(dataset_from_bundled(choice))
    elif upload is not None:
        if load_upload(dataset_from_upload(upload.getvalue(), upload.name)):
            st.toast("New data loaded; earlier settings and models were cleared.")
    else:
        forget_upload()
except CoreError as error:
    st.error(f"Could not read the file: {literal(error)}")
    st.stop()

dataset = state.dataset()
if dataset is None:
    if not folder_shown:
        st.info("Upload a file or load a bundled data set to begin.")
    st.stop()

schema = schema_for(dataset)
unparsed = tuple(c.name for c in schema.columns if c.unparsed_values)
try:
    if schema.date_parts and st.button(
        f"Build a timestamp from {', '.join(map(literal, schema.date_parts))}",
        key="data_build_timestamp",
    ):
        build_timestamp(dataset, schema.date_parts)
        st.rerun()
    if unparsed and st.button(
        f"Read the values that are not numbers as missing in "
        f"{', '.join(map(literal, unparsed))}",
        key="data_blank_text",
    ):
        blank_non_numbers(dataset, unparsed)
        st.rerun()
except CoreError as error:
    st.error(literal(error))

frame = dataset.frame
entities = frame[schema.id_column].nunique() if schema.id_column else 1
st.subheader(literal(dataset.name))
description = description_of(dataset)
if description:
    st.caption(literal(description))
rows_metric, columns_metric, entities_metric = st.columns(3)
rows_metric.metric("Rows", f"{len(frame):,}")
columns_metric.metric("Columns", f"{frame.shape[1]:,}")
entities_metric.metric("Entities", f"{entities:,}")
for note in (*dataset.notes, *schema.notes):
    st.info(literal(note))
st.dataframe(shown_table(frame.head(200)), key="data_preview", hide_index=True)
st.subheader("Inferred schema (suggestions: you decide on the next page)")
profile = profile_table(schema, derived_columns(dataset))
# Every column visible at once, unless the table is very wide.
height = "content" if len(profile) <= 40 else 600
st.dataframe(profile, key="data_schema", hide_index=True, height=height)
st.page_link("pages/configure.py", label="Next: configure the experiment")
