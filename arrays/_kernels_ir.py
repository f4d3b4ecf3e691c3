"""Numba kernels of the crossbar IR-drop solver (`imc.arrays.ir_drop`), with their references.

A crossbar is two families of resistive lines (rows, columns) coupled by the cells. Given the
column voltages, each row line is a tridiagonal system, and vice versa; `relax_crossbar`
alternates the two (block Gauss-Seidel by lines, "line relaxation": Saad, *Iterative Methods
for Sparse Linear Systems*, 2nd ed., SIAM 2003, ch. 4) and solves every line with the Thomas
algorithm (tridiagonal LU without pivoting, stable for the diagonally dominant matrices of a
resistive line: Golub & Van Loan, *Matrix Computations*, 4th ed., 2013, sec. 4.3). A line's
matrix depends on the cells and wires only, so it is factorised once (`factor_lines`) and
every iteration of every input reuses the factors.

Layout: a family of L lines of n nodes is an (n, L) array, node 0 at the line's terminal
(driver or sense input), so the inner loops run over lines on contiguous memory.

References: `solve_lines_reference` (SciPy banded solver) for `factor_lines` + `solve_lines`;
the direct sparse nodal solve `imc.arrays.ir_drop.solve_exact` for `relax_crossbar`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from scipy.linalg import solve_banded

# How the terminal at node 0 of a line connects: not at all, through a resistor to a fixed
# voltage (a driver or a sense input with resistance), or directly to it (zero resistance).
FLOATING, RESISTIVE, FIXED = 0, 1, 2
SPARSE_DRIVE = 8  # a first sweep from 0 V with at most 1/8 of the rows driven solves those rows alone
TRANSPOSE_TILE = 16  # 16 x 16 doubles = 2 KiB per tile side: both layouts' lines stay in L1 while copied


@njit(cache=True)
def factor_lines(g_cell, r_wire, terminal, g_term, c_prime, inv_pivot):
    """Thomas factors of L lines: ``c_prime``, ``inv_pivot`` (n, L) such that `solve_lines` needs no division.

    Node k of line l joins its cell conductance ``g_cell[k, l]`` (S), its neighbours through
    ``r_wire`` (ohm) and, at k = 0, its terminal (``terminal[l]``: FLOATING, RESISTIVE through
    ``g_term`` S, or FIXED). ``r_wire`` = 0 makes a line one node: then row 0 of ``inv_pivot``
    holds 1 / (its total conductance to cells and terminal) and ``c_prime`` is unused.
    """
    n, lines = g_cell.shape
    if r_wire == 0.0:
        for l in range(lines):
            total = g_term if terminal[l] == RESISTIVE else 0.0
            for k in range(n):
                total += g_cell[k, l]
            inv_pivot[0, l] = 1.0 / total
        return
    g_wire = 1.0 / r_wire
    for k in range(n):
        for l in range(lines):
            upper = -g_wire if k < n - 1 else 0.0
            diag = g_cell[k, l] + (g_wire if k > 0 else 0.0) - upper
            if k == 0 and terminal[l] == RESISTIVE:
                diag += g_term
            elif k == 0 and terminal[l] == FIXED:
                diag, upper = 1.0, 0.0
            if k > 0:
                diag += g_wire * c_prime[k - 1, l]
            inv_pivot[k, l] = 1.0 / diag
            c_prime[k, l] = upper / diag


@njit(cache=True)
def solve_lines(g_cell, v_other, r_wire, terminal, g_term, v_term, c_prime, inv_pivot, out, d_work):
    """Node voltages (V) of L lines given the voltages ``v_other`` across their cells; returns the largest change.

    Arrays (n, L) in the layout and with the factors of `factor_lines`; ``v_term`` (L,): the
    terminals' voltages (V). KCL holds exactly at every node after the call. ``out`` holds the
    previous voltages on entry and the new ones on exit; ``d_work``: (n, L) scratch.
    """
    n, lines = g_cell.shape
    change = 0.0
    if r_wire == 0.0:
        for l in range(lines):
            if terminal[l] == FIXED:
                x = v_term[l]
            else:
                current = g_term * v_term[l] if terminal[l] == RESISTIVE else 0.0
                for k in range(n):
                    current += g_cell[k, l] * v_other[k, l]
                x = current * inv_pivot[0, l]
            for k in range(n):
                change = max(change, abs(x - out[k, l]))
                out[k, l] = x
        return change
    g_wire = 1.0 / r_wire
    for l in range(lines):
        rhs = g_cell[0, l] * v_other[0, l]
        if terminal[l] == RESISTIVE:
            rhs += g_term * v_term[l]
        elif terminal[l] == FIXED:
            rhs = v_term[l]
        d_work[0, l] = rhs * inv_pivot[0, l]
    for k in range(1, n):
        for l in range(lines):
            d_work[k, l] = (g_cell[k, l] * v_other[k, l] + g_wire * d_work[k - 1, l]) * inv_pivot[k, l]
    for l in range(lines):
        change = max(change, abs(d_work[n - 1, l] - out[n - 1, l]))
        out[n - 1, l] = d_work[n - 1, l]
    for k in range(n - 2, -1, -1):
        for l in range(lines):
            x = d_work[k, l] - c_prime[k, l] * out[k + 1, l]
            change = max(change, abs(x - out[k, l]))
            out[k, l] = x
    return change


@njit(cache=True)
def solve_driven_lines(r_wire, terminal, g_term, v_term, c_prime, inv_pivot, out, d_work):
    """`solve_lines` when every cell sees 0 V on its other side (``out`` zero on entry): only lines whose
    terminal drives a non-zero voltage carry any, so those alone are solved, one line at a time.

    Same arguments and factors as `solve_lines` (less ``g_cell`` and ``v_other``, which are 0);
    returns the largest node voltage (the change from 0). A line solve of `transfer_matrix`'s
    first sweep, where one line of the family is driven, costs one line instead of all of them.
    """
    n, lines = out.shape
    change = 0.0
    for l in range(lines):
        if terminal[l] == FLOATING or v_term[l] == 0.0:
            continue
        rhs = v_term[l] if terminal[l] == FIXED else g_term * v_term[l]
        if r_wire == 0.0:
            x = rhs if terminal[l] == FIXED else rhs * inv_pivot[0, l]
            for k in range(n):
                out[k, l] = x
            change = max(change, abs(x))
            continue
        g_wire = 1.0 / r_wire
        d_work[0, l] = rhs * inv_pivot[0, l]
        for k in range(1, n):
            d_work[k, l] = g_wire * d_work[k - 1, l] * inv_pivot[k, l]
        out[n - 1, l] = d_work[n - 1, l]
        for k in range(n - 2, -1, -1):
            out[k, l] = d_work[k, l] - c_prime[k, l] * out[k + 1, l]
        for k in range(n):
            change = max(change, abs(out[k, l]))
    return change


def solve_lines_reference(g_cell, v_other, r_wire, terminal, g_term, v_term):
    """SciPy reference of `factor_lines` + `solve_lines`: each line's KCL as a banded system (new array)."""
    n, lines = g_cell.shape
    out = np.empty((n, lines))
    for l in range(lines):
        extra = g_term if terminal[l] == RESISTIVE else 0.0
        if terminal[l] == FIXED and r_wire == 0.0:
            out[:, l] = v_term[l]
        elif r_wire == 0.0:
            out[:, l] = (g_cell[:, l] @ v_other[:, l] + extra * v_term[l]) / (g_cell[:, l].sum() + extra)
        else:
            g_wire = 1.0 / r_wire
            bands = np.zeros((3, n))
            bands[0, 1:] = bands[2, :-1] = -g_wire
            bands[1] = g_cell[:, l] + g_wire * ((np.arange(n) > 0).astype(float) + (np.arange(n) < n - 1))
            rhs = g_cell[:, l] * v_other[:, l]
            bands[1, 0] += extra
            rhs[0] += extra * v_term[l]
            if terminal[l] == FIXED:
                bands[1, 0], rhs[0] = 1.0, v_term[l]
                if n > 1:
                    bands[0, 1] = 0.0
            out[:, l] = solve_banded((1, 1), bands, rhs)
    return out


