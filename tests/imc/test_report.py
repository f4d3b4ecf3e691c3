import json

import numpy as np
import pytest

import imc
from imc.report import wilson_interval


@pytest.fixture(scope="module")
def report():
    return imc.simulate({"chips": 8, "seed": 1})


def test_wilson_interval_known_values():
    # 8 successes of 10, z = 1.96: centre 0.7167, half-width 0.2266, worked by hand from the closed form
    low, high = wilson_interval(8, 10)
    assert (low, high) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    assert wilson_interval(0, 20)[0] == 0.0 and wilson_interval(20, 20)[1] == pytest.approx(1.0)


def test_report_statistics_match_per_chip_accuracies(report):
    a = report.chip_accuracy
    s = report.accuracy_stats()
    assert a.shape == (8,)
    assert (s["mean"], s["min"], s["max"]) == pytest.approx((a.mean(), a.min(), a.max()))
    assert s["std"] == pytest.approx(a.std(ddof=1))
    y = report.yield_at(report.software_accuracy - 0.01)
    assert y["yield"] == pytest.approx(np.mean(a >= report.software_accuracy - 0.01 - 1e-12))
    assert y["low"] <= y["yield"] <= y["high"]


def test_report_energy_and_json_agree(report):
    d = json.loads(report.to_json())
    assert d["energy_per_inference_j"] == pytest.approx(report.energy_j.to_numpy().sum())
    assert sum(d["energy_by_component_j"].values()) == pytest.approx(d["energy_per_inference_j"])
    assert d["accuracy"]["per_chip"] == report.chip_accuracy.tolist()
    assert d["n_arrays"] == 7 and d["macs_per_inference"] == 256 * 256 + 256 * 128 + 128 * 10


def test_save_writes_json_tables_and_plots(report, tmp_path):
    paths = report.save(tmp_path / "out")
    assert {p.name for p in paths} == {"report.json", "chips.csv", "energy.csv", "mapping.csv",
                                       "accuracy.png", "energy.png"}
    assert all(p.stat().st_size > 0 for p in paths)
    assert (tmp_path / "out" / "accuracy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len((tmp_path / "out" / "chips.csv").read_text().splitlines()) == 9


def test_table_shows_the_headline_numbers(report):
    table = report.format_table()
    assert f"{100 * report.software_accuracy:6.2f} %" in table
    assert "TOPS/W" in table and "adc" in table and "dense0" in table


def test_record_is_the_flat_row_of_the_report(report):
    record = report.to_record()
    stats, y = report.accuracy_stats(), report.yield_at(report.default_yield_target)
    assert {k: record[f"accuracy_{k}"] for k in stats} == stats
    assert (record["yield"], record["yield_low"], record["yield_high"]) == (y["yield"], y["low"], y["high"])
    components = {k: v for k, v in record.items() if k.startswith("energy_") and k != "energy_per_inference_j"}
    assert set(components) == {f"energy_{c}_j" for c in report.energy_j.columns}
    assert sum(components.values()) == pytest.approx(record["energy_per_inference_j"], rel=1e-12)
    assert record["chips"] == 8 and record["n_arrays"] == 7 and record["runtime_s"] == report.runtime_s
    assert all(isinstance(v, (int, float)) for v in record.values())


def test_record_mean_interval_is_the_student_t_interval(report):
    # t(0.975, 7) = 2.364624, from the t table
    record, a = report.to_record(), report.chip_accuracy
    half = 2.364624 * a.std(ddof=1) / np.sqrt(8)
    assert (record["accuracy_mean_low"], record["accuracy_mean_high"]) == pytest.approx((a.mean() - half, a.mean() + half), abs=1e-7)
    assert report.to_record(yield_target=0.0)["yield"] == 1.0


def test_report_loads_back_from_its_json(report):
    from imc.report import Report

    loaded = Report.from_dict(json.loads(report.to_json()))
    assert loaded.to_json() == report.to_json() and loaded.to_record() == report.to_record()
    assert list(loaded.energy_j.columns) == list(report.energy_j.columns) and loaded.energy_j.index.name == "layer"
