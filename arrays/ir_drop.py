"""IR drop and sneak paths of a resistive (RRAM) crossbar: an exact nodal solve and a fast batched one.

Circuit (the crossbar model with line resistance of A. Chen, "A comprehensive crossbar array
model with solutions for line resistance and nonlinear device characteristics", IEEE Trans.
Electron Devices 60(4), 1318-1326, 2013; the same network the nodal solver ``badcrossbar``
solves: Joksas & Mehonic, SoftwareX 12, 100617, 2020; driver and sense resistances as in the
crossbar model of RxNN: Jain, Sengupta, Roy & Raghunathan, IEEE TCAD 2021, arXiv:1809.00072):

* ``rows`` x ``cols`` cells; cell (i, j) joins row node (i, j) to column node (i, j) through
  its conductance G_ij in series with the access resistance ``r_access_ohm`` (1T1R; 0 for a
  passive 0T1R crossbar): g_ij = G_ij / (1 + G_ij r_access_ohm).
* Row (word line) i is driven at its left end (j = 0) by a voltage source V_i through
  ``r_driver_ohm``; adjacent row nodes are joined by ``r_wire_row_ohm`` (one cell pitch).
* Column (bit line) j has ``r_wire_col_ohm`` between adjacent nodes and ends at the bottom
  (i = rows - 1) in its sense input, a transimpedance amplifier holding a virtual ground,
  through ``r_sense_ohm``. The column current is the current into that input.
* A row may be left FLOATING (``driven[i] = False``: no driver attached) and a column may be
  left unsensed (``sensed[j] = False``: floating, no current out). Floating lines are what an
  unselected line of a passive array does in a single-cell read; through them the read
  current finds sneak paths around the selected cell (Flocke & Noll, "Fundamental analysis of
  resistive nano-crossbars for the use in hybrid Nano/CMOS-memory", ESSCIRC 2007).
* A zero resistance joins its two nodes (exactly, not as a large conductance).

Cells are linear (ohmic): a non-linear I-V (selector, sinh conduction of `imc.devices.rram`
at larger voltages) is outside these solvers; linearise at the read voltage first.

`solve_exact` assembles the conductance (nodal) matrix of the 2*rows*cols nodes with
scipy.sparse, factorises it once (SuperLU, ``splu``) and solves a whole batch of inputs.
`solve_fast` solves the same network by line relaxation in Numba (`_kernels_ir`); it agrees
with `solve_exact` to ~``tol`` relative (the tests hold it to 1e-6 at the default tol).
`transfer_matrix` solves it once per row and gives every input's currents as one product.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from imc.arrays import _kernels_ir as kernels
from imc.errors import int_in_range, non_negative, plausible, positive, require
from imc.threads import blas_threads

# Interconnect at the 65 nm node, from the DNN+NeuroSim V1.3 source (Param.cpp; framework: Peng,
# Huang, Luo, Sun & Yu, IEDM 2019): wire width 105 nm, aspect ratio 1.7 and an effective Cu
# resistivity of 2.68e-8 ohm*m (above bulk Cu's 1.7e-8), so R per length = rho / (w^2 * AR).
WIRE_WIDTH_65NM_M = 105e-9
WIRE_ASPECT_RATIO_65NM = 1.7
WIRE_RESISTIVITY_65NM_OHM_M = 2.68e-8
WIRE_OHM_PER_M_65NM = WIRE_RESISTIVITY_65NM_OHM_M / (WIRE_WIDTH_65NM_M ** 2 * WIRE_ASPECT_RATIO_65NM)
# Cell footprints in feature sizes F (= the wire width), DNN+NeuroSim V1.3 Param.cpp:
# 1T1R 12F wide x 4F high, cross-point 2F x 2F. A row line crosses a cell's width per pitch,
# a column line its height (NeuroSim SubArray.cpp: lengthRow = numCol * width * F).
CELL_1T1R_WIDTH_F, CELL_1T1R_HEIGHT_F = 12, 4
CELL_CROSSPOINT_F = 2
R_ACCESS_1T1R_OHM = 15e3  # NeuroSim's 1T1R access transistor (Cell.cpp resistanceAccess), as imc.devices.RRAM

SCHEMES = ("floating", "grounded")


class ConvergenceError(RuntimeError):
    """The line relaxation of `solve_fast` did not reach its tolerance within max_iter iterations."""


@dataclass(frozen=True)
class CrossbarWires:
    """Parasitic resistances of a crossbar (ohm), per cell pitch for the wires.

    Defaults: a 1T1R array at the 65 nm node. Wire resistance per pitch = R per length
    (NeuroSim's 65 nm interconnect: 1.43 ohm/um, see `WIRE_OHM_PER_M_65NM`) times the pitch:
    ``r_wire_row_ohm`` = 1.80 ohm over a 12F = 1.26 um wide 1T1R cell, ``r_wire_col_ohm`` =
    0.60 ohm over its 4F = 0.42 um height. ``r_access_ohm`` = 15 kOhm: NeuroSim's access
    transistor (Cell.cpp), the default of `imc.devices.RRAM`.
    ``r_driver_ohm`` = ``r_sense_ohm`` = 0: an ideal voltage driver and an ideal virtual
    ground. Their real values depend on the driver and TIA design (a TIA's input resistance is
    about R_f / (1 + A)); this is an assumption to override when the periphery is known.
    `passive_65nm` gives a 0T1R cross-point array.
    """

    r_wire_row_ohm: float = WIRE_OHM_PER_M_65NM * CELL_1T1R_WIDTH_F * WIRE_WIDTH_65NM_M
    r_wire_col_ohm: float = WIRE_OHM_PER_M_65NM * CELL_1T1R_HEIGHT_F * WIRE_WIDTH_65NM_M
    r_driver_ohm: float = 0.0
    r_sense_ohm: float = 0.0
    r_access_ohm: float = R_ACCESS_1T1R_OHM

    def __post_init__(self) -> None:
        plausible(self)
        for name in ("r_wire_row_ohm", "r_wire_col_ohm", "r_driver_ohm", "r_sense_ohm", "r_access_ohm"):
            non_negative(name, getattr(self, name))

    @classmethod
    def passive_65nm(cls, **overrides) -> "CrossbarWires":
        """A passive (0T1R) 2F x 2F cross-point array at 65 nm: 0.30 ohm per pitch, no access device."""
        pitch_ohm = WIRE_OHM_PER_M_65NM * CELL_CROSSPOINT_F * WIRE_WIDTH_65NM_M
        return cls(**{"r_wire_row_ohm": pitch_ohm, "r_wire_col_ohm": pitch_ohm, "r_access_ohm": 0.0, **overrides})

    @classmethod
    def ideal(cls) -> "CrossbarWires":
        """No parasitic resistance at all: the crossbar computes v @ G exactly."""
        return cls(0.0, 0.0, 0.0, 0.0, 0.0)


@dataclass(frozen=True)
class CrossbarSolution:
    """Currents (A) and node voltages (V) of a batch of crossbar solves.

    column_currents_a (batch, cols): into each sense input (0 for unsensed columns);
    driver_currents_a (batch, rows): out of each driver (0 for floating rows);
    v_row_v, v_col_v (batch, rows, cols): row and column node voltages;
    iterations (batch,): line-relaxation iterations (`solve_fast`), None for `solve_exact`.
    """

    column_currents_a: np.ndarray
    driver_currents_a: np.ndarray
    v_row_v: np.ndarray
    v_col_v: np.ndarray
    iterations: np.ndarray | None = None


@dataclass(frozen=True)
class CellRead:
    """A single-cell read: current the sense amplifier sees and current through the selected cell (A)."""

    sensed_current_a: float
    cell_current_a: float

    @property
    def sneak_current_a(self) -> float:
        """Sensed current that did not pass through the selected cell (A)."""
        return self.sensed_current_a - self.cell_current_a


def cell_conductance_s(g_s: np.ndarray, r_access_ohm: float) -> np.ndarray:
    """Conductance (S) of each cell with its access resistance in series: G / (1 + G R_access)."""
    return g_s / (1.0 + g_s * r_access_ohm)


def ideal_currents(g_s: np.ndarray, v_in: np.ndarray) -> np.ndarray:
    """Column currents (A) of an ideal crossbar, no parasitics: v_in (batch, rows) @ g_s (rows, cols)."""
    return np.asarray(v_in, dtype=np.float64) @ np.asarray(g_s, dtype=np.float64)


def relative_error(currents: np.ndarray, reference: np.ndarray) -> float:
    """Largest column-current deviation from ``reference``, relative to the largest reference current."""
    currents, reference = np.asarray(currents), np.asarray(reference)
    require("currents", currents.shape, currents.shape == reference.shape, f"must have the shape {reference.shape}")
    scale = np.max(np.abs(reference))
    require("reference", scale, scale > 0, "must contain a nonzero current")
    return float(np.max(np.abs(currents - reference)) / scale)


def _conductances(g_s) -> np.ndarray:
    """Validated float64 device conductances (rows, cols)."""
    g_s = np.asarray(g_s, dtype=np.float64)
    require("g_s", g_s.shape, g_s.ndim == 2 and g_s.size > 0, "must be a non-empty (rows, cols) matrix")
    require("g_s", float(np.min(g_s)), bool(np.all(np.isfinite(g_s) & (g_s > 0))),
            "conductances must be finite and > 0 S (an open cell is a very small conductance)")
    return g_s


def _checked(g_s, v_in, driven, sensed):
    """Validated float64 g_s (rows, cols), v_in (batch, rows) and bool driven (rows,), sensed (cols,)."""
    g_s = _conductances(g_s)
    v_in = np.asarray(v_in, dtype=np.float64)
    rows, cols = g_s.shape
    require("v_in", v_in.shape, v_in.ndim == 2 and v_in.shape[1] == rows,
            f"must be (batch, rows) with rows = {rows}")
    require("v_in", v_in.shape, bool(np.all(np.isfinite(v_in))), "must be finite")
    driven = np.ones(rows, bool) if driven is None else np.asarray(driven)
    sensed = np.ones(cols, bool) if sensed is None else np.asarray(sensed)
    require("driven", driven.shape, driven.shape == (rows,) and driven.dtype == bool, f"must be {rows} booleans")
    require("sensed", sensed.shape, sensed.shape == (cols,) and sensed.dtype == bool, f"must be {cols} booleans")
    require("sensed", int(sensed.sum()), bool(sensed.any()), "at least one column must be sensed")
    floating_v = v_in[:, ~driven]
    require("v_in", float(np.max(np.abs(floating_v), initial=0.0)), not np.any(floating_v),
            "must be 0 on floating rows (they have no driver)")
    return g_s, v_in, driven, sensed


def _node_ids(rows, cols, wires, driven, sensed):
    """Node numbering of the network with zero resistances merged.

    Returns row_id, col_id (rows, cols), source ids (driven rows) and sink ids (sensed columns),
    compressed to 0..n-1, and n. A zero-resistance wire makes its line one node; a zero driver
    (sense) resistance merges the line's end node with the source (sink).
    """
    n_cells = rows * cols
    row_id = np.arange(n_cells).reshape(rows, cols)
    col_id = n_cells + np.arange(n_cells).reshape(rows, cols)
    if wires.r_wire_row_ohm == 0:
        row_id = np.repeat(row_id[:, :1], cols, axis=1)
    if wires.r_wire_col_ohm == 0:
        col_id = np.repeat(col_id[-1:, :], rows, axis=0)
    source = 2 * n_cells + np.flatnonzero(driven)
    sink = 2 * n_cells + rows + np.flatnonzero(sensed)
    if wires.r_driver_ohm == 0:
        ends = row_id[driven, :1]
        row_id[driven] = np.where(row_id[driven] == ends, source[:, None], row_id[driven])
    if wires.r_sense_ohm == 0:
        ends = col_id[-1:, sensed]
        col_id[:, sensed] = np.where(col_id[:, sensed] == ends, sink[None, :], col_id[:, sensed])
    used, inverse = np.unique(np.concatenate([row_id.ravel(), col_id.ravel(), source, sink]), return_inverse=True)
    split = np.cumsum([n_cells, n_cells, source.size])
    row_id, col_id, source, sink = np.split(inverse, split)
    return row_id.reshape(rows, cols), col_id.reshape(rows, cols), source, sink, used.size


def _laplacian(g_cell, wires, row_id, col_id, source, sink, driven, sensed, n):
    """Conductance (nodal) matrix of the network (S), n x n CSR: the sum over elements of g (e_a - e_b)(e_a - e_b)^T."""
    elements = [(row_id.ravel(), col_id.ravel(), g_cell.ravel())]
    if wires.r_wire_row_ohm > 0:
        elements.append((row_id[:, :-1].ravel(), row_id[:, 1:].ravel(), 1.0 / wires.r_wire_row_ohm))
    if wires.r_wire_col_ohm > 0:
        elements.append((col_id[:-1].ravel(), col_id[1:].ravel(), 1.0 / wires.r_wire_col_ohm))
    if wires.r_driver_ohm > 0:
        elements.append((source, row_id[driven, 0], 1.0 / wires.r_driver_ohm))
    if wires.r_sense_ohm > 0:
        elements.append((col_id[-1, sensed], sink, 1.0 / wires.r_sense_ohm))
    a = np.concatenate([e[0] for e in elements])
    b = np.concatenate([e[1] for e in elements])
    g = np.concatenate([np.broadcast_to(e[2], e[0].shape) for e in elements])
    entries = (np.concatenate([g, g, -g, -g]), (np.concatenate([a, b, a, b]), np.concatenate([a, b, b, a])))
    return sp.csr_matrix(entries, shape=(n, n))


def solve_exact(g_s, v_in, wires: CrossbarWires, driven=None, sensed=None, return_nodes: bool = False):
    """Column currents (A), (batch, cols), of the crossbar by exact nodal analysis.

    g_s (rows, cols): device conductances (S, > 0); v_in (batch, rows): driver voltages (V), 0 on
    floating rows; driven (rows,) / sensed (cols,) booleans, default all True. The nodal matrix
    is factorised once (SuperLU) and solved for the whole batch. With ``return_nodes`` the
    result is a `CrossbarSolution` with the driver currents and every node voltage.
    """
    g_s, v_in, driven, sensed = _checked(g_s, v_in, driven, sensed)
    batch, (rows, cols) = v_in.shape[0], g_s.shape
    row_id, col_id, source, sink, n = _node_ids(rows, cols, wires, driven, sensed)
    lap = _laplacian(cell_conductance_s(g_s, wires.r_access_ohm), wires, row_id, col_id, source, sink,
                     driven, sensed, n)
    fixed = np.concatenate([source, sink])
    free = np.setdiff1d(np.arange(n), fixed)
    voltages = np.zeros((n, batch))
    voltages[source] = v_in[:, driven].T
    if free.size:
        lap_free = lap[free]
        rhs = -(lap_free[:, fixed] @ voltages[fixed])
        with blas_threads(1):  # SuperLU makes many tiny BLAS calls: threads only cost
            voltages[free] = splu(lap_free[:, free].tocsc()).solve(rhs)
    injected = lap[fixed] @ voltages  # current out of each source/sink into the network
    column_currents = np.zeros((batch, cols))
    column_currents[:, sensed] = -injected[source.size:].T
    if not return_nodes:
        return column_currents
    driver_currents = np.zeros((batch, rows))
    driver_currents[:, driven] = injected[:source.size].T
    return CrossbarSolution(column_currents, driver_currents, np.moveaxis(voltages[row_id], -1, 0),
                            np.moveaxis(voltages[col_id], -1, 0))


def solve_fast(g_s, v_in, wires: CrossbarWires, driven=None, sensed=None, tol: float = 1e-10,
               max_iter: int = 10_000, return_nodes: bool = False):
    """Column currents (A), (batch, cols), of the crossbar by line relaxation (Numba, parallel over the batch).

    Same circuit and arguments as `solve_exact`. Each iteration solves every row line given the
    column voltages, then every column line given the row voltages (Thomas algorithm); an
    input is done when no node voltage moved by more than ``tol`` times its largest input
    voltage. Raises `ConvergenceError` if an input is not done after ``max_iter`` iterations
    (very resistive wires against very conductive cells, or floating lines; `solve_exact`
    handles those). With ``return_nodes``: a `CrossbarSolution` with iterations per input.
    """
    g_s, v_in, driven, sensed = _checked(g_s, v_in, driven, sensed)
    positive("tol", tol)
    int_in_range("max_iter", max_iter, 1)
    batch, (rows, cols) = v_in.shape[0], g_s.shape
    row_end = kernels.FIXED if wires.r_driver_ohm == 0 else kernels.RESISTIVE
    col_end = kernels.FIXED if wires.r_sense_ohm == 0 else kernels.RESISTIVE
    row_terminal = np.where(driven, row_end, kernels.FLOATING).astype(np.int64)
    col_terminal = np.where(sensed, col_end, kernels.FLOATING).astype(np.int64)
    nodes_kept = batch if return_nodes else 0
    v_row, v_col = np.zeros((nodes_kept, rows, cols)), np.zeros((nodes_kept, rows, cols))
    column_currents, driver_currents = np.empty((batch, cols)), np.empty((batch, rows))
    iterations, last_change = np.empty(batch, np.int64), np.empty(batch)
    kernels.relax_crossbar(cell_conductance_s(g_s, wires.r_access_ohm), v_in, row_terminal, col_terminal,
                           float(wires.r_wire_row_ohm), float(wires.r_wire_col_ohm), float(wires.r_driver_ohm),
                           float(wires.r_sense_ohm), float(tol), max_iter, v_row, v_col, column_currents,
                           driver_currents, iterations, last_change, numba.get_num_threads())
    stuck = np.flatnonzero(last_change > tol)
    if stuck.size:
        raise ConvergenceError(
            f"line relaxation did not converge for {stuck.size} of {batch} inputs (first: input {stuck[0]}) "
            f"after max_iter = {max_iter} iterations: last relative change {last_change[stuck[0]]:.3g} > "
            f"tol = {tol:g}; raise max_iter or use solve_exact")
    if not return_nodes:
        return column_currents
    return CrossbarSolution(column_currents, driver_currents, v_row, v_col, iterations)


def transfer_matrix(g_s, wires: CrossbarWires, tol: float = 1e-10, max_iter: int = 10_000) -> np.ndarray:
    """Column currents (A) per volt on each row, (rows, cols): v_in @ T = the column currents of any input.

    Every element of the network is linear (ohmic cells, wires, driver and sense resistances),
    so the currents of an input are the superposition of the currents of each driver acting
    alone with every other driver at 0 V (superposition theorem: Alexander & Sadiku,
    *Fundamentals of Electric Circuits*, 6th ed., McGraw-Hill 2017, sec. 4.3). Row i of T is
    `solve_fast` for 1 V on row i and 0 V on the others, to ``tol`` of that volt: one solve per
    row instead of one per input, and every input after it is a GEMM. All rows driven, all
    columns sensed (a row at 0 V is driven at 0 V, not floating).
    """
    g_s = _conductances(g_s)
    return solve_fast(g_s, np.eye(g_s.shape[0]), wires, tol=tol, max_iter=max_iter)


def read_cell(g_s, row: int, col: int, v_read_v: float, wires: CrossbarWires, scheme: str = "floating") -> CellRead:
    """Read one cell: ``v_read_v`` on row ``row``, column ``col`` sensed at virtual ground (exact solve).

    ``scheme``: "floating" leaves every other row and column floating (a passive array read
    without a bias scheme: sneak paths through the unselected cells add to the sensed
    current); "grounded" drives every other row at 0 V and holds every column at virtual
    ground, so unselected cells carry no current into the selected column (only wire drops
    remain). 1T1R arrays with their unselected access transistors off: pass those cells'
    off-state conductance in ``g_s``.
    """
    g_s = _conductances(g_s)
    rows, cols = g_s.shape
    int_in_range("row", row, 0, rows - 1)
    int_in_range("col", col, 0, cols - 1)
    positive("v_read_v", v_read_v)
    require("scheme", scheme, scheme in SCHEMES, f"allowed: {list(SCHEMES)}")
    selected_row, selected_col = np.arange(rows) == row, np.arange(cols) == col
    floating = scheme == "floating"
    driven = selected_row if floating else np.ones(rows, bool)
    sensed = selected_col if floating else np.ones(cols, bool)
    v_in = np.where(selected_row, float(v_read_v), 0.0)[None, :]
    nodes = solve_exact(g_s, v_in, wires, driven, sensed, return_nodes=True)
    g_cell = cell_conductance_s(g_s[row, col], wires.r_access_ohm)
    cell_current = g_cell * (nodes.v_row_v[0, row, col] - nodes.v_col_v[0, row, col])
    return CellRead(float(nodes.column_currents_a[0, col]), float(cell_current))
