"""Batch inference from Python: classify a folder (or tables) into one predictions file, resumably.

    python infer/classify_folder.py examples/docs --model models/default --out out/predictions.parquet

The same as `stanceframe classify PATH... --model DIR --out FILE`, written out with the library's two public
pieces so it can be copied and changed: ``stanceframe.Classifier`` (a loaded model: unit dicts in, prediction
rows out) and ``stanceframe.inference.classify.classify_paths`` (streams inputs through it into a checkpointed file).
"""

from __future__ import annotations

import argparse
import sys

from stanceframe import Classifier
from stanceframe.inference.classify import classify_paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="documents (.txt), folders, or tables (.jsonl/.csv/.parquet)")
    parser.add_argument("--model", default="models/default", help="trained model directory")
    parser.add_argument("--out", required=True, help="output file: .jsonl, .csv or .parquet")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run of the same job")
    args = parser.parse_args(argv)
    classifier = Classifier(args.model)  # precision "auto": the fastest this model accepts on this CPU
    counts = classify_paths(args.paths, classifier, args.out, resume=args.resume)
    print(counts.closing_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
