"""SRAM device kernels: cells sampled per second and Numba kernels against their NumPy references.

Run: ``python benchmarks/bench_sram.py``. Sizes: a 1024 x 1024 array of cells.
"""

from __future__ import annotations


import numpy as np

from imc.devices import SRAM6T
from imc.devices import _kernels
from timing import best_time

SIZE = (1024, 1024)



def main() -> None:
    cell = SRAM6T()
    rng = np.random.default_rng(0)
    states = np.ones(SIZE, dtype=np.int8)
    n = states.size
    t_sample = best_time(lambda: cell.relative_current_tabulated(cell.sample_instance(states, rng), 0.7))
    print(f"6T cells sampled (mismatch + tabulated read current): {n / t_sample / 1e6:.1f} M cells/s")

    inst = cell.sample_instance(states, rng)
    i_read, i_stack = cell._drives_a
    args = (0.7, cell.vdd_v, cell.vth0_v, cell.alpha, cell.n_sub * cell.thermal_voltage_v,
            i_read, i_stack, cell.v_d0_v)
    t_kernel = best_time(lambda: cell.cell_current_a(inst.dvth_read, inst.dvth_stack, 0.7))
    t_ref = best_time(lambda: _kernels.stack_read_current_reference(inst.dvth_read, inst.dvth_stack, *args), 1)
    print(f"stack_read_current   numba {t_kernel * 1e3:8.1f} ms   numpy {t_ref * 1e3:8.1f} ms   "
          f"speed-up {t_ref / t_kernel:5.1f}x")
    t_table = best_time(lambda: cell.relative_current_tabulated(inst, 0.7))
    print(f"tabulated current    {t_table * 1e3:8.1f} ms   ({t_kernel / t_table:.1f}x faster than the exact kernel)")


if __name__ == "__main__":
    main()
