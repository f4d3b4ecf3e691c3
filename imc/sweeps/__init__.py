"""Design-space exploration and Monte-Carlo sweeps: ``imc.sweep(base, grid, chips=N, out=DIR)``.

>>> import imc
>>> frame = imc.sweep(None, {"array.adc.bits": [4, 6, 8]}, chips=20, out="runs/adc")

* `grid`: grids of dotted config paths (cartesian products, lists of points, `Sample`);
* `store`: the resumable store of finished points (one Parquet file per point, written atomically);
* `run`: `sweep` itself, chip ranges of points on threads, processes or Dask (`run_chips`),
  `Adaptive` chip counts;
* `spec`: sweep files for ``imc sweep GRID.toml``;
* `plots`: accuracy vs a parameter with bands, Pareto fronts, heat maps, yield curves.

``imc.sweep`` is the function `sweep` (a lazy re-export of this package's).
"""

from imc.sweeps.grid import Sample, apply, expand
from imc.sweeps.plots import pareto_front, plot_heatmap, plot_metric, plot_pareto, plot_yield
from imc.sweeps.run import Adaptive, format_table, run_chips, sweep
from imc.sweeps.spec import SweepSpec, load_sweep
from imc.sweeps.store import Store

__all__ = ["Adaptive", "Sample", "Store", "SweepSpec", "apply", "expand", "format_table", "load_sweep", "pareto_front",
           "plot_heatmap", "plot_metric", "plot_pareto", "plot_yield", "run_chips", "sweep"]