@njit(cache=True)
def terminal_currents(g_cell, v_other, x, r_wire, terminal, g_term, v_term, out):
    """Current (A) from each line's terminal into the line, at node voltages ``x`` (n, L); into ``out`` (L,)."""
    n, lines = g_cell.shape
    for l in range(lines):
        if terminal[l] == FLOATING:
            out[l] = 0.0
        elif terminal[l] == RESISTIVE:
            out[l] = g_term * (v_term[l] - x[0, l])
        elif r_wire == 0.0:  # the terminal is the whole line: it supplies every cell current
            current = 0.0
            for k in range(n):
                current += g_cell[k, l] * (x[k, l] - v_other[k, l])
            out[l] = current
        else:
            out[l] = g_cell[0, l] * (x[0, l] - v_other[0, l])
            if n > 1:
                out[l] += (x[0, l] - x[1, l]) / r_wire


@njit(cache=True)
def flip_transpose(row_layout, col_layout, to_rows):
    """Copy node voltages between the two layouts of `relax_one`, in cache-sized tiles.

    row_layout (cols, rows) [j, i] (row lines, node 0 at the driver) and col_layout (rows, cols)
    [rows - 1 - i, j] (column lines upside down, node 0 at the sense input); ``to_rows`` says
    which one is written.
    """
    cols, rows = row_layout.shape
    for i0 in range(0, rows, TRANSPOSE_TILE):
        for j0 in range(0, cols, TRANSPOSE_TILE):
            for i in range(i0, min(i0 + TRANSPOSE_TILE, rows)):
                for j in range(j0, min(j0 + TRANSPOSE_TILE, cols)):
                    if to_rows:
                        row_layout[j, i] = col_layout[rows - 1 - i, j]
                    else:
                        col_layout[rows - 1 - i, j] = row_layout[j, i]


