"""Does imc reproduce the chips that were built? Every preset beside its published numbers.

`validate` simulates each preset on a small Monte-Carlo budget (its ``[preset] validate`` table)
and returns one row per published number: the value, imc's value (`imc.presets.metrics.METRICS`),
their ratio or difference, the tolerance and the verdict. A number outside its tolerance, or one
imc cannot produce, is listed as ``missing`` with the preset's reason (the cost physics imc lacks,
a network that cannot be had here, a baseline imc does not model), never tuned away by a factor.
`format_validation` prints the table (``imc presets --validate``), `markdown_table` the README's.
"""

from __future__ import annotations

import math
import textwrap

import pandas as pd

from imc import presets
from imc.presets.metrics import METRICS, Metric, Run
from imc.sweeps.grid import flatten

COLUMNS = ("preset", "metric", "unit", "published", "imc", "ratio", "difference", "tolerance", "absolute",
           "status", "reason", "source", "recalled", "design", "relative_to")


def judge(row: presets.Published, absolute: bool, imc_value: float | None) -> tuple[str, str]:
    """``("ok", "")`` when imc's value is within the row's tolerance (a difference if ``absolute``,
    else a factor), else ``("missing", why)``."""
    if not row.comparable:
        return "missing", row.reason
    if imc_value is None or not math.isfinite(imc_value):
        return "missing", row.reason or "imc produced no value"
    if absolute:
        within = abs(imc_value - row.value) <= row.tolerance
    else:
        within = imc_value > 0 and 1 / row.tolerance <= imc_value / row.value <= row.tolerance
    return ("ok", "") if within else ("missing", row.reason or "unexplained: outside the tolerance")


def operating_point(overrides: dict | None) -> str:
    """Design overrides as dotted ``path = value`` pairs (``""``: the preset's own design)."""
    return ", ".join(f"{path} = {value!r}" for path, value in flatten(overrides or {}, "design").items())


def points_of(preset: presets.Preset) -> dict[str, dict]:
    """The operating points (`operating_point` -> overrides) of every row whose metric imc computes
    (an incomparable one too: its imc value is printed beside the published one)."""
    points = {}
    for row in preset.published:
        if METRICS.get(row.metric, "metric").value is not None:
            for overrides in (row.design, row.relative_to):
                if overrides is not None:
                    points[operating_point(overrides)] = overrides
    return points


def imc_value(row: presets.Published, metric: Metric, runs: dict[str, Run]) -> float | None:
    """imc's side of ``row`` from the simulated ``runs`` (by `operating_point`): the metric at the
    row's design, over the metric at ``relative_to`` for a trend; None where a run is missing."""
    at = runs.get(operating_point(row.design))
    if metric.value is None or at is None:
        return None
    if row.relative_to is None:
        return metric.value(at)
    base = runs.get(operating_point(row.relative_to))
    return None if base is None else metric.value(at) / metric.value(base)


def rows_of(preset: presets.Preset, runs: dict[str, Run]) -> list[dict]:
    """The validation rows of ``preset`` from its simulated ``runs`` (by `operating_point`)."""
    rows = []
    for row in preset.published:
        metric = METRICS.get(row.metric, f"{preset.name}.preset.published.metric")
        trend = row.relative_to is not None
        absolute = metric.absolute and not trend
        value = imc_value(row, metric, runs)
        status, reason = judge(row, absolute, value)
        rows.append({"preset": preset.name, "metric": row.metric, "unit": "x" if trend else metric.unit,
                     "published": row.value, "imc": value,
                     "ratio": value / row.value if value is not None else math.nan,
                     "difference": value - row.value if value is not None else math.nan,
                     "tolerance": row.tolerance, "absolute": absolute, "status": status, "reason": reason,
                     "source": row.source, "recalled": row.recalled, "design": operating_point(row.design),
                     "relative_to": operating_point(row.relative_to) or "the preset" if trend else ""})
    return rows


def simulate_preset(name: str, chips: int | None = None, inferences: int | None = None,
                    workers: int | None = None, progress: bool = False, overrides: dict | None = None) -> Run:
    """Simulate preset ``name`` with design ``overrides`` on its validation budget (or ``chips``,
    ``inferences``)."""
    from imc.api import simulate
    from imc.config import load_config

    preset = presets.get(name)
    config = load_config({**(overrides or {}), "preset": name})
    config = config.replace(chips=preset.validate_chips if chips is None else chips,
                            inferences=preset.validate_inferences if inferences is None else inferences)
    return Run(simulate(config, progress=progress, workers=workers), config.chip_array)


