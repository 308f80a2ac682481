"""Which model to use: the default (MiniLM), the accurate preset (mpnet), and the default adapted to a corpus.

    python benchmarks/encoders.py --default models/default --accurate models/accurate \
        --also mpnet=models/accurate-mpnet --gold ../shared/realdev2/gold.jsonl --sizes 100 200 0 \
        --out out/bench_encoders

For the default and accurate models (and any --also rows): stance macro-F1, frames micro/macro-F1 on the
test split and on real text (realdev2: 575 units from 323 pages, read at run time), training time, and
classify speed (units/s, and seconds per 1,000 units: the accurate model's is the teacher's cost in `adapt`).
Without the real gold file (no ../shared beside the clone) the benchmark says so and exits 0. Without an
accurate model only the default and --also rows are scored.

Adapted models are built and scored across document halves: the gold file's documents (pages, by doc_id)
are split into two folds; `adapt` reads one fold's unit *text* (never its labels), the teacher scores a
sample of its units, and the adapted student is scored on the other fold's gold units. The two folds'
predictions are pooled so every real unit is scored once, by a model that never saw its document. One row
per sample size (0 = every unit of the fold). Everything built from the real text stays under --out
(gitignored), never in the repo.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import real_gold_or_skip  # noqa: E402

from stanceframe import Classifier  # noqa: E402
from stanceframe.data import load_gold  # noqa: E402
from stanceframe.ensemble import is_ensemble, read_members  # noqa: E402
from stanceframe.evaluation import label_arrays, score_predictions  # noqa: E402
from stanceframe.modeling import METRICS_NAME, read_model_json  # noqa: E402
from stanceframe.precision import PRECISIONS  # noqa: E402
from stanceframe.scoring import paired_bootstrap  # noqa: E402
from stanceframe.training.adapt import adapt  # noqa: E402
from stanceframe.training.config import AdaptConfig  # noqa: E402

SPEED_UNITS = 1000  # test-split units timed for classify speed


def predict_gold(classifier: Classifier, gold: list[dict]) -> list[dict]:
    return classifier.predict([{"id": g["id"], "doc_id": g["doc_id"], "kind": g["kind"], "text": g["text"]}
                               for g in gold])


def figures(labels: tuple[list[str], list[str]], gold: list[dict], rows: list[dict], n_boot: int = 1000) -> dict:
    """Headline scores with bootstrap intervals, and the predictions (for paired comparisons)."""
    stance_labels, frame_labels = labels
    scored = score_predictions(gold, rows, stance_labels, frame_labels, n_boot=n_boot)
    stance_pred, frames_pred = label_arrays(rows, stance_labels, frame_labels)
    return {"n": len(gold), "stance_macro_f1": scored["stance"]["macro_f1"],
            "stance_ci": scored["intervals"]["stance_macro_f1"], "frames_micro_f1": scored["frames"]["micro_f1"],
            "frames_macro_f1": scored["frames"]["macro_f1"],
            "stance_pred": stance_pred.tolist(), "frames_pred": frames_pred.astype(int).tolist()}


def paired_difference(first: dict, second: dict, gold: list[dict], labels: tuple[list[str], list[str]]) -> dict:
    """Each figure of ``first`` minus ``second`` (two ``figures`` results) on the same gold units, paired intervals."""
    stance_true, frames_true = label_arrays(gold, *labels)
    return paired_bootstrap(stance_true, frames_true, (first["stance_pred"], first["frames_pred"]),
                            (second["stance_pred"], second["frames_pred"]), *labels, n_boot=2000)


def interval(paired: dict, key: str) -> str:
    d = paired[key]
    return f"{d['difference']:+.3f} [{d['ci'][0]:+.3f}, {d['ci'][1]:+.3f}]"


def units_to_resolve(n: int, half_width: float, lead: float) -> int:
    """Gold units at which a paired interval of ``half_width`` at ``n`` units shrinks to ``lead`` (width ∝ 1/√n)."""
    return int(np.ceil(n * (half_width / lead) ** 2))


def labels_of(classifier: Classifier) -> tuple[list[str], list[str]]:
    return classifier.stance_labels, classifier.frame_labels


def units_per_second(classifier: Classifier, gold: list[dict]) -> float:
    units = gold[:SPEED_UNITS]
    started = time.perf_counter()
    predict_gold(classifier, units)
    return len(units) / (time.perf_counter() - started)


def measure_model(name: str, model_dir: str, test: list[dict], real: list[dict], precision: str) -> dict:
    classifier = Classifier(model_dir, precision=precision)
    speed = units_per_second(classifier, test)
    trained = read_model_json(model_dir, METRICS_NAME)
    train_seconds = trained.get("train_seconds")
    if is_ensemble(model_dir) and train_seconds is not None:  # building it, plus training each member
        train_seconds += sum(read_model_json(member, METRICS_NAME).get("train_seconds", 0)
                             for member, _ in read_members(model_dir))
    return {"model": name, "dir": model_dir, "precision": classifier.precision,
            "test": figures(labels_of(classifier), test, predict_gold(classifier, test)),
            "real": figures(labels_of(classifier), real, predict_gold(classifier, real)),
            "train_seconds": train_seconds, "units_per_second": speed,
            "seconds_per_1000": 1000 / speed}


def document_folds(gold: list[dict]) -> list[set[str]]:
    """Two halves of the gold file's documents (sorted doc ids, alternating), so no document is in both."""
    docs = sorted({g["doc_id"] for g in gold})
    return [set(docs[0::2]), set(docs[1::2])]


