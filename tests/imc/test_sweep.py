import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import matplotlib
import numpy as np
import pandas as pd
import pytest

import imc
import imc.sweeps
from imc.errors import ParameterError
from imc.sweeps import Adaptive, Sample, apply, expand, load_sweep, pareto_front, run
from imc.sweeps.store import Store

matplotlib.use("Agg")

ADC = {"array.adc.bits": [4, 6]}
VOLATILE = ["runtime_s"]  # the only column that may differ between runs of the same sweep


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.drop(columns=VOLATILE), b.drop(columns=VOLATILE))


@pytest.fixture(scope="module")
def adc_sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("adc")
    return out, imc.sweep(None, ADC, chips=4, out=out, workers=1)


@pytest.fixture
def count_tasks(monkeypatch):
    """(point key or config, start, stop) of every chip range the threads executor runs."""
    calls = []
    real = run.run_chips

    def counted(config, start, stop, costs=True, **options):
        calls.append((config["array"]["adc"]["bits"], start, stop))
        return real(config, start, stop, costs, **options)

    monkeypatch.setattr(run, "run_chips", counted)
    return calls


# grids

def test_cartesian_grid_is_every_combination_last_path_fastest():
    points = expand({"array": {"adc": {"bits": [4, 6]}}, "array.rows": [128, 256, 512]})
    assert points == [{"array.adc.bits": b, "array.rows": r} for b in (4, 6) for r in (128, 256, 512)]


def test_listed_points_flatten_nested_tables_and_unwrap_numpy():
    points = expand([{"array": {"kind": "resistive"}}, {"array.adc.bits": np.int64(5)}])
    assert points == [{"array.kind": "resistive"}, {"array.adc.bits": 5}]
    assert type(points[1]["array.adc.bits"]) is int


def test_sample_is_reproducible_in_range_and_integer_for_integer_bounds():
    sample = Sample({"array.adc.bits": (3, 8), "conditions.time_s": (1.0, 1e8)}, n=32, seed=3,
                    log=["conditions.time_s"])
    points = sample.points()
    assert points == Sample(sample.ranges, n=32, seed=3, log=["conditions.time_s"]).points()
    bits = [p["array.adc.bits"] for p in points]
    times = np.array([p["conditions.time_s"] for p in points])
    assert all(type(b) is int for b in bits) and set(bits) == set(range(3, 9))
    assert times.min() >= 1.0 and times.max() < 1e8
    assert np.sum(times < 1e4) == 16  # log-uniform Latin hypercube: half the points in each half decade range


@pytest.mark.parametrize("grid, message", [
    ({"array.adc.bits": []}, "grid['array.adc.bits'] = []: must be a non-empty list"),
    ({"array.adc.bits": 4}, "grid['array.adc.bits'] = 4: must be a non-empty list"),
    ({"chips": [4, 8]}, "grid key = 'chips': chips and seed are set by the sweep"),
    ([{"seed": 1}], "grid key = 'seed'"),
    ({}, "grid = {}: must name at least one"),
    ("array.adc.bits", "grid = 'array.adc.bits': must be a dict"),
    ({"array.adc.bits": [object()]}, "grid['array.adc.bits'] = <object"),
])
def test_bad_grids_name_the_path(grid, message):
    with pytest.raises(ParameterError) as info:
        expand(grid)
    assert message in str(info.value)


@pytest.mark.parametrize("kwargs, message", [
    ({"n": 6, "method": "sobol"}, "sample.n = 6: Sobol' points keep their balance only in powers of 2"),
    ({"n": 4, "method": "grid"}, "sample.method = 'grid': allowed: ['lhs', 'sobol', 'halton']"),
    ({"n": 4, "log": ["conditions.time_s"]}, "sample.ranges['conditions.time_s'] = (0.0, 1.0): a log-uniform range needs low > 0"),
    ({"n": 0}, "sample.n = 0: must be an integer in [1, 1000000]"),
])
def test_bad_samples_name_the_field(kwargs, message):
    with pytest.raises(ParameterError) as info:
        Sample({"conditions.time_s": (0.0, 1.0)}, **kwargs)
    assert message in str(info.value)


