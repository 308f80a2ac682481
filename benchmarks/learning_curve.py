"""Does labelling your own material pay, and does picking by uncertainty beat picking at random?

    nice -n 10 python benchmarks/learning_curve.py --default models/default --gold ../shared/realdev2/gold.jsonl \
        --sizes 50 100 200 0 --seeds 0 1 2 --threads 1 --out out/learning_curve

For each seed the gold file's documents (by doc_id) are shuffled and split in two halves: a *pool* (a user's
unlabelled material) and a *test* half. From the pool, ``stanceframe select`` (the default model) picks the first
N units by ``uncertainty`` and by ``random``; their gold labels become an extra-train file (in a temporary
directory), the default model is continued on them with the ``extra`` preset's recipe (``stanceframe train
--config extra --extra-train FILE``), and the result is scored on the test half (stance macro-F1, frames
micro-F1), then deleted. Size 0 means every pool unit (the same set for both strategies: trained once). The
default model with no extra labels, on the same test half, is the baseline.

realdev2's rules allow exactly this (a learning curve trains on one half of its documents' labels and scores on
the other; no model is kept). Outputs under --out hold ids and figures only, never text. Without the gold file
the benchmark says "skipped: ..." and exits 0. ``--quick`` runs tiny settings (for the test suite).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import real_gold_or_skip  # noqa: E402

from stanceframe.classifier import Classifier  # noqa: E402
from stanceframe.data import load_gold  # noqa: E402
from stanceframe.evaluation import label_arrays, score  # noqa: E402
from stanceframe.selection import select_from_units  # noqa: E402
from stanceframe.training.config import TrainConfig  # noqa: E402
from stanceframe.training.trainer import train  # noqa: E402

STRATEGIES = ("uncertainty", "random")
GOAL_GAIN = 0.05  # the goal: 200 labelled pool units add 5 points of stance macro-F1


def halves(gold: list[dict], seed: int) -> tuple[list[dict], list[dict]]:
    """(pool, test): the gold units of a seeded random half of the documents, and of the other half."""
    docs = sorted({g["doc_id"] for g in gold})
    random.Random(seed).shuffle(docs)
    pool_docs = set(docs[: len(docs) // 2])
    return [g for g in gold if g["doc_id"] in pool_docs], [g for g in gold if g["doc_id"] not in pool_docs]


def unlabelled(rows: list[dict]) -> list[dict]:
    """What selection sees of a gold unit: no labels."""
    return [{"id": g["id"], "doc_id": g["doc_id"], "unit_index": i, "kind": g["kind"], "author": g.get("author"),
             "text": g["text"]} for i, g in enumerate(rows)]


def test_scores(classifier: Classifier, test: list[dict]) -> dict:
    rows = classifier.predict(unlabelled(test))
    labels = (classifier.stance_labels, classifier.frame_labels)
    (stance_true, frames_true), (stance_pred, frames_pred) = label_arrays(test, *labels), label_arrays(rows, *labels)
    scored = score(stance_true, stance_pred, frames_true, frames_pred, *labels)
    return {"stance_macro_f1": scored["stance"]["macro_f1"], "frames_micro_f1": scored["frames"]["micro_f1"]}


def retrain_and_score(args, picked: list[dict], test: list[dict], seed: int) -> dict:
    """Continue the default model on ``picked`` gold units (extra preset), score on ``test``; nothing is kept."""
    with tempfile.TemporaryDirectory(prefix="learning_curve-") as tmp:
        extra = Path(tmp) / "extra.jsonl"
        with open(extra, "w", encoding="utf-8") as handle:
            for g in picked:
                handle.write(json.dumps({k: g.get(k) for k in ("id", "doc_id", "kind", "author", "text", "stance",
                                                               "frames")}, ensure_ascii=False) + "\n")
        overrides = {"init_model": args.default, "extra_train": [str(extra)], "output_dir": str(Path(tmp) / "model"),
                     "test_file": "", "progress": False, "num_threads": args.threads, "seed": seed,
                     "reduced_precisions": False}
        overrides |= {k: v for k, v in (("train_file", args.train_file), ("dev_file", args.dev_file)) if v}
        overrides |= ({"epochs": 1, "replay": 8} if args.quick else {})
        overrides |= {k: v for k, v in (("epochs", args.epochs), ("replay", args.replay),
                                        ("extra_weight", args.extra_weight)) if v is not None}
        config = TrainConfig.from_yaml(args.config, **overrides)
        started = time.time()
        train(config, log=lambda *_: None)
        seconds = time.time() - started
        result = test_scores(Classifier(config.output_dir, precision="fp32"), test)
    return result | {"train_seconds": round(seconds, 1)}


def summarise(runs: list[dict], baseline: list[dict]) -> list[dict]:
    """Mean, standard deviation, min and max over seeds per (strategy, size); uncertainty − random per size."""
    rows = []
    for size in sorted({r["size"] for r in runs}, key=lambda s: (s == 0, s)):
        row = {"size": size}
        for strategy in STRATEGIES:
            got = [r for r in runs if r["size"] == size and r["strategy"] == strategy]
            for key in ("stance_macro_f1", "frames_micro_f1"):
                values = [r[key] for r in got]
                if values:
                    row[f"{strategy}_{key}"] = {"mean": statistics.fmean(values), "min": min(values),
                                                "max": max(values), "sd": statistics.stdev(values) if len(values) > 1
                                                else 0.0, "seeds": len(values)}
            row[f"{strategy}_units"] = [r["units"] for r in got]
        if "uncertainty_stance_macro_f1" in row and "random_stance_macro_f1" in row:
            diff = row["uncertainty_stance_macro_f1"]["mean"] - row["random_stance_macro_f1"]["mean"]
            row["uncertainty_minus_random"] = diff
        rows.append(row)
    base = {key: statistics.fmean(b[key] for b in baseline) for key in ("stance_macro_f1", "frames_micro_f1")
            if baseline}
    return [{"size": "baseline", "default": base, "seeds": len(baseline)}] + rows


def fmt(cell: dict | None) -> str:
    return "–" if not cell else f"{cell['mean']:.3f} ± {cell['sd']:.3f}"


def markdown(summary: list[dict], goals: dict) -> str:
    base = summary[0]["default"]
    lines = [f"Baseline (default model, no extra labels): stance macro-F1 {base.get('stance_macro_f1', 0):.3f}, "
             f"frames micro-F1 {base.get('frames_micro_f1', 0):.3f} (mean of {summary[0]['seeds']} test halves)", "",
             "| pool units | stance: random | stance: uncertainty | frames: random | frames: uncertainty | "
             "uncertainty − random (stance) | uncertainty beats random? |", "|---|---|---|---|---|---|---|"]
    for row in summary[1:]:
        diff = row.get("uncertainty_minus_random")
        verdict = "–" if diff is None else ("same units" if row["size"] == 0 else "yes" if diff > 0 else "no")
        size = "all" if row["size"] == 0 else str(row["size"])
        lines.append(f"| {size} | {fmt(row.get('random_stance_macro_f1'))} | {fmt(row.get('uncertainty_stance_macro_f1'))}"
                     f" | {fmt(row.get('random_frames_micro_f1'))} | {fmt(row.get('uncertainty_frames_micro_f1'))} | "
                     f"{'–' if diff is None else f'{diff:+.3f}'} | {verdict} |")
    lines += ["", "Mean ± standard deviation over seeds (document halves). Goals:"]
    lines += [f"- {text}: {verdict}" for text, verdict in goals.items()]
    return "\n".join(lines) + "\n"


def goals_met(summary: list[dict]) -> dict:
    base = summary[0]["default"].get("stance_macro_f1")
    by_size = {row["size"]: row for row in summary[1:]}
    out = {}
    if 200 in by_size and base is not None:
        for strategy in STRATEGIES:
            cell = by_size[200].get(f"{strategy}_stance_macro_f1")
            if cell:
                gain = cell["mean"] - base
                out[f"200 units by {strategy} add >= {GOAL_GAIN * 100:.0f} points stance macro-F1"] = \
                    f"{'met' if gain >= GOAL_GAIN else 'not met'} ({gain * 100:+.1f} points)"
    if 100 in by_size and 200 in by_size:
        u100, r200 = by_size[100].get("uncertainty_stance_macro_f1"), by_size[200].get("random_stance_macro_f1")
        if u100 and r200:
            out["uncertainty at 100 matches random at 200"] = \
                f"{'met' if u100['mean'] >= r200['mean'] else 'not met'} ({u100['mean']:.3f} vs {r200['mean']:.3f})"
    return out


def write_outputs(out: Path, runs: list[dict], baseline: list[dict], args) -> str:
    summary = summarise(runs, baseline)
    goals = goals_met(summary)
    table = markdown(summary, goals)
    record = {"settings": {k: v for k, v in vars(args).items()}, "baseline": baseline, "runs": runs,
              "summary": summary, "goals": goals}
    (out / "learning_curve.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    (out / "learning_curve.md").write_text(table, encoding="utf-8")
    return table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--default", default="models/default", help="the model selection uses and retraining continues")
    parser.add_argument("--gold", default="../shared/realdev2/gold.jsonl",
                        help="gold units with doc_id, read at run time and never copied")
    parser.add_argument("--config", default="extra", help="the retraining recipe (a preset name or YAML file)")
    parser.add_argument("--train-file", help="team training units replayed (default: the recipe's)")
    parser.add_argument("--dev-file", help="dev units for early stopping and thresholds (default: the recipe's)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200, 0],
                        help="pool units labelled (0 = every pool unit)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="document splits (and training seeds)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--epochs", type=int, help="override the recipe's epochs")
    parser.add_argument("--replay", type=int, help="override the recipe's replayed team units")
    parser.add_argument("--extra-weight", type=float, help="override the recipe's extra weight")
    parser.add_argument("--quick", action="store_true", help="tiny settings (1 epoch, 8 replayed units), for tests")
    parser.add_argument("--resume", action="store_true",
                        help="keep the runs already in OUT/learning_curve.json and do only the missing ones")
    parser.add_argument("--out", default="out/learning_curve", help="folder for learning_curve.json and .md")
    args = parser.parse_args(argv)
    gold_path = real_gold_or_skip(args.gold)
    if gold_path is None:
        return 0
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    try:
        return run_curve(args, gold_path)
    finally:
        torch.set_num_threads(threads)  # a caller in the same process (the tests) keeps its own thread count


def run_curve(args, gold_path: Path) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    classifier = Classifier(args.default, precision="fp32")
    gold = load_gold(gold_path, classifier.schema)
    runs, baseline = [], []
    if args.resume and (out / "learning_curve.json").is_file():
        done = json.loads((out / "learning_curve.json").read_text(encoding="utf-8"))
        runs, baseline = done["runs"], done["baseline"]
        print(f"resumed: {len(runs)} runs already done", flush=True)
    for seed in args.seeds:
        pool, test = halves(gold, seed)
        by_id = {g["id"]: g for g in pool}
        if not any(b["seed"] == seed for b in baseline):
            baseline.append({"seed": seed, "pool": len(pool), "test": len(test), **test_scores(classifier, test)})
        base = next(b for b in baseline if b["seed"] == seed)
        print(f"seed {seed}: pool {len(pool)} units, test {len(test)} units; baseline stance "
              f"{base['stance_macro_f1']:.3f}, frames {base['frames_micro_f1']:.3f}", flush=True)
        order = {s: [r["id"] for r in select_from_units(unlabelled(pool), classifier, len(pool), s, seed=seed)]
                 for s in STRATEGIES}
        for size in args.sizes:
            for strategy in STRATEGIES:
                if any((r["seed"], r["size"], r["strategy"]) == (seed, size, strategy) for r in runs):
                    continue
                if size == 0 and strategy != STRATEGIES[0]:  # every pool unit: one set, one run, both rows
                    same = next(r for r in runs if (r["seed"], r["size"], r["strategy"]) == (seed, 0, STRATEGIES[0]))
                    runs.append({**same, "strategy": strategy})
                    continue
                ids = order[strategy][: size or None]
                result = retrain_and_score(args, [by_id[i] for i in ids], test, seed)
                runs.append({"seed": seed, "size": size, "strategy": strategy, "units": len(ids), **result,
                             "picked_ids": ids})
                print(f"seed {seed} size {size or 'all'} {strategy}: stance {result['stance_macro_f1']:.3f}, frames "
                      f"{result['frames_micro_f1']:.3f} ({result['train_seconds']:.0f} s)", flush=True)
                write_outputs(out, runs, baseline, args)
    print(write_outputs(out, runs, baseline, args))
    print(f"wrote {out / 'learning_curve.json'} and {out / 'learning_curve.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