def write_fold_text(gold: list[dict], docs: set[str], path: Path) -> Path:
    """The fold's units as a table adapt reads: id, document, kind and text only, never the labels."""
    with open(path, "w", encoding="utf-8") as handle:
        for g in gold:
            if g["doc_id"] in docs:
                handle.write(json.dumps({"id": g["id"], "doc_id": g["doc_id"], "kind": g["kind"], "text": g["text"]},
                                        ensure_ascii=False) + "\n")
    return path


def measure_adapted(args, test: list[dict], real: list[dict], size: int, soft_weight: float) -> dict:
    """Adapt on each fold's unit text, score on the other fold's gold units; pool the two folds."""
    folds = document_folds(real)
    work = Path(args.out)
    rows_by_id, test_scores, seconds, teacher_rates, kept, sampled = {}, [], 0.0, [], 0, 0
    for k, fold in enumerate(folds):
        corpus = write_fold_text(real, fold, work / f"fold{k}_units.jsonl")  # under --out, gitignored
        out = work / f"adapted_fold{k}_sample{size or 'all'}_w{soft_weight:g}"
        config = AdaptConfig.from_dict({
            "teacher": args.accurate, "student": args.default, "output_dir": str(out), "sample": size,
            "cache": str(work / f"fold{k}.teacher-cache.jsonl"), "progress": False, "seed": args.seed,
            "soft_weight": soft_weight, "epochs": args.adapt_epochs})
        started = time.time()
        metrics = adapt([str(corpus)], config, log=lambda *_: None)
        seconds += time.time() - started
        if metrics["adapt"]["teacher_seconds_per_1000"]:
            teacher_rates.append(metrics["adapt"]["teacher_seconds_per_1000"])
        kept += metrics["adapt"]["kept"]
        sampled += metrics["adapt"]["sample"]
        classifier = Classifier(out, precision=args.precision)
        held_out = [g for g in real if g["doc_id"] not in fold]
        rows_by_id.update({r["id"]: r for r in predict_gold(classifier, held_out)})
        test_scores.append(figures(labels_of(classifier), test, predict_gold(classifier, test), n_boot=200))
    pooled = [rows_by_id[g["id"]] for g in real]
    name = f"adapted (sample {size or 'all'}" + (f", weight {soft_weight:g})" if soft_weight != 1 else ")")
    return {"model": name, "sample_per_fold": size, "soft_weight": soft_weight, "sampled": sampled,
            "kept": kept, "real": figures(labels_of(classifier), real, pooled),
            "test": {key: float(np.mean([t[key] for t in test_scores]))
                     for key in ("stance_macro_f1", "frames_micro_f1", "frames_macro_f1")},
            "adapt_seconds_per_fold": seconds / len(folds),
            "teacher_seconds_per_1000": float(np.mean(teacher_rates)) if teacher_rates else None}