def test_a_new_kind_starts_its_table_from_that_models_defaults():
    base = imc.config.to_dict(imc.load_config())
    changed = apply(base, {"array.kind": "resistive", "array.adc.bits": 5, "array.device.kind": "skyrmion"})
    config = imc.load_config(changed)
    assert type(config.array).__name__ == "ResistiveArray" and config.array.adc.bits == 5
    assert type(config.array.device).__name__ == "SkyrmionRacetrack"
    assert apply(base, {"array.kind": "sram", "array.rows": 128})["array"]["v_wl_v"] == base["array"]["v_wl_v"]
    node = imc.load_config(apply(base, {"array.device.node": "22nm"})).array.device
    assert node == imc.load_config({"array": {"device": {"node": "22nm"}}}).array.device


@pytest.mark.parametrize("grid, message", [
    ({"array.adc.bitz": [4]}, "array.adc.bitz = 4: unknown key; allowed keys for ColumnADC"),
    ({"array.adc.bits": [6, 40]}, "array.adc.bits = 40: must be an integer in [1, 16] (design point {'array.adc.bits': 40})"),
    ({"array.rows.x": [1]}, "array.rows.x = 1: array.rows is 256, not a table, so it has no field 'x'"),
])
def test_bad_design_points_are_refused_before_anything_runs(tmp_path, grid, message):
    with pytest.raises(ParameterError) as info:
        imc.sweep(None, grid, chips=2, out=tmp_path / "s")
    assert message in str(info.value)
    assert not (tmp_path / "s").exists()


# numbers

def test_a_point_is_the_simulation_of_its_design(adc_sweep):
    _, frame = adc_sweep
    report = imc.simulate({"chips": 4, "array": {"adc": {"bits": 4}}}, workers=1)
    row = frame[frame["array.adc.bits"] == 4].iloc[0].to_dict()
    expected = report.to_record()
    assert {k: row[k] for k in expected if k != "runtime_s"} == {k: v for k, v in expected.items() if k != "runtime_s"}
    assert list(frame.columns[:2]) == ["array.adc.bits", "point"] and len(frame) == 2


def test_points_share_chip_seeds_so_a_cost_only_change_leaves_every_chip_alike():
    chips = imc.sweep(None, {"array.adc.f_clk_hz": [4.5e8, 9e8]}, chips=3, per_chip=True, workers=1)
    first, second = (group["accuracy"].to_numpy() for _, group in chips.groupby("array.adc.f_clk_hz"))
    assert np.array_equal(first, second) and first.std() > 0
    assert list(chips.columns) == ["array.adc.f_clk_hz", "point", "chip", "accuracy"]


def test_per_chip_rows_agree_with_the_summary(adc_sweep):
    out, frame = adc_sweep
    chips = imc.sweep(None, ADC, chips=4, out=out, per_chip=True)
    means = chips.groupby("point", sort=False)["accuracy"].mean()
    assert means.to_dict() == pytest.approx(frame.set_index("point")["accuracy_mean"].to_dict(), abs=1e-15)
    assert chips["chip"].tolist() == [0, 1, 2, 3] * 2


# the store

def test_rerun_computes_nothing_and_returns_identical_numbers(adc_sweep, count_tasks):
    out, frame = adc_sweep
    again = imc.sweep(None, ADC, chips=4, out=out)
    pd.testing.assert_frame_equal(again, frame)  # runtime included: it is stored with the point
    assert count_tasks == []
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"), frame)


def test_an_extended_grid_computes_only_the_new_values(adc_sweep, tmp_path, count_tasks):
    out, frame = adc_sweep
    store = tmp_path / "copy"
    import shutil
    shutil.copytree(out, store)
    extended = imc.sweep(None, {"array.adc.bits": [4, 5, 6]}, chips=4, out=store, workers=1)
    assert count_tasks == [(5, 0, 4)]
    same(extended[extended["array.adc.bits"] != 5].reset_index(drop=True), frame)


