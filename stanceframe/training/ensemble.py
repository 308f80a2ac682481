"""`stanceframe ensemble`: combine trained models into one whose probabilities are their weighted average.

1. Each member scores the dev (and test) units once, in the precision it will run in.
2. Every weighting on a grid (multiples of ``weight_step`` summing to 1) is scored on dev, frame thresholds
   tuned for its averaged probabilities; the best by ``selection_metric`` is kept (ties: the most even).
3. Test is scored once with the chosen weights and thresholds; the members are copied into the output, which
   is then a self-contained directory (see ``stanceframe.ensemble``) that ``classify``, ``evaluate`` and
   ``adapt --teacher`` load like any model.
"""

from __future__ import annotations

import itertools
import shutil
import time
from pathlib import Path

import numpy as np

from stanceframe.calibration import Calibration, fit_on_rows
from stanceframe.card import ensemble_card
from stanceframe.classifier import Classifier, check_schema
from stanceframe.data import load_splits
from stanceframe.ensemble import ENSEMBLE_NAME, is_ensemble, member_entry, weighted_mean
from stanceframe.errors import StanceframeError
from stanceframe.modeling import (
    METRICS_NAME,
    MODEL_CARD_NAME,
    SCHEMA_NAME,
    THRESHOLDS_NAME,
    TRAINING_ARGS_NAME,
    check_output_dir,
    read_model_json,
    staged_directory,
    write_json,
)
from stanceframe.provenance import provenance
from stanceframe.training.config import EnsembleConfig
from stanceframe.training.trainer import score_probs, selection_score


def weight_grid(members: int, step: float) -> list[tuple[float, ...]]:
    """Every weighting of ``members`` models in multiples of ``step`` that sums to 1 (zeros included)."""
    parts = round(1 / step)
    return [tuple(c / parts for c in combo) for combo in itertools.product(range(parts + 1), repeat=members)
            if sum(combo) == parts]


def combined(probs: list[tuple[np.ndarray, np.ndarray]], weights: tuple[float, ...]):
    """Stance and frame probabilities of the members, each averaged with ``weights``."""
    return weighted_mean([p[0] for p in probs], weights), weighted_mean([p[1] for p in probs], weights)


def member_names(dirs: list[str]) -> list[str]:
    """Folder names for the members under members/: each directory's own name, made unique."""
    names = []
    for d in dirs:
        base = Path(d).resolve().name or "member"
        name, k = base, 2
        while name in names:
            name, k = f"{base}-{k}", k + 1
        names.append(name)
    return names


def check_members(config: EnsembleConfig) -> None:
    """Members are plain models (a member inside the output folder is refused by ``check_output_dir``)."""
    for member in config.members:
        if is_ensemble(Path(member).resolve()):
            raise StanceframeError(f"member {member} is itself an ensemble; list its members instead")


def choose_weights(probs: list[tuple[np.ndarray, np.ndarray]], dev: list[dict], schema, config: EnsembleConfig):
    """The best weighting on dev, its dev metrics and thresholds, and the score of every weighting tried."""
    tried, best = [], None
    for weights in weight_grid(len(probs), config.weight_step):
        metrics, thresholds = score_probs(*combined(probs, weights), dev, schema, None)
        score = selection_score(metrics, config.selection_metric)
        evenness = -float(np.abs(np.array(weights) - 1 / len(weights)).sum())
        tried.append({"weights": list(weights), "dev_score": score})
        if best is None or (score, evenness) > (best[0], best[1]):
            best = (score, evenness, weights, metrics, thresholds)
    return best[2], best[3], best[4], tried


