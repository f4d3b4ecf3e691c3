import matplotlib
import numpy as np
import pytest

from imc.chip import ChipConfig, run_chip
from imc.chip.result import _binned_energy

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def result(sram):
    array, plan, x = sram
    return run_chip(plan, array, x, ChipConfig(), 40)


def test_binned_energy_spreads_each_event_over_its_duration():
    edges = np.array([0.0, 1.0, 2.0, 3.0])
    binned = _binned_energy(np.array([0.5, 1.0, 2.5]), np.array([1.5, 3.0, 2.5]), np.array([2.0, 4.0, 1.0]), edges)
    # [0.5, 1.5] puts 1 J in each of the first two bins, [1, 3] 2 J in each of the last two, the instant one 1 J
    assert binned == pytest.approx([1.0, 3.0, 3.0])


def test_latency_statistics_and_throughput_definitions(result):
    latency = result.completions_s - result.arrivals_s
    stats = result.latency_stats()
    assert stats["first"] == latency[0] and stats["median"] == pytest.approx(np.median(latency))
    assert stats["p99"] == pytest.approx(np.percentile(latency, 99))
    done = np.sort(result.completions_s)
    assert result.throughput_inf_per_s == pytest.approx(20 / (done[30] - done[10]))


def test_utilisation_is_busy_time_over_capacity_and_simulated_time(result):
    units = result.units
    assert result.utilisation.to_dict() == pytest.approx(
        (units["busy_s"] / (units["capacity"] * result.makespan_s)).to_dict())
    assert ((result.utilisation >= 0) & (result.utilisation <= 1 + 1e-12)).all()
    arrays = result.utilisation[units["kind"] == "array"]
    assert result.utilisation_by_kind["array"] == pytest.approx(arrays.mean())
    assert set(result.utilisation_by_kind.index) == {"array", "adc_bank", "digital", "buffer_port", "link", "offchip"}


def test_time_lost_and_bottleneck(result):
    lost = result.time_lost_s
    assert list(lost.columns) == ["inputs", "resources", "space"] and (lost.to_numpy() >= 0).all()
    # the three layers share PE 0's digital unit: the later ones wait for it
    assert lost.loc["dense2", "resources"] > 0
    assert result.bottleneck in ("dense0", "dense1")


def test_summary_carries_the_headline_numbers(result):
    summary = result.summary()
    assert summary["inferences"] == 40 and summary["latency_first_s"] == result.latencies_s[0]
    assert summary["energy_per_inference_j"] == result.energy_per_inference_j and summary["events"] == result.events


def test_plots_draw_on_the_given_axes(result):
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(3, 1)
    assert result.plot_timeline(2, axes[0]) is axes[0] and len(axes[0].collections) == 7
    assert result.plot_utilisation(axes[1]) is axes[1] and len(axes[1].patches) >= len(result.units)
    assert result.plot_power(20, axes[2]) is axes[2]
    plt.close(fig)
