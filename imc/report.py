"""The result of one simulation: accuracy over chip instances, energy, speed, mapping."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

WILSON_Z_95 = 1.959963984540054  # two-sided 95 % standard normal quantile


def wilson_interval(successes: int, trials: int, z: float = WILSON_Z_95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (Wilson, JASA 22(158), 1927)."""
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True, eq=False)
class Report:
    """Accuracy (per chip), energy per inference (J, layer x component), latency (s),
    throughput (inferences/s), efficiency (TOPS/W) and the mapping of one design."""

    config: dict
    n_test: int
    software_accuracy: float
    chip_accuracy: np.ndarray
    energy_j: pd.DataFrame
    latency_s: float
    throughput_inf_per_s: float
    tops_per_w: float
    macs_per_inference: int
    mapping: pd.DataFrame
    n_arrays: int
    array_area_m2: float
    design: str
    reliability: dict[str, float]
    runtime_s: float
    chip: dict | None = None

    @property
    def energy_per_inference_j(self) -> float:
        """Total of the energy table (J), exactly rounded (`math.fsum`), so independent of its memory layout."""
        return math.fsum(self.energy_j.to_numpy().ravel())

    def accuracy_stats(self) -> dict[str, float]:
        a = self.chip_accuracy
        return {"mean": float(a.mean()), "std": float(a.std(ddof=1)) if a.size > 1 else 0.0,
                "min": float(a.min()), "p5": float(np.percentile(a, 5)),
                "median": float(np.median(a)), "max": float(a.max())}

    def yield_at(self, target: float) -> dict[str, float]:
        """Fraction of chips with accuracy >= target, with its 95 % Wilson interval."""
        passed = int(np.sum(self.chip_accuracy >= target - 1e-12))
        low, high = wilson_interval(passed, self.chip_accuracy.size)
        return {"target": target, "yield": passed / self.chip_accuracy.size, "low": low, "high": high}

    def mean_interval(self) -> tuple[float, float]:
        """95 % Student-t confidence interval of the mean chip accuracy (NaN for one chip)."""
        from scipy import stats

        a = self.chip_accuracy
        if a.size < 2:
            return math.nan, math.nan
        half = stats.t.ppf(0.975, a.size - 1) * a.std(ddof=1) / math.sqrt(a.size)
        return float(a.mean() - half), float(a.mean() + half)

    @property
    def default_yield_target(self) -> float:
        """One percentage point below the software accuracy."""
        return self.software_accuracy - 0.01

    def to_record(self, yield_target: float | None = None) -> dict[str, float]:
        """The flat row a sweep stores: accuracies as fractions (chip statistics, the 95 % interval
        of their mean, yield at ``yield_target`` (default: `default_yield_target`) with its 95 %
        Wilson interval), energy per inference in J (total and ``energy_<component>_j``), latency
        (s), throughput (inferences/s), TOPS/W, area (m^2), arrays, runtime (s)."""
        low, high = self.mean_interval()
        y = self.yield_at(self.default_yield_target if yield_target is None else yield_target)
        return {
            "chips": int(self.chip_accuracy.size),
            "software_accuracy": self.software_accuracy,
            **{f"accuracy_{name}": value for name, value in self.accuracy_stats().items()},
            "accuracy_mean_low": low,
            "accuracy_mean_high": high,
            "yield_target": y["target"],
            "yield": y["yield"],
            "yield_low": y["low"],
            "yield_high": y["high"],
            "energy_per_inference_j": self.energy_per_inference_j,
            **{f"energy_{k}_j": math.fsum(joules) for k, joules in self.energy_j.items()},
            "latency_s": self.latency_s,
            "throughput_inf_per_s": self.throughput_inf_per_s,
            "tops_per_w": self.tops_per_w,
            "macs_per_inference": self.macs_per_inference,
            "array_area_m2": self.array_area_m2,
            "n_arrays": self.n_arrays,
            "runtime_s": self.runtime_s,
        }

    def to_dict(self) -> dict:
        return {
            "config": self.config,
            "n_test": self.n_test,
            "accuracy": {"software": self.software_accuracy, "chips": self.accuracy_stats(),
                         "yield": self.yield_at(self.default_yield_target),
                         "per_chip": self.chip_accuracy.tolist()},
            "energy_per_inference_j": self.energy_per_inference_j,
            "energy_by_component_j": {k: float(v) for k, v in self.energy_j.sum(axis=0).items()},
            "energy_by_layer_j": {k: float(v) for k, v in self.energy_j.sum(axis=1).items()},
            "energy_j": {layer: {k: float(v) for k, v in row.items()}
                         for layer, row in self.energy_j.iterrows()},
            "latency_s": self.latency_s,
            "throughput_inf_per_s": self.throughput_inf_per_s,
            "tops_per_w": self.tops_per_w,
            "macs_per_inference": self.macs_per_inference,
            "n_arrays": self.n_arrays,
            "array_area_m2": self.array_area_m2,
            "design": self.design,
            "reliability": self.reliability,
            "mapping": self.mapping.to_dict(orient="records"),
            "runtime_s": self.runtime_s,
            "chip": self.chip,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Report":
        """The report `to_dict` (or a saved ``report.json``) describes; derived figures are recomputed."""
        energy = pd.DataFrame.from_records(list(data["energy_j"].values()), index=list(data["energy_j"]))
        energy.index.name = "layer"
        return cls(
            config=data["config"],
            n_test=data["n_test"],
            software_accuracy=data["accuracy"]["software"],
            chip_accuracy=np.asarray(data["accuracy"]["per_chip"], dtype=float),
            energy_j=energy,
            latency_s=data["latency_s"],
            throughput_inf_per_s=data["throughput_inf_per_s"],
            tops_per_w=data["tops_per_w"],
            macs_per_inference=data["macs_per_inference"],
            mapping=pd.DataFrame.from_records(data["mapping"]),
            n_arrays=data["n_arrays"],
            array_area_m2=data["array_area_m2"],
            design=data["design"],
            reliability=data["reliability"],
            runtime_s=data["runtime_s"],
            chip=data.get("chip"),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def chips_frame(self) -> pd.DataFrame:
        """Tidy per-chip results: one row per chip instance."""
        return pd.DataFrame({"chip": np.arange(self.chip_accuracy.size), "accuracy": self.chip_accuracy})

    def save(self, out_dir: str | Path) -> list[Path]:
        """Write report.json, chips.csv, energy.csv, mapping.csv, accuracy.png and energy.png; CSV
        headers carry their unit as a suffix (``accuracy_fraction``, ``adc_j`` per inference)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.json").write_text(self.to_json())
        self.chips_frame().rename(columns={"accuracy": "accuracy_fraction"}).to_csv(out / "chips.csv", index=False)
        self.energy_j.add_suffix("_j").to_csv(out / "energy.csv")  # J per inference
        self.mapping.rename(columns={"utilisation": "utilisation_fraction"}).to_csv(out / "mapping.csv", index=False)
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        for name, draw in (("accuracy.png", self.plot_accuracy), ("energy.png", self.plot_energy)):
            fig, ax = plt.subplots(figsize=(6, 4))
            draw(ax)
            fig.tight_layout()
            fig.savefig(out / name, dpi=120)
            plt.close(fig)
        return [out / n for n in ("report.json", "chips.csv", "energy.csv", "mapping.csv",
                                  "accuracy.png", "energy.png")]

    def plot_accuracy(self, ax=None):
        """Histogram of per-chip accuracy with the software baseline (integer chip counts)."""
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
        ax = ax or plt.gca()
        acc = 100 * self.chip_accuracy
        step = 100 / self.n_test
        edges = np.arange(acc.min() - step / 2, acc.max() + step, step)
        kind = "" if self.config.get("variation", True) else " nominal"
        ax.hist(acc, bins=edges, color="tab:blue", alpha=0.8,
                label=f"{acc.size}{kind} chip{'s' if acc.size > 1 else ''}")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.ticklabel_format(axis="x", useOffset=False)  # one chip spans a single bin: no "+9.6e1" offset
        ax.axvline(100 * self.software_accuracy, color="black", ls="--", label="software")
        ax.set_xlabel("test accuracy (%)")
        ax.set_ylabel("chips")
        ax.set_title("Accuracy over chip instances")
        ax.legend()
        return ax

    def plot_energy(self, ax=None):
        """Stacked bars: energy per inference of each layer, split by component (pJ)."""
        import matplotlib.pyplot as plt
        ax = ax or plt.gca()
        (self.energy_j * 1e12).plot.bar(stacked=True, ax=ax, rot=0)
        ax.set_ylabel("energy per inference (pJ)")
        ax.set_title(f"Energy per inference: {self.energy_per_inference_j * 1e9:.3g} nJ")
        return ax

    def format_table(self) -> str:
        """Human-readable summary, as printed by ``imc simulate``."""
        c, s = self.config, self.accuracy_stats()
        y = self.yield_at(self.default_yield_target)
        arr, conditions = c["array"], c["conditions"]
        figures = "".join(f", {name} {value:.2g}" for name, value in self.reliability.items())
        lines = [
            f"imc simulate: {c['model']} on {c['dataset']} ({self.n_test} test images), "
            f"{c['chips']} chips, seed {c['seed']}, variation {'on' if c['variation'] else 'off'}"
            + (f", {conditions['time_s']:.3g} s after programming" if conditions["time_s"] > 0 else ""),
            f"design: {arr['device']['kind']} arrays {arr['rows']}x{arr['cols']}, "
            f"{c['mapping']['encoding']} encoding, {self.design}",
            "",
            "mapping",
            self.mapping.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
            f"  {self.n_arrays} arrays, {self.array_area_m2 * 1e12:.0f} um^2 of cells and periphery{figures}",
            "",
            "accuracy",
            f"  software        {100 * self.software_accuracy:6.2f} %",
            f"  chips mean      {100 * s['mean']:6.2f} %   std {100 * s['std']:.2f}",
            f"  chips min/max   {100 * s['min']:6.2f} % / {100 * s['max']:.2f} %   "
            f"p5 {100 * s['p5']:.2f} %",
            f"  yield >= {100 * y['target']:.2f} %: {100 * y['yield']:.1f} % "
            f"[{100 * y['low']:.1f}, {100 * y['high']:.1f}] (95 % Wilson)",
            "",
            f"energy per inference  {self.energy_per_inference_j * 1e12:.1f} pJ",
        ]
        total = self.energy_per_inference_j
        components = self.energy_j.sum(axis=0)
        width = max([10, *map(len, components.index)])
        for component, joules in components[components > 0].sort_values(ascending=False).items():
            lines.append(f"  {component:<{width}} {joules * 1e12:9.2f} pJ  {100 * joules / total:5.1f} %")
        lines += [
            "",
            f"latency     {self.latency_s * 1e9:.1f} ns",
            f"throughput  {self.throughput_inf_per_s / 1e6:.2f} M inferences/s",
            f"efficiency  {self.tops_per_w:.1f} TOPS/W  ({self.macs_per_inference} MACs/inference)",
        ]
        if self.chip is not None:
            c = self.chip
            kinds = ", ".join(f"{kind} {100 * u:.0f} %" for kind, u in c["utilisation_by_kind"].items())
            lines += [
                "",
                f"chip engine (SimPy, {c['inferences']} inferences queued at t = 0, {c['events']} events)",
                f"  latency     first {c['latency_first_s'] * 1e9:.1f} ns, median {c['latency_median_s'] * 1e9:.1f} ns, "
                f"p99 {c['latency_p99_s'] * 1e9:.1f} ns (queueing included)",
                f"  throughput  {c['throughput_inf_per_s'] / 1e6:.2f} M inferences/s, bottleneck {c['bottleneck']}",
                f"  energy      {c['energy_per_inference_j'] * 1e12:.1f} pJ per inference with interconnect and leakage",
                f"  utilisation {kinds}",
            ]
        lines.append(f"runtime     {self.runtime_s:.1f} s")
        return "\n".join(lines)
