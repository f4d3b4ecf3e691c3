"""The engine's limits (issue 16, points 2 and 4): the chips in flight are bounded by memory without
changing any result, and an interrupt drops the queued chips and says how many finished."""

import threading
import time

import numpy as np
import pytest

from imc import engine
from imc.arrays import ColumnADC, SRAMArray
from imc.errors import Interrupted
from imc.mapping import map_layers
from imc.nn import zoo
from imc.nn.data import load_digits


@pytest.fixture(scope="module")
def design():
    model, _ = zoo.load("bnn_mlp_digits")
    data = load_digits()
    array = SRAMArray(adc=ColumnADC(bits=8, sigma_offset_lsb=0.3))
    return map_layers(model.ops, array.geometry()), array, model.encode(data.x_test[:60]), data.y_test[:60]


def test_a_larger_adc_with_inl_tables_needs_more_memory_per_chip(design):
    plan, array, _, _ = design
    tables = SRAMArray(adc=ColumnADC(bits=12, inl_lsb=1.0, sigma_dnl_lsb=0.2))
    assert engine.chip_bytes(tables, plan, True) > 10 * engine.chip_bytes(array, plan, True)


def test_bounding_the_chips_in_flight_by_memory_changes_no_result(design, monkeypatch):
    plan, array, x, y = design
    free = engine.chip_accuracies(plan, array, x, y, seed=3, chips=6, workers=2)
    per_chip = engine.chip_bytes(array, plan, True)
    monkeypatch.setattr(engine, "available_bytes", lambda: int(2.5 * per_chip / engine.MEMORY_FRACTION))
    assert engine.chips_in_flight(array, plan, True) == 2
    np.testing.assert_array_equal(engine.chip_accuracies(plan, array, x, y, seed=3, chips=6, workers=2), free)


def test_an_interrupt_raises_interrupted_with_the_chips_finished(design, monkeypatch):
    plan, array, x, y = design

    class Bar:  # the progress bar the engine updates after each chunk: Ctrl-C arrives on the second
        def __init__(self, *args):
            self.updates = 0

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def update(self, n):
            self.updates += 1
            if self.updates == 2:
                raise KeyboardInterrupt

    monkeypatch.setattr(engine, "progress_bar", Bar)
    with pytest.raises(Interrupted, match=r"interrupted after 4 of 40 chips"):
        engine.chip_accuracies(plan, array, x, y, seed=0, chips=40, chunk=2, workers=1)


def test_once_stopped_queued_chunks_are_dropped_and_the_caller_is_not_held_up():
    started, stop = [], threading.Event()

    def work(start):
        started.append(start)
        time.sleep(0.05)
        return start

    chunks = engine.run_chunks(work, range(100), 2, stop)
    next(chunks)
    stop.set()
    time.sleep(0.2)
    assert len(started) <= 4  # the two running when stopped, at most one more each before they saw it
