"""Peak memory of `stanceframe classify` as the input grows (it should not grow with it).

    python benchmarks/memory.py --model models/default --sizes 20000 200000

Each size runs in a fresh process over a JSONL table of team-written units; the table prints
peak RSS and the RSS sampled at the quarters of the run, which stay level when memory is flat.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RssSampler, peak_rss_mb, write_unit_table  # noqa: E402

from stanceframe.precision import PRECISIONS  # noqa: E402


def run(model: str, table: Path, out: Path, precision: str) -> dict:
    from stanceframe import Classifier
    from stanceframe.inference.classify import classify_paths

    with RssSampler(interval=1.0) as sampler:
        classifier = Classifier(model, precision=precision)
        start = time.perf_counter()
        counts = classify_paths([str(table)], classifier, out, progress=False)
        seconds = time.perf_counter() - start
    samples = [rss for _, rss in sampler.samples]
    quarters = [samples[min(len(samples) - 1, int(len(samples) * q))] for q in (0.25, 0.5, 0.75)] + [samples[-1]]
    return {"precision": classifier.precision, "units": counts.classified, "seconds": seconds, "units_per_s": counts.classified / seconds,
            "peak_rss_mb": peak_rss_mb(), "rss_quarters_mb": quarters}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="models/default")
    parser.add_argument("--sizes", type=int, nargs="+", default=[20000, 200000])
    parser.add_argument("--precision", default="auto", choices=PRECISIONS)
    parser.add_argument("--json", help="write the results here too")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.run:
        print(json.dumps(run(args.model, Path(args.run), Path(args.out), args.precision)))
        return
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            table = write_unit_table(Path(tmp) / f"units_{size}.jsonl", size)
            proc = subprocess.run([sys.executable, __file__, "--run", str(table), "--out", f"{tmp}/out_{size}.parquet",
                                   "--model", args.model, "--precision", args.precision],
                                  capture_output=True, text=True, check=True)
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            (Path(tmp) / f"out_{size}.parquet").unlink()
            table.unlink()
    print(f"\nclassify memory on {os.cpu_count()} cores, {results[0]['precision']}, model {args.model}, Parquet output\n")
    print(f"{'units':>8} {'units/s':>8} {'peak RSS MB':>12}   RSS at 25/50/75/100% of the run (MB)")
    for r in results:
        print(f"{r['units']:>8} {r['units_per_s']:8.1f} {r['peak_rss_mb']:12.0f}   "
              + " / ".join(f"{x:.0f}" for x in r["rss_quarters_mb"]))
    if args.json:
        Path(args.json).write_text(json.dumps({"cores": os.cpu_count(), "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
