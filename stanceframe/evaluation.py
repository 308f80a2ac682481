"""The eval harness: a model (and baselines) scored on a gold file, with bootstrap intervals."""

from __future__ import annotations

import functools
import time
from pathlib import Path

import evaluate
import numpy as np

from stanceframe.baselines import majority_baseline, multi_hot, tfidf_logreg_baseline
from stanceframe.data import load_annotated, load_gold
from stanceframe.modeling import TRAINING_ARGS_NAME, read_model_json, recorded_data_file
from stanceframe.scoring import bootstrap_intervals

METRIC_SCRIPT = Path(__file__).parent / "metrics" / "stanceframe_metrics.py"


@functools.lru_cache(maxsize=1)
def load_metrics():
    """The project's metric, a local evaluate module loaded by path (works offline)."""
    return (evaluate.load(str(METRIC_SCRIPT), "single_label"), evaluate.load(str(METRIC_SCRIPT), "multi_label"))


def score(stance_true, stance_pred, frames_true, frames_pred, stance_labels, frame_labels) -> dict:
    stance_metric, frame_metric = load_metrics()
    stance = stance_metric.compute(predictions=[int(x) for x in stance_pred],
                                   references=[int(x) for x in stance_true], labels=stance_labels)
    frames = frame_metric.compute(predictions=np.asarray(frames_pred, dtype=int).tolist(),
                                  references=np.asarray(frames_true, dtype=int).tolist(), labels=frame_labels)
    return {"stance": stance, "frames": frames}


def score_predictions(gold: list[dict], rows: list[dict], stance_labels: list[str], frame_labels: list[str],
                      n_boot: int = 1000, seed: int = 0) -> dict:
    """Stance and frame scores of prediction rows against gold rows (same order), with bootstrap intervals."""
    stance_true = np.array([stance_labels.index(g["stance"]) for g in gold])
    stance_pred = np.array([stance_labels.index(r["stance"]) for r in rows])
    frames_true = multi_hot([g["frames"] for g in gold], frame_labels)
    frames_pred = multi_hot([r["frames"] for r in rows], frame_labels)
    scored = score(stance_true, stance_pred, frames_true, frames_pred, stance_labels, frame_labels)
    scored["intervals"] = bootstrap_intervals(stance_true, stance_pred, frames_true, frames_pred,
                                              stance_labels, frame_labels, n_boot=n_boot, seed=seed)
    return scored


def baseline_train_rows(model_dir: str | Path, schema, train_data: str | Path | None) -> tuple[list[dict], str]:
    """The model's own training split (as recorded in its training settings) unless another is given."""
    if train_data is None:
        train_data = recorded_data_file(read_model_json(model_dir, TRAINING_ARGS_NAME), "train")
    if train_data is None:
        return [], ""
    rows, _ = load_annotated(train_data, schema)
    return rows, str(train_data)


def evaluate_model(classifier, data: str | Path, train_data: str | Path | None = None, n_boot: int = 1000,
                   seed: int = 0) -> tuple[dict, list[dict]]:
    """Metrics in the documented shape, and the per-unit predictions they were computed from."""
    schema = classifier.schema
    stance_labels, frame_labels = classifier.stance_labels, classifier.frame_labels
    gold = load_gold(data, schema)
    started = time.time()
    rows = classifier.predict([{"id": g["id"], "doc_id": g["doc_id"], "kind": g["kind"], "text": g["text"]}
                               for g in gold])
    seconds = time.time() - started
    metrics = {"n": len(gold), "data": str(data), "model": str(classifier.model_dir),
               "precision": classifier.precision}
    metrics.update(score_predictions(gold, rows, stance_labels, frame_labels, n_boot=n_boot, seed=seed))
    stance_true = np.array([stance_labels.index(g["stance"]) for g in gold])
    frames_true = multi_hot([g["frames"] for g in gold], frame_labels)
    metrics["seconds"] = seconds
    train_rows, train_path = baseline_train_rows(classifier.model_dir, schema, train_data)
    baselines = {"train_data": train_path or None}
    if train_rows:
        runs = {"majority": majority_baseline(train_rows, len(gold), stance_labels, frame_labels),
                "tfidf_logreg": tfidf_logreg_baseline(train_rows, [g["text"] for g in gold], stance_labels,
                                                      frame_labels, seed=seed)}
        for name, (s_pred, f_pred) in runs.items():
            scored = score(stance_true, s_pred, frames_true, f_pred, stance_labels, frame_labels)
            baselines[name] = {"stance_macro_f1": scored["stance"]["macro_f1"],
                               "stance_accuracy": scored["stance"]["accuracy"],
                               "frames_micro_f1": scored["frames"]["micro_f1"],
                               "frames_macro_f1": scored["frames"]["macro_f1"]}
    else:
        for name in ("majority", "tfidf_logreg"):
            baselines[name] = {"stance_macro_f1": None, "frames_micro_f1": None,
                               "note": "no training split found; pass --train-data"}
    metrics["baselines"] = baselines
    predictions = [{**r, "gold_stance": g["stance"], "gold_frames": g["frames"]} for r, g in zip(rows, gold)]
    return metrics, predictions