def build_ensemble(config: EnsembleConfig, log=print) -> dict:
    """Choose weights on dev, score test, write ``config.output_dir``. Returns the metrics."""
    started = time.time()
    check_output_dir(config.output_dir, [*config.members, config.dev_file, config.test_file])
    check_members(config)
    classifiers = [Classifier(m, precision=config.precision) for m in config.members]
    schema = classifiers[0].schema
    for member, clf in zip(config.members[1:], classifiers[1:]):
        check_schema(clf.schema, schema, Path(member), config.members[0])
    files = {"dev": config.dev_file} | ({"test": config.test_file} if config.test_file else {})
    splits, _ = load_splits(files, schema)
    if not splits["dev"]:
        raise StanceframeError(f"{config.dev_file}: no units to choose the weights on")

    probs = {split: [clf.probs([r["text"] for r in rows], [r["kind"] for r in rows])[:2] for clf in classifiers]
             for split, rows in splits.items()}
    names = member_names(config.members)
    metrics: dict = {"members": {}}
    for i, (name, clf) in enumerate(zip(names, classifiers)):
        own = {"dir": config.members[i], "precision": clf.precision}
        own["dev"], thresholds = score_probs(*probs["dev"][i], splits["dev"], schema, None)
        if "test" in splits:
            own["test"], _ = score_probs(*probs["test"][i], splits["test"], schema, thresholds)
        metrics["members"][name] = own
    weights, metrics["dev"], thresholds, metrics["weight_search"] = choose_weights(probs["dev"], splits["dev"],
                                                                                   schema, config)
    if "test" in splits:
        metrics["test"], _ = score_probs(*combined(probs["test"], weights), splits["test"], schema, thresholds)
    kept = [(name, member, w) for name, member, w in zip(names, config.members, weights) if w > 0]
    metrics["weights"] = {name: w for name, _, w in kept}
    metrics["train_seconds"] = time.time() - started
    log("weights chosen on dev: " + ", ".join(f"{name} {w:.2f}" for name, _, w in kept)
        + ("" if len(kept) == len(names) else " (members with weight 0 are left out)"))

    member_args = [read_model_json(member, TRAINING_ARGS_NAME) for _, member, _ in kept]
    settings = config.to_dict() | {
        "base_model": " + ".join(f"{a.get('base_model', '?')} ({w:.2f})" for a, (_, _, w) in zip(member_args, kept)),
        "train_file": member_args[0].get("train_file"), "train_file_resolved": member_args[0].get("train_file_resolved"),
        "max_length": max(int(a.get("max_length", 256)) for a in member_args), "provenance": provenance(files)}
    calibration = fit_on_rows(*combined(probs["dev"], weights), splits["dev"], schema.stance_names, schema.frame_names,
                              {"split": "dev", "file": config.dev_file})
    write_ensemble(config.output_dir, kept, thresholds, schema, settings, metrics, calibration)
    log(f"saved {config.output_dir}: dev stance macro-F1 {metrics['dev']['stance']['macro_f1']:.3f}, frames "
        f"micro-F1 {metrics['dev']['frames']['micro_f1']:.3f}"
        + (f"; test {metrics['test']['stance']['macro_f1']:.3f} / {metrics['test']['frames']['micro_f1']:.3f}"
           if "test" in metrics else ""))
    return metrics


def write_ensemble(output_dir: str | Path, kept: list[tuple[str, str, float]], thresholds: dict, schema,
                   settings: dict, metrics: dict, calibration: Calibration | None = None) -> None:
    """Write the ensemble into a fresh folder beside ``output_dir``, then swap it in (never half-written)."""
    with staged_directory(output_dir) as staging:
        entries = []
        for name, member, weight in kept:
            entry = member_entry(name, weight)
            shutil.copytree(member, staging / entry["dir"])
            entries.append(entry)
        write_json(staging / ENSEMBLE_NAME, {"members": entries})
        write_json(staging / THRESHOLDS_NAME, thresholds)
        schema.save(staging / SCHEMA_NAME)
        write_json(staging / TRAINING_ARGS_NAME, settings)
        write_json(staging / METRICS_NAME, metrics)
        if calibration is not None:
            calibration.save(staging)
        (staging / MODEL_CARD_NAME).write_text(ensemble_card(schema, settings, metrics, thresholds), encoding="utf-8")