def validate(names: list[str] | None = None, chips: int | None = None, inferences: int | None = None,
             workers: int | None = None, progress: bool = False) -> pd.DataFrame:
    """The validation table of presets ``names`` (default: all), one row per published number
    (`COLUMNS`); values in SI units, ``ratio`` = imc / published, ``difference`` = imc - published."""
    chosen = [presets.get(name) for name in (names or list(presets.PRESETS))]
    rows = []
    for preset in chosen:
        runs = {point: simulate_preset(preset.name, chips, inferences, workers, progress, overrides)
                for point, overrides in points_of(preset).items()}
        rows += rows_of(preset, runs)
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _scale(row: pd.Series) -> float:
    """Printed value per SI value of a row: the metric's, 1 for a trend (a ratio)."""
    return 1.0 if row["relative_to"] else METRICS[row["metric"]].scale


def _where(row: pd.Series) -> str:
    """The operating point of a row as printed after its source ("" for the preset's own design)."""
    at = row["design"] or "the preset"
    if row["relative_to"]:
        return f" (trend: at {at} over at {row['relative_to']})"
    return f" (at {row['design']})" if row["design"] else ""


def _shown(value: float, scale: float) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value * scale:.3g}"


def _verdict_columns(row: pd.Series, scale: float) -> tuple[str, str]:
    """The comparison (ratio, or difference in points) and the tolerance of one row, as printed."""
    if row["absolute"]:
        compared = "-" if math.isnan(row["difference"]) else f"{row['difference'] * scale:+.2g} pt"
        return compared, f"+-{row['tolerance'] * scale:.2g} pt"
    compared = "-" if math.isnan(row["ratio"]) else f"{row['ratio']:.2f}x"
    return compared, f"x{row['tolerance']:g}"


def markdown_table(frame: pd.DataFrame) -> str:
    """The validation table as Markdown (the README's): one row per published number, the values in
    the metric's unit, the comparison, the tolerance, the status and, for a miss, the reason."""
    lines = ["| preset | metric | unit | published | imc | imc / published | tolerance | status "
             "| source; why missing |", "|---|---|---|---|---|---|---|---|---|"]
    for _, row in frame.iterrows():
        scale = _scale(row)
        compared, tolerance = _verdict_columns(row, scale)
        published = _shown(row["published"], scale) + ("*" if row["recalled"] else "")
        note = row["source"] + _where(row) + ("" if row["status"] == "ok" else f"; **{row['reason']}**")
        lines.append(f"| {row['preset']} | {row['metric']} | {row['unit']} | {published} | "
                     f"{_shown(row['imc'], scale)} | {compared} | {tolerance} | {row['status']} | {note} |")
    return "\n".join(lines)


def format_validation(frame: pd.DataFrame) -> str:
    """The validation table as text: per preset, each published number beside imc's, the ratio (or
    difference), the tolerance and ``ok`` or ``missing``, each miss followed by its reason."""
    lines = []
    header = f"  {'metric':<31} {'unit':<9} {'published':>10} {'imc':>10} {'imc/pub':>9} {'tolerance':>10}  status"
    for name, block in frame.groupby("preset", sort=False):
        preset = presets.get(name)
        lines += [f"{name}: {preset.authors}, {preset.venue} {preset.year} -- {preset.technology}",
                  f"  network: {preset.network}", header]
        for _, row in block.iterrows():
            scale = _scale(row)
            compared, tolerance = _verdict_columns(row, scale)
            mark = "*" if row["recalled"] else ""
            lines.append(f"  {row['metric']:<31} {row['unit']:<9} {_shown(row['published'], scale) + mark:>10} "
                         f"{_shown(row['imc'], scale):>10} {compared:>9} {tolerance:>10}  {row['status']}")
            lines.append(textwrap.fill(f"source: {row['source']}{_where(row)}", 110, initial_indent="      ",
                                       subsequent_indent="        "))
            if row["status"] != "ok":
                lines.append(textwrap.fill(f"why: {row['reason']}", 110, initial_indent="      ",
                                           subsequent_indent="        "))
        lines.append("")
    ok = int((frame["status"] == "ok").sum())
    lines.append(f"{ok} of {len(frame)} published numbers within tolerance; {len(frame) - ok} missing, each with "
                 "its reason (* = value as recalled from the paper, not from stored material)")
    return "\n".join(lines)
