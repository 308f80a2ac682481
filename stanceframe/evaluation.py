"""The eval harness: a model (and baselines) scored on a gold file, with bootstrap intervals."""

from __future__ import annotations

import functools
import time
from pathlib import Path

import evaluate
import numpy as np

from stanceframe.baselines import majority_baseline, multi_hot, tfidf_logreg_baseline
from stanceframe.calibration import calibration_metrics
from stanceframe.classifier import Classifier, check_schema
from stanceframe.data import load_annotated, load_gold
from stanceframe.ensemble import is_ensemble, read_members
from stanceframe.modeling import TRAINING_ARGS_NAME, read_model_json, recorded_data_file
from stanceframe.precision import DEFAULT_PRECISION
from stanceframe.provenance import sha256_file, trained_on
from stanceframe.scoring import bootstrap_intervals, headline_figures, paired_bootstrap

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


def label_arrays(units: list[dict], stance_labels: list[str], frame_labels: list[str]) -> tuple:
    """Stance ids and multi-hot frames of gold or prediction rows (both carry ``stance`` and ``frames``)."""
    return (np.array([stance_labels.index(u["stance"]) for u in units]),
            multi_hot([u["frames"] for u in units], frame_labels))


def score_predictions(gold: list[dict], rows: list[dict], stance_labels: list[str], frame_labels: list[str],
                      n_boot: int = 1000, seed: int = 0) -> dict:
    """Stance and frame scores of prediction rows against gold rows (same order), with bootstrap intervals."""
    stance_true, frames_true = label_arrays(gold, stance_labels, frame_labels)
    stance_pred, frames_pred = label_arrays(rows, stance_labels, frame_labels)
    scored = score(stance_true, stance_pred, frames_true, frames_pred, stance_labels, frame_labels)
    scored["intervals"] = bootstrap_intervals(stance_true, stance_pred, frames_true, frames_pred,
                                              stance_labels, frame_labels, n_boot=n_boot, seed=seed)
    return scored


# Gold columns whose values split the scores into groups (kind of unit; whether a second reader could dispute it).
GROUP_KEYS = ("kind", "hard")


def group_scores(gold: list[dict], rows: list[dict], stance_labels: list[str], frame_labels: list[str],
                 keys=GROUP_KEYS) -> dict:
    """Headline figures within each value of each grouping column the gold rows carry (absent columns skipped).

    ``{"kind": {"comment": {"n", "stance_accuracy", "stance_macro_f1", "frames_micro_f1", "frames_macro_f1"}, ...},
    "hard": {"true": {...}, "false": {...}}}``: where a model fails, e.g. reader comments or disputed units.
    """
    stance_true, frames_true = label_arrays(gold, stance_labels, frame_labels)
    stance_pred, frames_pred = label_arrays(rows, stance_labels, frame_labels)
    groups = {}
    for key in keys:
        values = [g.get(key) for g in gold]
        if all(v is None for v in values):
            continue
        names = [str(v).lower() if isinstance(v, bool) else str(v) for v in values]
        groups[key] = {}
        for name in sorted(set(names)):
            idx = np.array([i for i, n in enumerate(names) if n == name])
            figures = headline_figures(stance_true[idx], stance_pred[idx], frames_true[idx], frames_pred[idx],
                                       stance_labels, frame_labels)
            groups[key][name] = {"n": int(len(idx)), **figures}
    return groups


def compare_predictions(gold: list[dict], rows: list[dict], other_rows: list[dict], stance_labels: list[str],
                        frame_labels: list[str], n_boot: int = 1000, seed: int = 0) -> dict:
    """How one model's predictions differ in score from another's on the same gold units (first minus other).

    ``other`` holds the other model's headline figures; ``difference`` each figure's difference with a paired
    bootstrap interval: an interval that spans zero means these units cannot tell the two models apart.
    """
    stance_true, frames_true = label_arrays(gold, stance_labels, frame_labels)
    first, second = label_arrays(rows, stance_labels, frame_labels), label_arrays(other_rows, stance_labels,
                                                                                   frame_labels)
    return {"other": headline_figures(stance_true, second[0], frames_true, second[1], stance_labels, frame_labels),
            "difference": paired_bootstrap(stance_true, frames_true, first, second, stance_labels, frame_labels,
                                           n_boot=n_boot, seed=seed)}