@njit(cache=True)
def relax_one(g_rows, g_cols, factors, v_in, row_terminal, col_terminal, r_wire_row, r_wire_col, g_driver, g_sense,
              tol, max_iter, v_row, v_col, work, column_currents, driver_currents):
    """Line relaxation of one input (see `relax_crossbar`); returns (iterations, last relative change).

    g_rows (cols, rows) and g_cols (rows, cols): the cells in row-line and column-line layout.
    v_row, v_col (rows, cols): initial guess in, node voltages out; (0, 0) arrays start from 0 V
    and keep nothing. work: scratch reused from input to input, the node voltages and Thomas
    right-hand sides in both layouts: row_t, col_t, d_rows (cols, rows); row_f, col_f, d_cols
    (rows, cols).
    """
    row_t, col_t, d_rows, row_f, col_f, d_cols = work
    cols, rows = row_t.shape
    c_rows, inv_rows, c_cols, inv_cols = factors
    keep_nodes = v_row.shape[0] > 0
    if keep_nodes:
        for i in range(rows):
            for j in range(cols):
                row_t[j, i], col_f[rows - 1 - i, j] = v_row[i, j], v_col[i, j]
    else:
        row_t[:], col_f[:] = 0.0, 0.0
    flip_transpose(col_t, col_f, True)
    ground = np.zeros(cols)
    v_scale = 0.0
    for i in range(rows):
        v_scale = max(v_scale, abs(v_in[i]))
    change = np.inf
    sweeps = 0
    driven_lines = 0
    for i in range(rows):
        driven_lines += row_terminal[i] != FLOATING and v_in[i] != 0.0
    while sweeps < max_iter and change > tol * v_scale:
        if sweeps == 0 and not keep_nodes and SPARSE_DRIVE * driven_lines <= rows:  # every column at 0 V
            change = solve_driven_lines(r_wire_row, row_terminal, g_driver, v_in, c_rows, inv_rows, row_t, d_rows)
        else:
            change = solve_lines(g_rows, col_t, r_wire_row, row_terminal, g_driver, v_in, c_rows, inv_rows, row_t,
                                 d_rows)
        flip_transpose(row_t, row_f, False)
        change = max(change, solve_lines(g_cols, row_f, r_wire_col, col_terminal, g_sense, ground, c_cols,
                                         inv_cols, col_f, d_cols))
        flip_transpose(col_t, col_f, True)
        sweeps += 1
    if keep_nodes:
        for i in range(rows):
            for j in range(cols):
                v_row[i, j], v_col[i, j] = row_t[j, i], col_f[rows - 1 - i, j]
    terminal_currents(g_rows, col_t, row_t, r_wire_row, row_terminal, g_driver, v_in, driver_currents)
    terminal_currents(g_cols, row_f, col_f, r_wire_col, col_terminal, g_sense, ground, column_currents)
    for j in range(cols):
        column_currents[j] = -column_currents[j]  # into the sense inputs
    return sweeps, (change / v_scale if v_scale > 0.0 else 0.0)


