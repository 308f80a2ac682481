"""Corpus shares a researcher can cite: the raw count share, a corrected share and a 95% interval.

Counting predicted labels (classify-and-count) inherits the classifier's systematic errors. The corrected share is a
quantification estimate from ``quapy``: by default KDEy-ML (Moreo, González & del Coz 2024), which models how the
model's (calibrated) scores are distributed for each true label on a gold set and finds the label mixture that best
explains the corpus's scores; ACC, PACC, PCC and CC are available for comparison (``METHODS``). The gold set is the
model's test split, pooled with the user's own gold units when given (``--gold``): measured on real text, pooling
beat either alone (README, ``make bench-shares``).

The interval covers both errors: quapy's ``AggregativeBootstrap`` resamples the gold set (refitting the correction)
and the corpus units, and takes percentiles. Frames are estimated one by one, each as present/absent.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from stanceframe.errors import StanceframeError

DEFAULT_METHOD = "kdey"
GOLD_SAMPLES = 25       # gold-set resamples (each refits the correction)
CORPUS_SAMPLES = 8      # corpus resamples per gold resample: 200 estimates per interval
LIGHT_SAMPLES = (10, 5)  # gold × corpus resamples for the stance-only figures of many small groups (source, date,
                         # document): 50 estimates per interval, rougher but 4× faster
MAX_UNITS = 20_000      # larger corpora (or groups) are estimated on a seeded sample of this many units
CONFIDENCE = 0.95


def _quapy():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import quapy as qp
        from quapy.method import aggregative
        from quapy.method.confidence import AggregativeBootstrap
    return qp, aggregative, AggregativeBootstrap


def methods() -> dict:
    _, agg, _ = _quapy()
    return {"cc": agg.CC, "pcc": agg.PCC, "acc": agg.ACC, "pacc": agg.PACC, "kdey": agg.KDEyML}


class Precomputed(ClassifierMixin, BaseEstimator):
    """A 'classifier' whose inputs are already its posteriors: lets quapy work on the model's saved scores."""

    def __init__(self, n_classes: int = 2):
        self.n_classes = n_classes

    def fit(self, X, y):
        self.classes_ = np.arange(self.n_classes)
        return self

    def predict_proba(self, X):
        return np.asarray(X, dtype=np.float64)

    def predict(self, X):
        return np.asarray(X).argmax(axis=1)


def _quantifier(method: str, gold_p: np.ndarray, gold_y: np.ndarray):
    table = methods()
    if method not in table:
        raise ValueError(f"unknown share method {method!r}; one of {', '.join(table)}")
    kwargs = {"solver": "exact-cc"} if method in ("acc", "pacc") else {}
    if method == "kdey":
        kwargs["random_state"] = 0
    if method in ("cc", "pcc"):
        return table[method](Precomputed(gold_p.shape[1]).fit(gold_p, gold_y), fit_classifier=False)
    return table[method](Precomputed(gold_p.shape[1]).fit(gold_p, gold_y), fit_classifier=False,
                         val_split=(gold_p, gold_y), **kwargs)


def _bootstrap_class():
    _, _, aggregative_bootstrap = _quapy()

    class GoldBootstrap(aggregative_bootstrap):
        """quapy's AggregativeBootstrap, whose gold-side resampling (``n_train_samples > 1``) fails in quapy 0.2.3
        on array predictions (it calls a LabelledCollection method on an ndarray): the same resampling, on arrays."""

        def aggregation_fit(self, classif_predictions, labels):
            rng = np.random.default_rng(self.random_state)
            self.quantifiers = []
            by_class = [np.flatnonzero(labels == c) for c in np.unique(labels)]
            for _ in range(self.n_train_samples):
                # resampled within each true label, so no label goes missing from a resample of a small gold set
                idx = np.concatenate([rng.choice(members, len(members)) for members in by_class])
                quantifier = copy.deepcopy(self.quantifier)
                quantifier.aggregation_fit(classif_predictions[idx], labels[idx])
                self.quantifiers.append(quantifier)
            return self

    return GoldBootstrap