def test_more_chips_extend_a_stored_point_with_only_the_new_chips(tmp_path, count_tasks):
    imc.sweep(None, {"array.adc.bits": [4]}, chips=3, out=tmp_path / "s", workers=1)
    grown = imc.sweep(None, {"array.adc.bits": [4]}, chips=5, out=tmp_path / "s", workers=1)
    fresh = imc.sweep(None, {"array.adc.bits": [4]}, chips=5, workers=1)
    assert count_tasks == [(4, 0, 3), (4, 3, 5), (4, 0, 5)]
    same(grown, fresh)
    fewer = imc.sweep(None, {"array.adc.bits": [4]}, chips=2, out=tmp_path / "s", workers=1, per_chip=True)
    assert fewer["accuracy"].tolist() == imc.simulate({"chips": 2, "array": {"adc": {"bits": 4}}}).chip_accuracy.tolist()


@pytest.mark.parametrize("base, seed, changed", [
    ({"array": {"rows": 128}}, None, "array.rows 256 -> 128"),
    (None, 7, "seed 0 -> 7"),
])
def test_a_store_of_another_base_design_is_refused(adc_sweep, base, seed, changed):
    out, _ = adc_sweep
    with pytest.raises(ParameterError) as info:
        imc.sweep(base, ADC, chips=4, seed=seed, out=out)
    assert f"out = '{out}': holds a sweep of another base design ({changed})" in str(info.value)


def test_a_directory_that_is_not_a_store_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ParameterError, match="exists and is not an imc sweep store"):
        imc.sweep(None, ADC, chips=2, out=tmp_path)


def test_points_are_parquet_files_with_their_params_and_no_temporary_files_remain(adc_sweep):
    out, frame = adc_sweep
    files = sorted((out / "points").iterdir())
    assert [f.name for f in files] == sorted(f"{key}.parquet" for key in frame["point"])
    chips = pd.read_parquet(files[0])
    assert list(chips.columns) == ["chip", "accuracy"] and len(chips) == 4
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["base"]["array"]["adc"]["bits"] == 8 and "chips" not in manifest["base"]
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    assert Store(out, manifest["base"]).get(frame["point"][0]).chip_accuracy.size == 4


# executors

def test_worker_counts_and_executors_give_identical_numbers(adc_sweep):
    _, frame = adc_sweep
    same(imc.sweep(None, ADC, chips=4, workers=2), frame)
    same(imc.sweep(None, ADC, chips=4, workers=2, executor="processes"), frame)


def test_a_dask_cluster_gives_identical_numbers(adc_sweep):
    from dask.distributed import Client, LocalCluster

    _, frame = adc_sweep
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster, Client(cluster) as client:
        same(imc.sweep(None, ADC, chips=4, executor="dask", scheduler=client), frame)
        one_point = imc.sweep(None, {"array.adc.bits": [4]}, chips=4, executor="dask", scheduler=cluster.scheduler_address)
    same(one_point, frame.iloc[:1])


@pytest.mark.parametrize("kwargs, message", [
    ({"executor": "mpi"}, "executor = 'mpi': allowed: ['threads', 'processes', 'dask']"),
    ({"scheduler": "tcp://x:1"}, "scheduler = 'tcp://x:1': a Dask scheduler needs executor = 'dask'"),
    ({"workers": 0}, "workers = 0: must be an integer >= 1"),
    ({"chips": 0}, "chips = 0: must be an integer in [1, 100000]"),
    ({"yield_target": 95}, "yield_target = 95: must be an accuracy in [0, 1]"),
    ({"adaptive": Adaptive(width=0.01, max_chips=2)}, "adaptive.max_chips = 2: must be at least the chips each point starts from (4)"),
])
def test_bad_sweep_arguments_name_the_argument(kwargs, message):
    with pytest.raises(ParameterError) as info:
        imc.sweep(None, ADC, **{"chips": 4, **kwargs})
    assert message in str(info.value)


# Monte-Carlo answers

def test_adaptive_mode_adds_chips_until_the_interval_is_narrow_enough_or_the_budget_is_spent():
    adaptive = Adaptive(width=0.006, max_chips=24)
    frame = imc.sweep(None, {"array.adc.bits": [4, 8]}, chips=4, adaptive=adaptive, workers=2)
    for _, row in frame.iterrows():
        width = row["accuracy_mean_high"] - row["accuracy_mean_low"]
        assert row["converged"] == (width <= 0.006)
        assert row["converged"] or row["chips"] == 24
        report = imc.simulate({"chips": int(row["chips"]), "array": {"adc": {"bits": int(row["array.adc.bits"])}}})
        assert row["accuracy_mean"] == report.accuracy_stats()["mean"]
    assert frame["chips"].gt(4).any()
    same(imc.sweep(None, {"array.adc.bits": [4, 8]}, chips=4, adaptive=adaptive, workers=1), frame)