def baseline_train_rows(model_dir: str | Path, schema, train_data: str | Path | None) -> tuple[list[dict], str]:
    """The model's own training split (as recorded in its training settings) unless another is given."""
    if train_data is None:
        train_data = recorded_data_file(read_model_json(model_dir, TRAINING_ARGS_NAME), "train")
    if train_data is None:
        return [], ""
    rows, _ = load_annotated(train_data, schema)
    return rows, str(train_data)


def seen_in_training(model_dir: str | Path, data: str | Path) -> list[str]:
    """A warning when ``data`` is (by SHA-256) the file ``model_dir`` (or a member of it) was trained or selected on."""
    model_dir = Path(model_dir)
    dirs = [model_dir] + ([member for member, _ in read_members(model_dir)] if is_ensemble(model_dir) else [])
    role = trained_on([read_model_json(d, TRAINING_ARGS_NAME) for d in dirs]).get(sha256_file(data))
    if role is None:
        return []
    what = "trained on" if role.startswith("train") else "selected on (epochs, frame thresholds)"
    return [f"{data} is the {role} file {model_dir} was {what}: its scores overstate what the model does on new data"]


def evaluate_model(classifier, data: str | Path, train_data: str | Path | None = None, n_boot: int = 1000,
                   seed: int = 0, other=None) -> tuple[dict, list[dict]]:
    """Metrics in the documented shape, and the per-unit predictions they were computed from.

    With ``other`` (a second classifier on the same labels), ``metrics["comparison"]`` holds its figures and
    this model's paired differences from it.
    """
    schema = classifier.schema
    stance_labels, frame_labels = classifier.stance_labels, classifier.frame_labels
    gold = load_gold(data, schema)
    started = time.time()
    units = [{"id": g["id"], "doc_id": g["doc_id"], "kind": g["kind"], "text": g["text"]} for g in gold]
    stance_p, frame_p, truncated = classifier.probs([u["text"] for u in units], [u["kind"] for u in units])
    rows = classifier.rows(units, stance_p, frame_p, truncated)
    seconds = time.time() - started
    metrics = {"n": len(gold), "data": str(data), "model": str(classifier.model_dir),
               "precision": classifier.precision}
    metrics.update(score_predictions(gold, rows, stance_labels, frame_labels, n_boot=n_boot, seed=seed))
    metrics["groups"] = group_scores(gold, rows, stance_labels, frame_labels)
    stance_true, frames_true = label_arrays(gold, stance_labels, frame_labels)
    metrics["calibration"] = calibration_metrics(stance_p, stance_true, frame_p, frames_true, classifier.calibration,
                                                 frame_labels)
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
    metrics["warnings"] = [w for clf in (classifier, other) if clf is not None for w in seen_in_training(clf.model_dir, data)]
    if other is not None:
        metrics["comparison"] = {"model": str(other.model_dir), "precision": other.precision,
                                 **compare_predictions(gold, rows, other.predict(units), stance_labels, frame_labels,
                                                       n_boot=n_boot, seed=seed)}
    predictions = [{**r, "gold_stance": g["stance"], "gold_frames": g["frames"],
                    "raw_stance_scores": dict(zip(stance_labels, map(float, p)))}
                   for r, g, p in zip(rows, gold, stance_p)]
    return metrics, predictions


def evaluate_paths(model: str | Path, data: str | Path, precision: str = DEFAULT_PRECISION,
                   expect_schema: str | Path | None = None, compare: str | Path | None = None,
                   train_data: str | Path | None = None, n_boot: int = 1000, seed: int = 0) -> tuple[dict, list[dict]]:
    """`stanceframe evaluate`: load ``model`` (and ``compare``, which must have the same labels) and score them on
    ``data``. Returns the metrics and the per-unit predictions (see ``evaluate_model``)."""
    classifier = Classifier(model, precision=precision, expect_schema=expect_schema)
    other = None
    if compare:
        other = Classifier(compare, precision=precision)
        check_schema(other.schema, classifier.schema, other.model_dir, classifier.model_dir)
    return evaluate_model(classifier, data, train_data=train_data, n_boot=n_boot, seed=seed, other=other)