@dataclass
class ShareEstimator:
    """Corrected shares of one label set (stance, or one frame as absent/present) from a gold set."""

    point: object           # the correction fitted on the whole gold set
    boot: object            # the same, refitted on gold resamples, with corpus resamples at estimate time
    method: str
    gold_n: int

    @classmethod
    def fit(cls, gold_p: np.ndarray, gold_y, method: str = DEFAULT_METHOD, gold_samples: int = GOLD_SAMPLES,
            corpus_samples: int = CORPUS_SAMPLES, seed: int = 0) -> ShareEstimator:
        gold_p, gold_y = np.asarray(gold_p, dtype=np.float64), np.asarray(gold_y)
        missing = sorted(set(range(gold_p.shape[1])) - set(gold_y.tolist()))
        if missing:
            raise ValueError(f"the gold set has no unit of label index {missing}: its share cannot be corrected")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            point = _quantifier(method, gold_p, gold_y)
            point.fit(gold_p, gold_y)
            boot = _bootstrap_class()(_quantifier(method, gold_p, gold_y), n_train_samples=gold_samples,
                                      n_test_samples=corpus_samples, confidence_level=CONFIDENCE, random_state=seed)
            boot.fit(gold_p, gold_y)
        return cls(point, boot, method, len(gold_y))

    def estimate(self, corpus_p: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Corrected shares and their 95% interval (low, high) for the corpus's posteriors (n × classes)."""
        import joblib

        corpus_p = np.asarray(corpus_p, dtype=np.float64)
        if len(corpus_p) > MAX_UNITS:
            corpus_p = corpus_p[np.random.default_rng(seed).choice(len(corpus_p), MAX_UNITS, replace=False)]
        with warnings.catch_warnings(), joblib.parallel_config(backend="sequential"):
            warnings.simplefilter("ignore")
            corrected = np.asarray(self.point.aggregate(self.point.classify(corpus_p)), dtype=np.float64)
            _, region = self.boot.predict_conf(corpus_p)
        return corrected, np.asarray(region.I_low), np.asarray(region.I_high)


def binary(p: np.ndarray) -> np.ndarray:
    """A frame's scores as absent/present posteriors."""
    p = np.asarray(p, dtype=np.float64)
    return np.column_stack([1.0 - p, p])


@dataclass
class CorpusShares:
    """Estimators for stance and every frame, fitted on one gold set; ``shares`` gives any group's figures."""

    stance_labels: list[str]
    frame_labels: list[str]
    stance: ShareEstimator
    frames: dict[str, ShareEstimator | None]
    gold: str
    method: str
    light: ShareEstimator | None = None   # stance, fewer resamples (``LIGHT_SAMPLES``), for groups without frames

    @classmethod
    def fit(cls, gold_stance_p, gold_frame_p, gold_rows: list[dict], stance_labels: list[str],
            frame_labels: list[str], gold: str, method: str = DEFAULT_METHOD, seed: int = 0,
            gold_samples: int = GOLD_SAMPLES, corpus_samples: int = CORPUS_SAMPLES) -> CorpusShares:
        from stanceframe.evaluation import label_arrays

        stance_y, frame_y = label_arrays(gold_rows, stance_labels, frame_labels)
        options = {"method": method, "seed": seed, "gold_samples": gold_samples, "corpus_samples": corpus_samples}
        absent = [label for j, label in enumerate(stance_labels) if not (np.asarray(stance_y) == j).any()]
        if absent:
            raise StanceframeError(f"{gold}: no gold unit has the stance {', '.join(map(repr, absent))}, so its share "
                                   "cannot be corrected; use a gold set with every stance")
        stance = ShareEstimator.fit(gold_stance_p, stance_y, **options)
        frames = {}
        for j, name in enumerate(frame_labels):
            try:
                frames[name] = ShareEstimator.fit(binary(np.asarray(gold_frame_p)[:, j]), frame_y[:, j].astype(int),
                                                  **options)
            except ValueError:
                frames[name] = None  # never (or always) present in the gold set: reported raw, not corrected
        light = ShareEstimator.fit(gold_stance_p, stance_y, method=method, seed=seed,
                                   gold_samples=min(gold_samples, LIGHT_SAMPLES[0]),
                                   corpus_samples=min(corpus_samples, LIGHT_SAMPLES[1]))
        return cls(stance_labels, frame_labels, stance, frames, gold, method, light)

    def shares(self, rows: list[dict], frames: bool = True) -> dict:
        """``{"n", "stance": {label: {raw, corrected, low, high}}, "frames": {...}}`` for prediction rows; with
        ``frames=False`` stance only, its interval from the lighter bootstrap (``LIGHT_SAMPLES``)."""
        if not rows:
            raise StanceframeError("no prediction rows to estimate shares of")
        stance_p = np.array([[r["stance_scores"][k] for k in self.stance_labels] for r in rows], dtype=np.float64)
        out = {"n": len(rows), "stance": {}}
        estimator = self.stance if frames or self.light is None else self.light
        corrected, low, high = estimator.estimate(stance_p)
        for j, label in enumerate(self.stance_labels):
            raw = sum(r["stance"] == label for r in rows) / len(rows)
            out["stance"][label] = _figure(raw, corrected[j], low[j], high[j])
        if frames:
            out["frames"] = {}
            for name in self.frame_labels:
                raw = sum(name in r["frames"] for r in rows) / len(rows)
                if self.frames[name] is None:
                    out["frames"][name] = {"raw": round(raw, 4), "corrected": None, "low": None, "high": None,
                                           "note": "the gold set never has it (or always): not corrected"}
                    continue
                p = np.array([r["frame_scores"][name] for r in rows], dtype=np.float64)
                corrected, low, high = self.frames[name].estimate(binary(p))
                out["frames"][name] = _figure(raw, corrected[1], low[1], high[1])
        return out

    def summary(self, rows: list[dict]) -> dict:
        """The overall figures in the shape `stanceframe summary --json` writes."""
        return {**self.shares(rows), "method": f"{self.method} (quapy), 95% bootstrap over gold and corpus units",
                "gold": self.gold, "gold_n": self.stance.gold_n}


def _figure(raw: float, corrected: float, low: float, high: float) -> dict:
    return {"raw": round(float(raw), 4), "corrected": round(float(corrected), 4), "low": round(float(low), 4),
            "high": round(float(high), 4)}


def gold_for_shares(model, gold: str | None, pool_with_test: bool = True) -> tuple[list[dict], str]:
    """The gold units a correction is fitted on: the model's test split, plus the user's gold units when given
    (``pool_with_test=False``: the user's only). Returns the rows and a description naming the files."""
    from stanceframe.data import load_gold
    from stanceframe.modeling import model_gold_file

    rows, names = [], []
    if gold is None or pool_with_test:
        test_file = model_gold_file(model.model_dir, "test")
        rows += load_gold(test_file, model.schema)
        names.append(str(test_file))
    if gold is not None:
        rows += load_gold(gold, model.schema)
        names.append(str(gold))
    return rows, " + ".join(names)


def corpus_shares_for(model, gold: str | None = None, pool_with_test: bool = True,
                      method: str = DEFAULT_METHOD) -> CorpusShares:
    """Fit the share corrections of a loaded ``Classifier`` on its gold set (see ``gold_for_shares``)."""
    rows, described = gold_for_shares(model, gold, pool_with_test)
    stance_p, frame_p = model.calibrated_probs([r["text"] for r in rows], [r["kind"] for r in rows])
    return CorpusShares.fit(stance_p, frame_p, rows, model.stance_labels, model.frame_labels, described, method)


MIN_DOC_UNITS = 10   # per-document corrected shares only for documents with at least this many units ...
MAX_DOCS = 100       # ... and at most this many (the largest); every document's raw counts are in the report's CSV


def group_shares(shares: CorpusShares, rows: list[dict], groupings: dict) -> list[dict]:
    """Figures for every group: ``groupings`` maps a grouping name to ``key(row)`` (None leaves a row out) and
    whether frames are estimated too. One record per group, label set and label (the report's shares.csv)."""
    records = []
    for grouping, (key, with_frames) in groupings.items():
        groups: dict = {}
        for row in rows:
            value = key(row)
            if value is not None:
                groups.setdefault(str(value), []).append(row)
        if grouping == "document":
            groups = dict(sorted(((k, v) for k, v in groups.items() if len(v) >= MIN_DOC_UNITS),
                                 key=lambda kv: -len(kv[1]))[:MAX_DOCS])
        for value, members in sorted(groups.items()):
            figures = shares.shares(members, frames=with_frames)
            for label_set in ("stance", "frames"):
                for label, fig in (figures.get(label_set) or {}).items():
                    records.append({"grouping": grouping, "group": value, "n": len(members), "labels": label_set,
                                    "label": label, **fig})
    return records