def test_yield_target_sets_the_yield_columns(adc_sweep):
    out, _ = adc_sweep
    frame = imc.sweep(None, ADC, chips=4, out=out, yield_target=0.0)
    assert frame["yield"].tolist() == [1.0, 1.0] and frame["yield_target"].tolist() == [0.0, 0.0]


# pictures

def test_pareto_front_keeps_exactly_the_undominated_points():
    frame = pd.DataFrame({"energy_per_inference_j": [1.0, 2.0, 3.0, 2.5, 1.0],
                          "accuracy_mean": [0.90, 0.95, 0.97, 0.94, 0.89]})
    assert pareto_front(frame).tolist() == [True, True, True, False, False]


def test_plots_draw_from_the_frame(adc_sweep):
    import matplotlib.pyplot as plt

    out, frame = adc_sweep
    chips = imc.sweep(None, ADC, chips=4, out=out, per_chip=True)
    fig, axes = plt.subplots(1, 4)
    ax = imc.sweeps.plot_metric(frame, "array.adc.bits", ax=axes[0])
    assert len(ax.lines) == 2 and len(ax.collections) == 1  # mean line, software line, 95 % band
    ax = imc.sweeps.plot_pareto(frame, label="array.adc.bits", ax=axes[1])
    assert len(ax.lines[0].get_xdata()) == int(pareto_front(frame).sum())
    grid = frame.assign(rows=[128, 256])
    ax = imc.sweeps.plot_heatmap(grid, "array.adc.bits", "rows", ax=axes[2])
    assert ax.images[0].get_array().shape == (2, 2)
    ax = imc.sweeps.plot_yield(chips, by="array.adc.bits", ax=axes[3])
    assert len(ax.lines) == 2
    with pytest.raises(ParameterError, match="column = 'nope': not a column"):
        imc.sweeps.plot_metric(frame, "nope")
    plt.close(fig)


# the command line

def run_cli(*args):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "imc", *args], capture_output=True, text=True, env=env,
                          cwd=tempfile.gettempdir())


GRID = 'chips = 4\n[grid]\narray.adc.bits = [4, 6]\n'


def test_cli_sweep_prints_the_table_and_resumes(tmp_path, adc_sweep, capsys):
    from imc.cli import main

    (tmp_path / "g.toml").write_text(GRID)
    assert main(["sweep", str(tmp_path / "g.toml"), "--out", str(tmp_path / "s"), "-q"]) == 0
    printed = capsys.readouterr().out
    assert "acc mean %" in printed and "2 design points" in printed
    same(pd.read_parquet(tmp_path / "s" / "results.parquet"), adc_sweep[1])


