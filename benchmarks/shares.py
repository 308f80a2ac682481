"""Are the corrected shares, calibrated scores and prediction sets right on real text? (`make bench-shares`)

On ../shared/realdev2, split by document into halves A and B (``--splits`` repeated seeded splits), half B is the
corpus and its gold labels give the true shares. For every quantification method (stanceframe.shares) and gold set
— the model's test split, 50 / 100 / 200 gold units drawn from half A, and the test split pooled with them — the
mean absolute error per stance of the corrected share; for the default method, the share of splits whose 95%
interval covers the true share. Also: stance ECE on half B before and after calibration (the model's own, fitted on
dev, and one refitted on the 100 half-A units), conformal set coverage and size at 0.8 and 0.9 (calibrated on dev,
and on the half-A units), and the stance shares of comments versus article text. Writes JSON and a Markdown table
under --out; ids and figures only. Exits 0 with "skipped" when the gold file is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import real_gold_or_skip  # noqa: E402

from stanceframe.calibration import Calibration, expected_calibration_error  # noqa: E402
from stanceframe.classifier import Classifier  # noqa: E402
from stanceframe.conformal import StanceSets, set_coverage  # noqa: E402
from stanceframe.data import load_gold  # noqa: E402
from stanceframe.modeling import model_gold_file  # noqa: E402
from stanceframe.shares import DEFAULT_METHOD, ShareEstimator, methods  # noqa: E402

SIZES = (50, 100, 200)


def half_split(docs: np.ndarray, seed: int) -> np.ndarray:
    """True for the units of half A (half of the documents, seeded)."""
    unique = np.unique(docs)
    chosen = set(np.random.default_rng(seed).choice(unique, len(unique) // 2, replace=False))
    return np.array([d in chosen for d in docs])


def run(model_dir: str, gold_path: str, splits: int, out: Path, intervals: bool = True) -> dict:
    clf = Classifier(model_dir, precision="fp32")
    labels = clf.stance_labels
    gold = load_gold(gold_path, clf.schema)
    test = load_gold(model_gold_file(model_dir, "test"), clf.schema)
    dev = load_gold(model_gold_file(model_dir, "dev"), clf.schema)

    def scored(rows):
        raw, _, _ = clf.probs([r["text"] for r in rows], [r["kind"] for r in rows])
        cal = clf.calibration.stance(raw) if clf.calibration else raw
        return raw, cal, np.array([labels.index(r["stance"]) for r in rows])

    g_raw, g_cal, g_y = scored(gold)
    _, t_cal, t_y = scored(test)
    _, d_cal, d_y = scored(dev)
    docs = np.array([r["doc_id"] for r in gold])
    comment = np.array([r["kind"] == "comment" for r in gold])
    errors: dict[str, list] = {}
    covered: dict[str, list] = {}
    ece: dict[str, list] = {"uncalibrated": [], "calibrated on dev (the model's)": [], "calibrated on 100 A units": []}
    sets: dict[str, list] = {}
    contrast = []
    for seed in range(splits):
        rng = np.random.default_rng(1000 + seed)
        in_a = half_split(docs, seed)
        b = ~in_a
        truth = np.bincount(g_y[b], minlength=len(labels)) / b.sum()
        corpus = g_cal[b]
        errors.setdefault("raw count", []).append(np.abs(np.bincount(corpus.argmax(1), minlength=len(labels))
                                                         / b.sum() - truth))
        picks = {n: rng.choice(np.flatnonzero(in_a), min(n, in_a.sum()), replace=False) for n in SIZES}
        golds = {"test split": (t_cal, t_y)}
        for n, idx in picks.items():
            golds[f"{n} A units"] = (g_cal[idx], g_y[idx])
            golds[f"test split + {n} A units"] = (np.vstack([t_cal, g_cal[idx]]), np.concatenate([t_y, g_y[idx]]))
        for gname, (gp, gy) in golds.items():
            for method in methods():
                if method == "cc":
                    continue
                est = ShareEstimator.fit(gp, gy, method=method, gold_samples=2, corpus_samples=2)
                corrected = est.point.aggregate(est.point.classify(corpus))
                errors.setdefault(f"{method} | {gname}", []).append(np.abs(np.asarray(corrected) - truth))
        if intervals:
            for gname in ("test split", "100 A units", "test split + 100 A units"):
                est = ShareEstimator.fit(*golds[gname], method=DEFAULT_METHOD, seed=seed)
                _, low, high = est.estimate(corpus, seed=seed)
                covered.setdefault(f"{DEFAULT_METHOD} | {gname}", []).append((low <= truth) & (truth <= high))
        # calibration and prediction sets on half B
        idx = picks[100]
        ece["uncalibrated"].append(expected_calibration_error(g_raw[b], g_y[b]))
        ece["calibrated on dev (the model's)"].append(expected_calibration_error(g_cal[b], g_y[b]))
        own = Calibration.fit(g_raw[idx], g_y[idx], np.zeros((len(idx), 1)), np.zeros((len(idx), 1)), ["none"])
        ece["calibrated on 100 A units"].append(expected_calibration_error(own.stance(g_raw[b]), g_y[b]))
        for coverage in (0.8, 0.9):
            for cname, (cp, cy) in {"dev": (d_cal, d_y), "100 A units": (g_cal[idx], g_y[idx]),
                                    "all A units": (g_cal[in_a], g_y[in_a])}.items():
                member = StanceSets.fit(cp, cy, labels, coverage, cname).membership(g_cal[b])
                sets.setdefault(f"{coverage} | {cname}", []).append(set_coverage(member, g_y[b]))
        # comments versus article text on half B: gold, raw, corrected (pooled gold)
        est = ShareEstimator.fit(*golds["test split + 100 A units"], method=DEFAULT_METHOD, gold_samples=2,
                                 corpus_samples=2)
        for part, mask in (("comments", b & comment), ("article text", b & ~comment)):
            if mask.sum():
                contrast.append({"split": seed, "part": part, "n": int(mask.sum()),
                                 "gold": (np.bincount(g_y[mask], minlength=len(labels)) / mask.sum()).tolist(),
                                 "raw": (np.bincount(g_cal[mask].argmax(1), minlength=len(labels))
                                         / mask.sum()).tolist(),
                                 "corrected": np.asarray(est.point.aggregate(
                                     est.point.classify(g_cal[mask]))).tolist()})
    result = {"model": model_dir, "gold": gold_path, "splits": splits, "labels": labels,
              "mae": {k: {"mean": float(np.mean(v)), "per_label": np.mean(v, axis=0).tolist(),
                          "worst_label": float(np.mean(v, axis=0).max())} for k, v in errors.items()},
              "interval_coverage": {k: {"per_label": np.mean(v, axis=0).tolist(),
                                        "all_labels": float(np.mean(np.all(v, axis=1)))} for k, v in covered.items()},
              "ece": {k: float(np.mean(v)) for k, v in ece.items()},
              "sets": {k: {"coverage": float(np.mean([c for c, _ in v])), "mean_size": float(np.mean([s for _, s in v]))}
                       for k, v in sets.items()},
              "comments_vs_articles": contrast}
    out.mkdir(parents=True, exist_ok=True)
    (out / "shares.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (out / "shares.md").write_text(markdown(result), encoding="utf-8")
    return result


def markdown(result: dict) -> str:
    labels = result["labels"]
    lines = [f"Realdev2 halves, {result['splits']} document splits; corpus = half B. Mean absolute error of the "
             "stance share (points):", "", "| method | gold | mean | " + " | ".join(labels) + " | worst |",
             "|---|---|---|" + "---|" * len(labels) + "---|"]
    for key, v in sorted(result["mae"].items(), key=lambda kv: kv[1]["mean"]):
        method, _, gold = key.partition(" | ")
        lines.append(f"| {method} | {gold or '—'} | {100 * v['mean']:.1f} | "
                     + " | ".join(f"{100 * x:.1f}" for x in v["per_label"]) + f" | {100 * v['worst_label']:.1f} |")
    lines += ["", "95% interval coverage of the true share (share of splits):", "",
              "| method and gold | " + " | ".join(labels) + " | all labels at once |", "|---|" + "---|" * (len(labels) + 1)]
    for key, v in result["interval_coverage"].items():
        lines.append(f"| {key} | " + " | ".join(f"{x:.2f}" for x in v["per_label"]) + f" | {v['all_labels']:.2f} |")
    lines += ["", "Stance ECE on half B: " + "; ".join(f"{k} {v:.3f}" for k, v in result["ece"].items()), "",
              "| asked coverage, calibrated on | coverage on half B | mean set size |", "|---|---|---|"]
    lines += [f"| {k} | {v['coverage']:.3f} | {v['mean_size']:.2f} |" for k, v in result["sets"].items()]
    parts = {}
    for row in result["comments_vs_articles"]:
        parts.setdefault(row["part"], []).append(row)
    lines += ["", "Comments versus article text on half B (mean over splits, %):", "",
              "| part | figure | " + " | ".join(labels) + " |", "|---|---|" + "---|" * len(labels)]
    for part, rows in parts.items():
        for fig in ("gold", "raw", "corrected"):
            mean = np.mean([r[fig] for r in rows], axis=0)
            lines.append(f"| {part} | {fig} | " + " | ".join(f"{100 * x:.1f}" for x in mean) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="models/default", help="model directory (with its calibration)")
    parser.add_argument("--gold", default=str(Path(__file__).resolve().parents[2] / "shared/realdev2/gold.jsonl"))
    parser.add_argument("--splits", type=int, default=20, help="repeated document splits")
    parser.add_argument("--no-intervals", action="store_true", help="skip the bootstrap intervals (faster)")
    parser.add_argument("--out", default="out/bench_shares")
    args = parser.parse_args(argv)
    if real_gold_or_skip(args.gold) is None:
        return 0
    started = time.time()
    result = run(args.model, args.gold, args.splits, Path(args.out), intervals=not args.no_intervals)
    print(markdown(result))
    print(f"wrote {args.out}/shares.json and shares.md in {time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
