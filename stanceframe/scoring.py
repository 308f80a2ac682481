"""Metric arithmetic in plain numpy: the one place where F1 and friends are computed.

Used by the local ``evaluate`` module (``stanceframe/metrics/stanceframe_metrics.py``), the
bootstrap intervals and threshold tuning, so every figure comes from the same code.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats


def _prf(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray):
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), 0.0)
        recall = np.where(tp + fn > 0, tp / np.maximum(tp + fn, 1), 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0.0)
    return precision, recall, f1


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n_labels: int) -> np.ndarray:
    """Rows are gold labels, columns predictions."""
    matrix = np.zeros((n_labels, n_labels), dtype=np.int64)
    np.add.at(matrix, (np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)), 1)
    return matrix


def single_label_scores(y_true, y_pred, labels: list[str]) -> dict:
    """Accuracy, macro-F1 (over labels with gold support or predictions), per-label P/R/F1, confusion."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    matrix = confusion(y_true, y_pred, len(labels))
    tp = np.diag(matrix).astype(float)
    fp = matrix.sum(0) - tp
    fn = matrix.sum(1) - tp
    precision, recall, f1 = _prf(tp, fp, fn)
    support = matrix.sum(1)
    present = (support + matrix.sum(0)) > 0
    return {
        "accuracy": float(tp.sum() / max(len(y_true), 1)),
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "per_label": {name: {"precision": float(precision[i]), "recall": float(recall[i]),
                             "f1": float(f1[i]), "support": int(support[i])} for i, name in enumerate(labels)},
        "labels": list(labels),
        "confusion": matrix.tolist(),
    }


def multi_label_scores(y_true, y_pred, labels: list[str]) -> dict:
    """Micro-F1, macro-F1 (over labels with gold support or predictions) and per-label P/R/F1."""
    y_true = np.asarray(y_true, dtype=bool).reshape(-1, len(labels))
    y_pred = np.asarray(y_pred, dtype=bool).reshape(-1, len(labels))
    tp = (y_true & y_pred).sum(0).astype(float)
    fp = (~y_true & y_pred).sum(0).astype(float)
    fn = (y_true & ~y_pred).sum(0).astype(float)
    precision, recall, f1 = _prf(tp, fp, fn)
    _, _, micro = _prf(np.array([tp.sum()]), np.array([fp.sum()]), np.array([fn.sum()]))
    present = (tp + fp + fn) > 0
    return {
        "micro_f1": float(micro[0]),
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "per_label": {name: {"precision": float(precision[i]), "recall": float(recall[i]),
                             "f1": float(f1[i]), "support": int(y_true[:, i].sum())} for i, name in enumerate(labels)},
        "labels": list(labels),
    }


