"""Throughput of `stanceframe classify` (fp32, int8, bf16) against the transformers pipeline, on one model.

    python benchmarks/throughput.py --model models/default --units 5000

Each method runs in its own process (so its peak RSS is its own) over the same table of
team-written units. The pipeline gets the same encoder and stance head in a stock
`BertForSequenceClassification`, so the comparison is of inference machinery, not of models.
The issue's goals are against the pipeline at its defaults (fp32) and with batch_size=32;
pipeline_batch32_bf16 shows how much of the gain a pipeline user gets by asking for bfloat16 too.
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
from common import peak_rss_mb, write_unit_table  # noqa: E402

METHODS = ("classify_fp32", "classify_int8", "classify_bf16", "pipeline_default", "pipeline_batch32",
           "pipeline_batch32_bf16")
GOAL_BASELINES = ("pipeline_default", "pipeline_batch32")  # the ratios; the bf16 pipeline is for reference


def hf_sequence_classifier(model_dir: str, out_dir: Path) -> Path:
    """The model's encoder and stance head as a stock HF sequence-classification model (CLS pooling)."""
    from transformers import AutoModelForSequenceClassification

    from stanceframe.modeling import load_model

    model, tokenizer, _, _ = load_model(model_dir)
    config = model.config
    config.num_labels = len(model.stance_labels)
    hf = AutoModelForSequenceClassification.from_config(config)
    base = getattr(hf, hf.base_model_prefix)
    base.load_state_dict(model.encoder.state_dict(), strict=False)
    hf.classifier.load_state_dict(model.stance_head.state_dict())
    hf.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


def run_method(method: str, model_dir: str, table: Path, workdir: Path) -> dict:
    with open(table, encoding="utf-8") as handle:
        texts = [json.loads(line)["text"] for line in handle]
    if method.startswith("classify"):
        from stanceframe import Classifier
        from stanceframe.inference.classify import classify_paths

        classifier = Classifier(model_dir, precision=method.split("_")[1])
        start = time.perf_counter()
        counts = classify_paths([str(table)], classifier, workdir / f"{method}.jsonl", progress=False)
        seconds = time.perf_counter() - start
        assert counts.classified == len(texts)
    else:
        import torch
        from transformers import pipeline

        hf_dir = hf_sequence_classifier(model_dir, workdir / "hf_model")
        dtype = torch.bfloat16 if method.endswith("bf16") else torch.float32
        classify = pipeline("text-classification", model=str(hf_dir), device=-1, dtype=dtype)
        start = time.perf_counter()
        if method == "pipeline_default":
            results = [classify(text) for text in texts]
        else:
            results = classify(texts, batch_size=32, truncation=True)
        seconds = time.perf_counter() - start
        assert len(results) == len(texts)
    return {"method": method, "units": len(texts), "seconds": seconds, "units_per_s": len(texts) / seconds,
            "peak_rss_mb": peak_rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="models/default")
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--json", help="write the results here too")
    parser.add_argument("--run", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--table", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.run:
        print(json.dumps(run_method(args.run, args.model, Path(args.table), Path(args.workdir))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        table = write_unit_table(Path(tmp) / "units.jsonl", args.units)
        results = []
        for method in args.methods:
            out = subprocess.run([sys.executable, __file__, "--run", method, "--model", args.model, "--table",
                                  str(table), "--workdir", tmp], capture_output=True, text=True, check=True)
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"  {method}: {results[-1]['units_per_s']:.1f} units/s", file=sys.stderr)
    by = {r["method"]: r for r in results}
    print(f"\nthroughput on {os.cpu_count()} cores, {args.units} team-written units, model {args.model}\n")
    print(f"{'method':20} {'units/s':>9} {'seconds':>9} {'peak RSS MB':>12}")
    for r in results:
        print(f"{r['method']:20} {r['units_per_s']:9.1f} {r['seconds']:9.1f} {r['peak_rss_mb']:12.0f}")
    fastest = max((r for r in results if r["method"].startswith("classify")), key=lambda r: r["units_per_s"], default=None)
    if fastest:
        for base in (*GOAL_BASELINES, "pipeline_batch32_bf16"):
            if base in by:
                print(f"{fastest['method']} / {base}: {fastest['units_per_s'] / by[base]['units_per_s']:.1f}x")
    if args.json:
        Path(args.json).write_text(json.dumps({"cores": os.cpu_count(), "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
