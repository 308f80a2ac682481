"""A loaded model (or ensemble) that turns units into prediction rows: the public way to classify from Python.

    >>> from stanceframe import Classifier
    >>> clf = Classifier("models/default")                      # doctest: +SKIP
    >>> row = clf.predict_texts(["Beijing firmly opposes the deal."])[0]  # doctest: +SKIP
    >>> row["stance"], row["frames"]                           # doctest: +SKIP
    ('chinese_official', ['sovereignty_interference'])

``Classifier.predict`` takes unit dicts (``text``, optional ``kind``, ``id``, ...) and returns one row per unit
with ``stance``, ``stance_scores``, ``frames``, ``frame_scores``, ``truncated`` and ``warnings``. For files and
folders use ``stanceframe.inference.classify_paths`` (streaming, resumable) or the ``stanceframe classify`` command.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from stanceframe.calibration import Calibration
from stanceframe.ensemble import is_ensemble, read_members, weighted_mean
from stanceframe.errors import ModelDirError
from stanceframe.modeling import (
    SCHEMA_NAME,
    THRESHOLDS_INT8_NAME,
    THRESHOLDS_NAME,
    TRAINING_ARGS_NAME,
    load_model,
    read_model_json,
)
from stanceframe.precision import DEFAULT_PRECISION, in_precision, resolve_precision
from stanceframe.predict import decide, predict_probs, release_memory
from stanceframe.schema import LabelSchema


def check_schema(model_schema: LabelSchema, wanted: LabelSchema, model_dir: Path, wanted_path) -> None:
    """A model trained on other labels than the schema the user asked for is an error, not a surprise."""
    for group in ("stance_names", "frame_names"):
        have, want = getattr(model_schema, group), getattr(wanted, group)
        if have != want:
            raise ModelDirError(f"{model_dir} was trained on other {group.split('_')[0]} labels than {wanted_path}: "
                                f"model has {', '.join(have)}; schema has {', '.join(want)}")


def mostly_latin(text: str) -> bool:
    """False for text whose letters are mostly outside the Latin script (the model reads English only)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return True
    return sum(1 for ch in letters if ch < "\u0250") / len(letters) >= 0.5


class Member:
    """One saved model, loaded in one precision: texts in, stance and frame probabilities out."""

    def __init__(self, model_dir: Path, precision: str, max_length: int | None, max_tokens: int):
        self.model_dir = model_dir
        self.model, self.tokenizer, self.thresholds, self.schema = load_model(model_dir)
        self.precision = resolve_precision(precision, self.model.config)
        self.model = in_precision(self.model, self.precision)
        if self.precision == "int8":
            # thresholds re-tuned on dev for the int8 model at training time, where the model has them;
            # bf16 rounds the fp32 model and keeps its thresholds
            self.thresholds = read_model_json(model_dir, THRESHOLDS_INT8_NAME) or self.thresholds
        trained_length = read_model_json(model_dir, TRAINING_ARGS_NAME).get("max_length", 256)
        self.max_length = max_length or trained_length
        self.max_tokens = max_tokens

    def probs(self, texts: list[str], kinds: list[str | None]):
        return predict_probs(self.model, self.tokenizer, texts, kinds, max_length=self.max_length,
                             max_tokens=self.max_tokens)


