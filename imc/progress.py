"""Progress of long runs on stderr: a tqdm bar on a terminal; elsewhere (a log file, CI, a pipe),
where a bar's carriage returns pile up, one plain line every `LINE_INTERVAL_S` seconds and one at
the end, so a batch job's log shows how far it got."""

from __future__ import annotations

import sys
import time

from tqdm.auto import tqdm

LINE_INTERVAL_S = 5.0


class LineProgress:
    """A counter printing ``imc: DESC n/total (t s)`` at most every ``interval_s`` and on close;
    used like a tqdm bar (``update``, a context manager)."""

    def __init__(self, total: int | None, desc: str, initial: int = 0, interval_s: float = LINE_INTERVAL_S):
        self.total, self.desc, self.interval_s = total, desc, interval_s
        self.n, self.started = initial, time.monotonic()
        self.printed = self.started

    def update(self, n: int = 1) -> None:
        self.n += n
        self.refresh()

    def refresh(self) -> None:
        """Print the count if the last line is ``interval_s`` old."""
        if time.monotonic() - self.printed >= self.interval_s:
            self._print()

    def _print(self) -> None:
        self.printed = time.monotonic()
        print(f"imc: {self.desc} {self.n}/{self.total} ({self.printed - self.started:.0f} s)",
              file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.n:
            self._print()

    def __enter__(self) -> "LineProgress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def progress_bar(total: int | None, desc: str, unit: str, enabled: bool, initial: int = 0):
    """A progress counter over ``total`` ``unit``s (None: not known yet; ``total`` may grow) from
    ``initial``: nothing unless ``enabled``; a tqdm bar when stderr is a terminal, `LineProgress`
    lines otherwise."""
    if enabled and not sys.stderr.isatty():
        return LineProgress(total, desc, initial)
    return tqdm(total=total, desc=desc, unit=unit, disable=not enabled, initial=initial)


def progress_iter(items, desc: str, unit: str, enabled: bool):
    """The elements of ``items``, counted on a `progress_bar` as they are consumed."""
    items = list(items)
    with progress_bar(len(items), desc, unit, enabled) as bar:
        for item in items:
            yield item
            bar.update(1)


def stage(message: str, enabled: bool) -> None:
    """Announce a stage of a run (loading, the cost model, the chip engine) when ``enabled``."""
    if enabled:
        print(f"imc: {message}", file=sys.stderr, flush=True)