@njit(cache=True, parallel=True)
def relax_crossbar(g_cell, v_in, row_terminal, col_terminal, r_wire_row, r_wire_col, r_driver, r_sense,
                   tol, max_iter, v_row, v_col, column_currents, driver_currents, iterations, last_change, shares):
    """Node voltages of a batch of crossbar solves by line relaxation, each input independently (parallel).

    g_cell (rows, cols): cell conductance (S) between row node (i, j) and column node (i, j).
    v_in (batch, rows): driver voltages (V); row i's terminal (``row_terminal[i]``) sits at its
    left end (j = 0), column j's (``col_terminal[j]``, held at 0 V) at its bottom (i = rows - 1).
    v_row, v_col (batch, rows, cols): initial guesses in, node voltages out; or (0, rows, cols)
    to start every input from 0 V and keep no node voltages (memory per thread, not per input).
    One iteration solves every row line, then every column line; an input stops when no node
    moved by more than ``tol * max|v_in[b]|``. Writes column_currents (batch, cols) into the
    sense inputs, driver_currents (batch, rows) out of the drivers, iterations (batch,) and
    last_change (batch,): the last iteration's largest node change over max|v_in[b]|.
    The inputs go in ``shares`` contiguous shares (one per thread), each with its own scratch.
    """
    rows, cols = g_cell.shape
    batch = v_in.shape[0]
    g_driver = 1.0 / r_driver if r_driver > 0.0 else 0.0
    g_sense = 1.0 / r_sense if r_sense > 0.0 else 0.0
    g_rows, g_cols = np.empty((cols, rows)), np.empty((rows, cols))
    for i in range(rows):
        for j in range(cols):
            g_rows[j, i], g_cols[rows - 1 - i, j] = g_cell[i, j], g_cell[i, j]
    factors = (np.empty((cols, rows)), np.empty((cols, rows)), np.empty((rows, cols)), np.empty((rows, cols)))
    factor_lines(g_rows, r_wire_row, row_terminal, g_driver, factors[0], factors[1])
    factor_lines(g_cols, r_wire_col, col_terminal, g_sense, factors[2], factors[3])
    keep_nodes = v_row.shape[0] > 0
    shares = max(1, min(batch, shares))
    for share in prange(shares):
        work = (np.empty((cols, rows)), np.empty((cols, rows)), np.empty((cols, rows)),
                np.empty((rows, cols)), np.empty((rows, cols)), np.empty((rows, cols)))
        no_nodes = np.empty((0, 0))
        for b in range(share * batch // shares, (share + 1) * batch // shares):
            if keep_nodes:
                v_row_b, v_col_b = v_row[b], v_col[b]
            else:
                v_row_b, v_col_b = no_nodes, no_nodes
            iterations[b], last_change[b] = relax_one(g_rows, g_cols, factors, v_in[b], row_terminal, col_terminal,
                                                      r_wire_row, r_wire_col, g_driver, g_sense, tol, max_iter,
                                                      v_row_b, v_col_b, work, column_currents[b], driver_currents[b])
