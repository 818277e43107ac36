"""A study's figures: Optuna's plotly plots, or the reason one cannot be drawn yet.

History, parameter importances, parallel coordinates and slices, as Optuna's
own :mod:`optuna.visualization` draws them (plotly figures the Tune page shows
as they are).
"""

from __future__ import annotations

from collections.abc import Callable

import optuna
import plotly.graph_objects as go

#: Title and Optuna plot function of each figure, in the page's order.
FIGURES: dict[str, Callable[[optuna.Study], go.Figure]] = {
    "History": optuna.visualization.plot_optimization_history,
    "Parameter importances": optuna.visualization.plot_param_importances,
    "Parallel coordinates": optuna.visualization.plot_parallel_coordinate,
    "Slices": optuna.visualization.plot_slice,
}
#: Completed trials a figure needs before it means anything.
MINIMUM_TRIALS = {"Parameter importances": 2}


def study_figures(study: optuna.Study) -> dict[str, go.Figure | str]:
    """Each figure by title, or a sentence saying why it is not drawn yet."""
    complete = study.get_trials(
        deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)
    )
    figures: dict[str, go.Figure | str] = {}
    for title, plot in FIGURES.items():
        needed = MINIMUM_TRIALS.get(title, 1)
        if len(complete) < needed:
            figures[title] = (
                f"{title} need at least {needed} completed trial(s); "
                f"{len(complete)} so far."
            )
            continue
        try:
            figures[title] = plot(study)
        except (ValueError, RuntimeError) as error:
            # Optuna refuses e.g. importances when every trial has the same
            # value; the page says so instead of drawing nothing.
            figures[title] = f"{title} cannot be drawn yet: {error}"
    return figures