@pytest.mark.parametrize("toml, message", [
    ('[grid]\n"array.adc.bits" = [4]\n[[points]]\n"array.rows" = 128\n', "grid = ['grid', 'points']: a sweep file needs exactly one of"),
    ('chipz = 3\n[grid]\n"array.rows" = [128]\n', "chipz = 3: unknown key; allowed keys of a sweep file"),
    ('[sample]\nn = 4\nsize = 2\n', "sample.size = 2: unknown key; allowed keys of [sample]: ['ranges', 'n',"),
    ('[sample]\nn = 4\n', "sample = {'n': 4}: needs the keys ['ranges']"),
    ('[grid]\n"array.rows" = [128]\n[adaptive]\nwidth = 2.0\n', "adaptive.width = 2.0: must be a fraction in (0, 1)"),
    ('base = "absent.toml"\n[grid]\n"array.rows" = [128]\n', "absent.toml': file not found"),
])
def test_cli_bad_sweep_files_exit_2_naming_the_key(tmp_path, toml, message, capsys):
    from imc.cli import main

    (tmp_path / "g.toml").write_text(toml)
    assert main(["sweep", str(tmp_path / "g.toml"), "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_cli_bad_grid_key_exits_2_without_traceback(tmp_path):
    (tmp_path / "g.toml").write_text('[grid]\n"array.adc.bitz" = [4]\n')
    result = run_cli("sweep", str(tmp_path / "g.toml"), "--out", str(tmp_path / "s"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "imc: error: array.adc.bitz = 4: unknown key; allowed keys for ColumnADC: ['bits', 'architecture', "
        "'full_scale', 'sigma_offset_lsb', 'sigma_gain_rel', 'inl_lsb', 'sigma_dnl_lsb', 'columns_per_adc', "
        "'fom_j_per_step', 'fom_enob', 'fom_schreier_db', 'e_fixed_j', 'vdd_v', 'fom_vdd_v', 'f_clk_hz', "
        "'area_per_level_m2', 'area_node_m', 'node_m', 'comparator'] (design point {'array.adc.bitz': 4})"]


def test_load_sweep_reads_base_sample_and_adaptive(tmp_path):
    (tmp_path / "d.toml").write_text("[array]\nrows = 128\n")
    (tmp_path / "g.toml").write_text('base = "d.toml"\nseed = 2\n[sample]\nn = 4\n[sample.ranges]\n'
                                     'array.adc.bits = [3, 8]\n[adaptive]\nwidth = 0.01\nstatistic = "yield"\n')
    spec = load_sweep(tmp_path / "g.toml")
    assert spec.base == str(tmp_path / "d.toml") and spec.seed == 2
    assert spec.grid == Sample({"array.adc.bits": [3, 8]}, n=4) and spec.adaptive == Adaptive(0.01, statistic="yield")


KILL_GRID = 'chips = 4\n[grid]\narray.adc.bits = [3, 4, 5, 6, 7, 8]\n'


def wait_for_a_point(out, alive, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while not list((out / "points").glob("*.parquet")):
        assert alive() and time.monotonic() < deadline, "the sweep ended before its first point"
        time.sleep(0.01)


@pytest.fixture(scope="module")
def uninterrupted():
    return imc.sweep(None, {"array.adc.bits": [3, 4, 5, 6, 7, 8]}, chips=4, workers=2)


def resume_and_compare(grid, out, kept, uninterrupted) -> None:
    from imc.cli import main

    assert 1 <= len(kept) < 6
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    assert main(["sweep", str(grid), "--out", str(out), "-j", "2", "-q"]) == 0
    assert all((out / "points" / name).read_bytes() == data for name, data in kept.items())  # not recomputed
    same(pd.read_parquet(out / "results.parquet"), uninterrupted)


def test_a_killed_sweep_resumes_losing_only_unfinished_points(tmp_path, uninterrupted):
    grid, out = tmp_path / "g.toml", tmp_path / "s"
    grid.write_text(KILL_GRID)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    process = subprocess.Popen([sys.executable, "-m", "imc", "sweep", str(grid), "--out", str(out), "-j", "1", "-q"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tempfile.gettempdir())
    wait_for_a_point(out, lambda: process.poll() is None)
    process.kill()
    process.wait(timeout=60)
    resume_and_compare(grid, out, {p.name: p.read_bytes() for p in (out / "points").glob("*.parquet")}, uninterrupted)


def test_sigterm_stops_a_sweep_keeping_its_finished_points(tmp_path, capsys, uninterrupted):
    from imc.cli import main

    grid, out = tmp_path / "g.toml", tmp_path / "s"
    grid.write_text(KILL_GRID)
    main_thread, before = threading.main_thread(), signal.getsignal(signal.SIGTERM)
    watcher = threading.Thread(target=lambda: (wait_for_a_point(out, main_thread.is_alive),
                                               os.kill(os.getpid(), signal.SIGTERM)))
    watcher.start()
    assert main(["sweep", str(grid), "--out", str(out), "-j", "1", "-q"]) == 130
    watcher.join()
    assert "imc: interrupted: finished points are kept in" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGTERM) is before  # the CLI's handler is gone
    resume_and_compare(grid, out, {p.name: p.read_bytes() for p in (out / "points").glob("*.parquet")}, uninterrupted)
