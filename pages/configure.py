"""Configure page: column roles, the experiment form, embedding-size advisor, audit."""

import streamlit as st

from core.errors import CoreError
from core.examples.advisor import advise_embedding_sizes
from core.features.embedding_sizes import RULES, suggest_embedding_dim
from core.features.vocabulary import key_counts
from core.plots.figures import frequency_histogram
from ui import state
from ui.configure import (
    apply_pinned_widgets,
    cached_preflight,
    choose_roles,
    config_upload,
    epoch_samples,
    epoch_time_metric,
    pin_widgets,
    saved_sizes,
    size_table,
)
from ui.data import data_key, schema_for, suggested_config
from ui.experiment_form import choose_framing, experiment_form
from ui.text import literal
from ui.value_audit import show_value_audit

st.title("2. Configure")
dataset = state.dataset()
if dataset is None:
    st.info("Load data first.")
    st.page_link("pages/data.py", label="Go to the data page")
    st.stop()

frame = dataset.frame
apply_pinned_widgets()
# The saved config pre-fills the widgets; before one exists, a bundled data set's
# intended roles do.
previous = state.get(state.CONFIG) or suggested_config(dataset)
with st.expander("Load a configuration from a JSON file"):
    config_upload()
st.subheader("Column roles")
roles = choose_roles(frame, schema_for(dataset), previous)
framing = choose_framing(previous)
overrides = {
    **saved_sizes(previous),
    **(state.get(state.SIZE_OVERRIDES) or {}),
}

if roles.categorical:
    with st.expander("Embedding-size advisor and value audit", expanded=False):
        column = st.selectbox("Column", roles.categorical, key="advisor_column")
        counts = key_counts(frame[column])
        # Drawn on request: a plotly chart, even in a closed expander, made
        # every save of the form wait seconds for the browser to redraw it.
        if st.toggle("Show how often values occur", key="advisor_show_histogram"):
            st.plotly_chart(
                frequency_histogram(list(counts.values())), key="advisor_histogram"
            )
        st.dataframe(
            advise_embedding_sizes(len(counts)), hide_index=True, key="advisor_rules"
        )
        rule = st.selectbox(
            "Rule to apply to every categorical column", list(RULES), key="advisor_rule"
        )
        if st.button("Apply this rule", key="advisor_apply"):
            overrides = {
                name: suggest_embedding_dim(len(key_counts(frame[name])), rule)
                for name in roles.categorical
            }
            state.put(state.SIZE_OVERRIDES, overrides)
        min_count = previous.data.min_category_count if previous else 1
        show_value_audit(dataset, column, state.get(state.CONFIG), min_count)

st.subheader("Experiment")
sizes = size_table(frame, roles, overrides)
twin = state.get(state.TRAIN_TWIN, True)
submitted = experiment_form(roles, framing, sizes, previous, twin)
pin_widgets()
if submitted is not None:
    config, twin = submitted
    state.put(state.CONFIG, config)
    state.put(state.TRAIN_TWIN, twin)

config = state.get(state.CONFIG)
if config is None:
    st.stop()
st.subheader("Pre-flight estimate")
try:
    estimate = cached_preflight(
        data_key(dataset), frame, config.to_json(), epoch_samples()
    )
except CoreError as error:
    saved = "Configuration saved, but it cannot be trained on: " if submitted else ""
    st.error(saved + literal(error))
    st.stop()
if submitted is not None:
    st.success("Configuration saved.")
for warning in estimate.warnings:
    st.warning(literal(warning))
a, b, c, d = st.columns(4)
a.metric("Training examples", f"{estimate.examples['train']:,}")
b.metric(
    "Validation / test",
    f"{estimate.examples['validation']:,} / {estimate.examples['test']:,}",
)
c.metric("Tensor memory", f"{estimate.memory_bytes / 1024**2:,.1f} MiB")
epoch_time_metric(d, estimate)
parameters = {
    **estimate.embedding_parameters,
    "LSTM and head": estimate.other_parameters,
}
st.dataframe(
    {"part": list(parameters), "trainable parameters": list(parameters.values())},
    key="preflight_parameters",
)
with st.expander("Configuration as JSON (use with `python -m core train --config`)"):
    st.code(config.to_json(), language="json")
st.download_button(
    "Download configuration (JSON)",
    config.to_json(),
    "experiment_config.json",
    mime="application/json",
    key="cfg_download",
)
st.page_link("pages/train.py", label="Next: train")