def binary_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    tp = float((y_true & y_pred).sum())
    fp = float((~y_true & y_pred).sum())
    fn = float((y_true & ~y_pred).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp > 0 else 0.0


def tune_thresholds(y_true, probs, labels: list[str], grid=None, default: float = 0.5) -> dict[str, float]:
    """Per-label threshold maximising F1 on held-out data; ``default`` for labels without positives."""
    y_true = np.asarray(y_true, dtype=bool)
    probs = np.asarray(probs)
    grid = np.round(np.arange(0.05, 0.951, 0.025), 3) if grid is None else grid
    out = {}
    for j, name in enumerate(labels):
        if not y_true[:, j].any():
            out[name] = default
            continue
        scores = [binary_f1(y_true[:, j], probs[:, j] >= t) for t in grid]
        best = max(scores)
        # among equally good cut-offs take the one nearest the middle of the tie range
        ties = [t for t, s in zip(grid, scores) if s >= best - 1e-9]
        out[name] = float(ties[len(ties) // 2])
    return out


HEADLINE = ("stance_accuracy", "stance_macro_f1", "frames_micro_f1", "frames_macro_f1")  # figures with intervals
FIGURE_NAMES = dict(zip(HEADLINE, ("stance accuracy", "stance macro-F1", "frames micro-F1", "frames macro-F1")))


def headline_figures(stance_true, stance_pred, frames_true, frames_pred, stance_labels, frame_labels) -> dict:
    """The four figures a model is judged by (``HEADLINE``, the ones that get intervals)."""
    s = single_label_scores(stance_true, stance_pred, stance_labels)
    f = multi_label_scores(frames_true, frames_pred, frame_labels)
    return dict(zip(HEADLINE, (s["accuracy"], s["macro_f1"], f["micro_f1"], f["macro_f1"])))


def _as_arrays(stance_true, frames_true, frame_labels, *predictions):
    width = len(frame_labels)
    out = [np.asarray(stance_true), np.asarray(frames_true, dtype=bool).reshape(-1, width)]
    for stance_pred, frames_pred in predictions:
        out.append((np.asarray(stance_pred), np.asarray(frames_pred, dtype=bool).reshape(-1, width)))
    return out


def _resampled(n: int, figures_of, n_boot: int, seed: int, level: float) -> dict:
    """BCa intervals (``scipy.stats.bootstrap``) of the ``HEADLINE`` figures that ``figures_of(unit indices)``
    computes, over ``n_boot`` resamples of the ``n`` units with replacement (BCa corrects the percentile
    interval's bias and skew, which matter at small n). A figure that is the same on every resample (say, two
    models that never differ) gets that value as both ends, where BCa itself is undefined."""
    if n < 2 or n_boot < 2:
        return {k: [0.0, 0.0] for k in HEADLINE}

    def statistic(idx):
        figures = figures_of(idx)
        return np.array([figures[k] for k in HEADLINE])

    # a constant figure makes BCa's acceleration 0/0 and scipy warn that it is degenerate; handled below
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        result = stats.bootstrap((np.arange(n),), statistic, n_resamples=n_boot, confidence_level=level,
                                 method="BCa", vectorized=False, rng=np.random.default_rng(seed))
    out = {}
    for i, key in enumerate(HEADLINE):
        draws = result.bootstrap_distribution[i]
        low, high = result.confidence_interval.low[i], result.confidence_interval.high[i]
        if np.ptp(draws) == 0:
            low = high = draws[0]
        elif not (np.isfinite(low) and np.isfinite(high)):  # BCa's acceleration undefined: percentile interval
            low, high = np.percentile(draws, [(1 - level) / 2 * 100, (1 + level) / 2 * 100])
        out[key] = [float(low), float(high)]
    return out


def bootstrap_intervals(stance_true, stance_pred, frames_true, frames_pred, stance_labels, frame_labels,
                        n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> dict:
    """BCa bootstrap intervals (units resampled with replacement) for the headline figures."""
    stance_true, frames_true, (stance_pred, frames_pred) = _as_arrays(
        stance_true, frames_true, frame_labels, (stance_pred, frames_pred))

    def figures_of(idx):
        return headline_figures(stance_true[idx], stance_pred[idx], frames_true[idx], frames_pred[idx],
                                stance_labels, frame_labels)

    return _resampled(len(stance_true), figures_of, n_boot, seed, level) | {"level": level, "n_boot": n_boot}


def paired_bootstrap(stance_true, frames_true, first, second, stance_labels, frame_labels,
                     n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> dict:
    """Each headline figure of ``first`` minus ``second`` on the same units, with a paired BCa interval.

    ``first`` and ``second`` are (stance_pred, frames_pred). Every resample draws the same units for both
    models, so the interval reflects how the two differ on the units, not how hard the units are.
    """
    stance_true, frames_true, a, b = _as_arrays(stance_true, frames_true, frame_labels, first, second)

    def difference(idx):
        fa = headline_figures(stance_true[idx], a[0][idx], frames_true[idx], a[1][idx], stance_labels, frame_labels)
        fb = headline_figures(stance_true[idx], b[0][idx], frames_true[idx], b[1][idx], stance_labels, frame_labels)
        return {k: fa[k] - fb[k] for k in HEADLINE}

    point = difference(np.arange(len(stance_true)))
    intervals = _resampled(len(stance_true), difference, n_boot, seed, level)
    return {k: {"difference": point[k], "ci": intervals[k]} for k in HEADLINE} | {"level": level, "n_boot": n_boot}
