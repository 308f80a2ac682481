"""Shared helpers of the benchmark scripts: realistic unit tables and memory readings."""

from __future__ import annotations

import glob
import json
import resource
import threading
import time
from pathlib import Path

DEFAULT_SOURCES = ("labels/data/*.jsonl", "examples/gold.jsonl")


def team_units(sources=DEFAULT_SOURCES) -> list[dict]:
    """Units written by the team (the corpus and the bundled examples): text and kind."""
    units = []
    for pattern in sources:
        for path in sorted(glob.glob(pattern)):
            with open(path, encoding="utf-8") as handle:
                units.extend({"text": r["text"], "kind": r.get("kind", "paragraph")}
                             for r in map(json.loads, handle) if r.get("text"))
    if not units:
        raise SystemExit("no team-written units found (run from the repository root)")
    return units


def write_unit_table(path: Path, n: int, sources=DEFAULT_SOURCES) -> Path:
    """A JSONL table of ``n`` units cycling through the team's units, with unique ids."""
    units = team_units(sources)
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(n):
            unit = units[i % len(units)]
            handle.write(json.dumps({"id": f"u{i:07d}", "doc_id": f"d{i // 20:06d}", "kind": unit["kind"],
                                     "text": unit["text"]}, ensure_ascii=False) + "\n")
    return path


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class RssSampler:
    """Samples the resident set size every ``interval`` seconds in a background thread."""

    def __init__(self, interval: float = 1.0):
        self.interval, self.samples, self._stop = interval, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        start = time.time()
        while not self._stop.is_set():
            self.samples.append((time.time() - start, current_rss_mb()))
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def real_gold_or_skip(path: str | Path) -> Path | None:
    """The real gold file a benchmark scores on, or None after printing the "skipped" line (exit 0 then):
    realdev2 is read from ../shared at run time and is absent from a bare clone."""
    path = Path(path)
    if path.is_file():
        return path
    print(f"skipped: {path} not found (the real gold units live in ../shared beside the clone; pass --gold)")
    return None
