"""Classify a few texts in memory and print stance and frames: the smallest use of the Python API.

    python infer/classify_texts.py --model models/default "US poodle." "Beijing firmly opposes the deal."
"""

from __future__ import annotations

import argparse

from stanceframe import Classifier


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("texts", nargs="+", help="texts to classify (each one unit)")
    parser.add_argument("--model", default="models/default", help="trained model directory")
    parser.add_argument("--kind", default="paragraph", choices=["headline", "paragraph", "comment"])
    args = parser.parse_args(argv)
    for row in Classifier(args.model).predict_texts(args.texts, kind=args.kind):
        print(f"{row['stance']:<18} {', '.join(row['frames']) or '-':<50} {row['text'][:60]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
