"""Plots of a `imc.chip.ChipResult`: a Gantt timeline per tile, utilisation per unit, power over time."""

from __future__ import annotations

from imc.chip.result import ChipResult


def plot_timeline(result: ChipResult, inferences: int = 3, ax=None):
    """Gantt chart of the first ``inferences``: one row per tile's array (labelled layer/tile),
    one bar per op, coloured by inference (ns)."""
    import matplotlib.pyplot as plt
    ax = ax or plt.gca()
    ops = result.trace[(result.trace["kind"] == "array") & (result.trace["inference"] < inferences)]
    rows = ops.drop_duplicates("tile").sort_values("tile")
    labels = {tile: f"{layer} · array {tile}" for tile, layer in zip(rows["tile"], rows["layer"])}
    colours = plt.get_cmap("tab10")
    for row, tile in enumerate(labels):
        mine = ops[ops["tile"] == tile]
        ax.broken_barh(list(zip(mine["start_s"] * 1e9, (mine["end_s"] - mine["start_s"]) * 1e9)), (row - 0.4, 0.8),
                       facecolors=[colours(i % 10) for i in mine["inference"]])
    ax.set_yticks(range(len(labels)), list(labels.values()))
    ax.invert_yaxis()
    ax.set_xlabel("time (ns)")
    ax.set_title(f"Array ops of the first {inferences} inferences (colour: inference)")
    return ax


def plot_utilisation(result: ChipResult, ax=None):
    """Horizontal bars: every unit's utilisation (%), coloured by kind."""
    import matplotlib.pyplot as plt
    ax = ax or plt.gca()
    utilisation = result.utilisation.sort_values()
    kinds = result.units.loc[utilisation.index, "kind"]
    palette = {kind: plt.get_cmap("tab10")(i) for i, kind in enumerate(sorted(set(kinds)))}
    ax.barh(range(utilisation.size), 100 * utilisation.to_numpy(), color=[palette[k] for k in kinds])
    ax.set_yticks(range(utilisation.size), utilisation.index)
    ax.set_xlabel("utilisation (%)")
    ax.legend(handles=[plt.Rectangle((0, 0), 1, 1, color=c) for c in palette.values()], labels=list(palette))
    ax.set_title(f"Utilisation over {result.makespan_s * 1e6:.3g} us")
    return ax


def plot_power(result: ChipResult, bins: int = 200, ax=None):
    """Stacked areas: power by component over the simulated time (mW)."""
    import matplotlib.pyplot as plt
    ax = ax or plt.gca()
    power = result.power_w(bins)
    ax.stackplot(power.index.to_numpy() * 1e6, (power.to_numpy() * 1e3).T, labels=power.columns, step="post")
    ax.set_xlabel("time (us)")
    ax.set_ylabel("power (mW)")
    ax.legend(loc="upper right")
    ax.set_title(f"Power over time: {result.energy_per_inference_j * 1e9:.3g} nJ per inference")
    return ax