def table(results: list[dict]) -> str:
    lines = ["| model | real stance macro-F1 [95% CI] | real frames micro / macro | test stance | test frames "
             "micro / macro | train s | classify units/s |", "|---|---|---|---|---|---|---|"]
    for r in results:
        real, test = r["real"], r["test"]
        train = r.get("train_seconds") or r.get("adapt_seconds_per_fold")
        speed = f"{r['units_per_second']:.0f}" if "units_per_second" in r else "as default"
        lines.append(f"| {r['model']} | {real['stance_macro_f1']:.3f} [{real['stance_ci'][0]:.3f}–"
                     f"{real['stance_ci'][1]:.3f}] | {real['frames_micro_f1']:.3f} / {real['frames_macro_f1']:.3f} | "
                     f"{test['stance_macro_f1']:.3f} | {test['frames_micro_f1']:.3f} / {test['frames_macro_f1']:.3f} | "
                     f"{train:.0f} | {speed} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--default", default="models/default", help="the default (student) model")
    parser.add_argument("--accurate", default="models/accurate", help="the accurate (teacher) model")
    parser.add_argument("--also", nargs="*", default=[], metavar="NAME=DIR",
                        help="more models scored as reference rows, e.g. mpnet=models/accurate-mpnet")
    parser.add_argument("--test", default="labels/data/test.jsonl", help="the team-written test split")
    parser.add_argument("--gold", default="../shared/realdev2/gold.jsonl",
                        help="real gold units (annotated JSON Lines with doc_id); read, never copied")
    parser.add_argument("--sizes", type=int, nargs="*", default=[100, 200, 0],
                        help="teacher-scored sample sizes per fold (0 = every unit of the fold; none: no adapt rows)")
    parser.add_argument("--goal", type=float, default=0.05,
                        help="the stance macro-F1 lead to resolve: how many gold units would tell it from zero")
    parser.add_argument("--soft-weights", type=float, nargs="+", default=[1.0],
                        help="adapt's soft-target weights (one row per size and weight)")
    parser.add_argument("--adapt-epochs", type=int, default=2, help="adapt's epochs")
    parser.add_argument("--precision", choices=PRECISIONS, default="auto",
                        help="as for classify (auto: each model's recommended precision)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the samples and of adapt")
    parser.add_argument("--out", default="out/bench_encoders", help="work folder (adapted models, caches, JSON)")
    args = parser.parse_args(argv)
    gold_path = real_gold_or_skip(args.gold)
    if gold_path is None:
        return 0
    Path(args.out).mkdir(parents=True, exist_ok=True)
    probe = Classifier(args.default, precision="fp32")
    test, real = load_gold(args.test, probe.schema), load_gold(gold_path, probe.schema)

    has_accurate = Path(args.accurate).is_dir()
    if not has_accurate:
        print(f"no accurate model at {args.accurate}: scoring the default and --also rows only, no adapt rows")
    results = [measure_model("default", args.default, test, real, args.precision)]
    if has_accurate:
        results.append(measure_model("accurate", args.accurate, test, real, args.precision))
    for name, model_dir in (item.split("=", 1) for item in args.also):
        results.append(measure_model(name, model_dir, test, real, args.precision))
    print(table(results), flush=True)
    for weight in args.soft_weights if has_accurate else []:
        for size in args.sizes:
            results.append(measure_adapted(args, test, real, size, weight))
            print(table(results[-1:]).splitlines()[-1], flush=True)

    labels = labels_of(probe)
    default_real = results[0]["real"]
    accurate_real = results[1]["real"] if has_accurate else None
    gap = accurate_real["stance_macro_f1"] - default_real["stance_macro_f1"] if has_accurate else 0.0
    for r in results[1:]:
        r["vs_default_on_real"] = paired_difference(r["real"], default_real, real, labels)
        if r["model"].startswith("adapted"):
            # share of the accurate model's lead that the adapted default recovers; undefined without a lead
            r["gap_closed"] = (r["real"]["stance_macro_f1"] - default_real["stance_macro_f1"]) / gap if gap > 0 else None
            r["vs_accurate_on_real"] = paired_difference(r["real"], accurate_real, real, labels)
    print()
    print(table(results))
    print()
    print("Differences on real text, paired 95% intervals (stance macro-F1; frames micro-F1):")
    for r in results[1:]:
        closed = ""
        if r["model"].startswith("adapted"):
            closed = (f"; {r['gap_closed']:.0%} of the gap closed" if r.get("gap_closed") is not None
                      else "; no gap to close: accurate does not lead the default on real text")
            closed += f"; {r['kept']} of {r['sampled']} teacher-scored units kept over both folds"
        print(f"{r['model']} − default: {interval(r['vs_default_on_real'], 'stance_macro_f1')}; "
              f"{interval(r['vs_default_on_real'], 'frames_micro_f1')}{closed}")
    if len(results) > 1:
        low, high = results[1]["vs_default_on_real"]["stance_macro_f1"]["ci"]
        half = (high - low) / 2
        print(f"resolution: with {len(real)} real units the {results[1]['model']} − default interval is ±{half:.3f}; "
              f"a lead of {args.goal:.2f} would clear zero with about {units_to_resolve(len(real), half, args.goal)} "
              "units like these (assuming the interval narrows as 1/√n)")
    print("; ".join(f"{r['model']} ({r['precision']}): {r['seconds_per_1000']:.1f} s per 1,000 units"
                    for r in results if "seconds_per_1000" in r))
    (Path(args.out) / "bench_encoders.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
