"""Pictures of a sweep, one call each on the DataFrame `imc.sweeps.sweep` returns, and its Pareto front.

Accuracies (fractions in the frame) are drawn in %, energies (J) in pJ; every function draws on
``ax`` (default: the current axes) and returns it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from imc.errors import require


def _scale(column: str) -> tuple[float, str]:
    """Factor and axis label of a frame column: accuracies in %, energies in pJ."""
    if column.startswith("energy_"):
        return 1e12, f"{column[:-2]} (pJ)" if column.endswith("_j") else column
    if column.startswith(("accuracy", "yield", "software_accuracy")) and column != "yield_target":
        return 100.0, f"{column} (%)"
    return 1.0, column


def _axes(ax):
    import matplotlib.pyplot as plt

    return ax or plt.gca()


def _columns(frame: pd.DataFrame, *columns: str) -> None:
    for column in columns:
        require("column", column, column in frame, f"not a column of the sweep frame; allowed: {list(frame)}")


def pareto_front(frame: pd.DataFrame, minimize: tuple[str, ...] = ("energy_per_inference_j",),
                 maximize: tuple[str, ...] = ("accuracy_mean",)) -> pd.Series:
    """Which rows are Pareto-optimal: no other row is at least as good in every objective and
    better in one (boolean Series on ``frame``'s index)."""
    _columns(frame, *minimize, *maximize)
    costs = np.column_stack([frame[c].to_numpy(float) for c in minimize]
                            + [-frame[c].to_numpy(float) for c in maximize])
    dominated = [bool(np.any(np.all(costs <= row, axis=1) & np.any(costs < row, axis=1))) for row in costs]
    return pd.Series(~np.array(dominated, dtype=bool), index=frame.index, name="pareto")


def plot_metric(frame: pd.DataFrame, x: str, y: str = "accuracy_mean", by: str | None = None, ax=None):
    """``y`` against parameter ``x``, one line per value of ``by``, with the 95 % band of the
    columns ``<y>_low``/``<y>_high`` when the frame has them (mean accuracy, yield)."""
    _columns(frame, x, y, *([by] if by else []))
    ax = _axes(ax)
    factor, label = _scale(y)
    groups = frame.groupby(by, sort=True, dropna=False) if by else [(None, frame)]
    for value, group in groups:
        group = group.sort_values(x)
        line, = ax.plot(group[x], factor * group[y], "o-", label=None if by is None else f"{by} = {value}")
        if f"{y}_low" in group and f"{y}_high" in group:
            ax.fill_between(group[x], factor * group[f"{y}_low"], factor * group[f"{y}_high"],
                            color=line.get_color(), alpha=0.2)
    if y.startswith("accuracy") and "software_accuracy" in frame and frame["software_accuracy"].nunique() == 1:
        ax.axhline(100 * frame["software_accuracy"].iloc[0], color="black", ls=":", label="software")
    ax.set_xlabel(x)
    ax.set_ylabel(label)
    if by or ax.get_legend_handles_labels()[0]:
        ax.legend()
    return ax


def plot_pareto(frame: pd.DataFrame, x: str = "energy_per_inference_j", y: str = "accuracy_mean",
                label: str | None = None, ax=None):
    """Every point in the (``x`` to minimise, ``y`` to maximise) plane, the Pareto front marked
    and joined; ``label``: a column whose values annotate the front's points."""
    _columns(frame, x, y, *([label] if label else []))
    ax = _axes(ax)
    (fx, xlabel), (fy, ylabel) = _scale(x), _scale(y)
    front = pareto_front(frame, (x,), (y,))
    ax.scatter(fx * frame[x], fy * frame[y], color="tab:gray", alpha=0.6, label="design points")
    best = frame[front].sort_values(x)
    ax.plot(fx * best[x], fy * best[y], "o-", color="tab:red", label=f"Pareto front ({len(best)})")
    for _, row in best.iterrows() if label else []:
        ax.annotate(str(row[label]), (fx * row[x], fy * row[y]), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    return ax


def plot_heatmap(frame: pd.DataFrame, x: str, y: str, value: str = "accuracy_mean", ax=None):
    """``value`` over a two-parameter grid (mean over any other swept parameter), each cell annotated."""
    _columns(frame, x, y, value)
    ax = _axes(ax)
    factor, label = _scale(value)
    table = factor * frame.pivot_table(index=y, columns=x, values=value, aggfunc="mean").sort_index(ascending=False)
    image = ax.imshow(table.to_numpy(), cmap="viridis", aspect="auto")
    ax.set_xticks(range(table.shape[1]), [str(v) for v in table.columns])
    ax.set_yticks(range(table.shape[0]), [str(v) for v in table.index])
    for (i, j), v in np.ndenumerate(table.to_numpy()):
        ax.text(j, i, f"{v:.3g}", ha="center", va="center", color="white", fontsize=8)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.figure.colorbar(image, ax=ax, label=label)
    return ax


def plot_yield(chips: pd.DataFrame, by: str | None = None, ax=None):
    """Yield curves from the per-chip frame (``sweep(..., per_chip=True)``): the fraction of chips
    at or above each accuracy target, one curve per point (labelled by ``by``, else the point key)."""
    _columns(chips, "point", "chip", "accuracy", *([by] if by else []))
    ax = _axes(ax)
    for key, group in chips.groupby("point", sort=False):
        accuracy = np.sort(100 * group["accuracy"].to_numpy())
        passed = 1.0 - np.arange(accuracy.size) / accuracy.size  # chips >= accuracy[i]
        name = f"{by} = {group[by].iloc[0]}" if by else key
        ax.step(accuracy, 100 * passed, where="post", label=name)
    ax.set_xlabel("accuracy target (%)")
    ax.set_ylabel("yield (%)")
    ax.set_ylim(-2, 102)
    ax.legend()
    return ax