class Classifier:
    """A loaded model (or ensemble of models) that turns units into prediction rows."""

    def __init__(self, model_dir: str | Path, max_length: int | None = None, max_tokens: int = 8192,
                 num_threads: int = 0, precision: str = DEFAULT_PRECISION, expect_schema: str | Path | None = None):
        if num_threads:
            torch.set_num_threads(num_threads)
        self.model_dir = Path(model_dir)
        if is_ensemble(self.model_dir):
            self.members = [(Member(path, precision, max_length, max_tokens), weight)
                            for path, weight in read_members(self.model_dir)]
            self.schema = LabelSchema.load(self.model_dir / SCHEMA_NAME)
            self.thresholds = read_model_json(self.model_dir, THRESHOLDS_NAME)
            for member, _ in self.members:
                check_schema(member.schema, self.schema, member.model_dir, self.model_dir / SCHEMA_NAME)
        else:
            member = Member(self.model_dir, precision, max_length, max_tokens)
            self.members = [(member, 1.0)]
            self.schema, self.thresholds = member.schema, member.thresholds
        # e.g. "bf16"; "fp32+int8" when the members of an ensemble run in different precisions
        self.precision = "+".join(dict.fromkeys(member.precision for member, _ in self.members))
        if expect_schema is not None:
            check_schema(self.schema, LabelSchema.load(expect_schema), self.model_dir, expect_schema)
        # scores are written calibrated when the model has a calibration (decisions use the raw probabilities)
        self.calibration = Calibration.load(self.model_dir)
        self.conformal = None  # set by ``with_coverage``: a stance prediction set per unit

    @property
    def stance_labels(self) -> list[str]:
        return self.schema.stance_names

    @property
    def frame_labels(self) -> list[str]:
        return self.schema.frame_names

    def probs(self, texts: list[str], kinds: list[str | None]):
        """Stance (n × S) and frame (n × F) probabilities, weighted over the members, and a truncated flag each."""
        outputs = [member.probs(texts, kinds) for member, _ in self.members]
        weights = [weight for _, weight in self.members]
        truncated = [any(flags) for flags in zip(*(out[2] for out in outputs))]
        return (weighted_mean([out[0] for out in outputs], weights), weighted_mean([out[1] for out in outputs], weights),
                truncated)

    def predict(self, units: list[dict]) -> list[dict]:
        """One prediction row per unit, in input order."""
        stance_p, frame_p, truncated = self.probs([u["text"] for u in units], [u.get("kind") for u in units])
        release_memory()
        return self.rows(units, stance_p, frame_p, truncated)

    def rows(self, units: list[dict], stance_p, frame_p, truncated: list[bool]) -> list[dict]:
        """Prediction rows from the model's raw probabilities (what ``predict`` returns)."""
        stances, frames = decide(stance_p, frame_p, self.stance_labels, self.frame_labels, self.thresholds)
        stance_p, frame_p = self.calibrated(stance_p, frame_p)
        sets = self.conformal.sets(stance_p) if self.conformal is not None else None
        rows = []
        for i, unit in enumerate(units):
            warnings = list(unit.get("warnings") or [])
            if truncated[i]:
                warnings.append("truncated")
            if not mostly_latin(unit["text"]):
                warnings.append("not_english")
            rows.append({**unit, "warnings": warnings, "stance": stances[i],
                         "stance_scores": {k: round(float(v), 5) for k, v in zip(self.stance_labels, stance_p[i])},
                         "frames": frames[i],
                         "frame_scores": {k: round(float(v), 5) for k, v in zip(self.frame_labels, frame_p[i])},
                         "truncated": bool(truncated[i])})
            if sets is not None:
                rows[-1]["stance_set"] = sets[i]
                rows[-1]["ambiguous"] = len(sets[i]) != 1
        return rows

    @property
    def score_thresholds(self) -> dict[str, float]:
        """The frame thresholds on the scale of the written ``frame_scores``: a frame is predicted when its raw
        probability reaches its threshold, so with a calibration the threshold moves with the scores (monotone)."""
        if self.calibration is None:
            return dict(self.thresholds)
        names = [name for name in self.frame_labels if name in self.thresholds]
        raw = np.array([[self.thresholds[name] for name in names]])
        mapped = self.calibration.frames_of(raw, names)[0]
        return {**self.thresholds, **{name: float(t) for name, t in zip(names, mapped)}}

    def calibrated_probs(self, texts: list[str], kinds: list[str | None]):
        """Stance and frame probabilities as ``predict`` writes them (calibrated where the model has a calibration)."""
        stance_p, frame_p, _ = self.probs(texts, kinds)
        return self.calibrated(stance_p, frame_p)

    def calibrated(self, stance_p, frame_p):
        """Raw probabilities through the model's calibration (unchanged for a model saved without one)."""
        if self.calibration is None:
            return stance_p, frame_p
        return self.calibration.stance(stance_p), self.calibration.frames_of(frame_p, self.frame_labels)

    def with_coverage(self, coverage: float, gold_rows: list[dict], source: str) -> Classifier:
        """Add to every prediction the smallest set of stances that holds the true one with probability
        ``coverage`` (split-conformal, calibrated on ``gold_rows``): ``stance_set`` and ``ambiguous``."""
        from stanceframe.conformal import StanceSets

        stance_p, _ = self.calibrated_probs([r["text"] for r in gold_rows], [r.get("kind") for r in gold_rows])
        self.conformal = StanceSets.fit(stance_p, [self.stance_labels.index(r["stance"]) for r in gold_rows],
                                        self.stance_labels, coverage, source)
        return self

    def predict_texts(self, texts: list[str], kind: str = "paragraph") -> list[dict]:
        return self.predict([{"id": str(i), "text": t, "kind": kind} for i, t in enumerate(texts)])


def model_schema(model_dir: str | Path) -> LabelSchema:
    """The labels of a saved model or ensemble; loads every model in it, so a broken directory fails here."""
    model_dir = Path(model_dir)
    if is_ensemble(model_dir):
        for member, _ in read_members(model_dir):
            load_model(member)
        return LabelSchema.load(model_dir / SCHEMA_NAME)
    return load_model(model_dir)[3]
