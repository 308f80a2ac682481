"""Calibrated scores: temperature scaling of stance and per-frame logistic (Platt) scaling, and how to measure them.

The scalers are fitted with netcal (``TemperatureScaling``, ``LogisticCalibration``) on a gold set — the dev split
at training time, or the user's own gold units with ``stanceframe calibrate`` — and stored as plain numbers in
``calibration.json`` beside the model, so a saved model applies them without netcal or pickles:

    stance:  softmax(w · log p)            (w = 1 / temperature; the argmax, hence the stance, is unchanged)
    frame f: sigmoid(a_f · logit(p_f) + b_f)

Decisions are taken on the uncalibrated probabilities (frame thresholds were tuned on them), so calibration
changes the scores a researcher reads and aggregates, never the labels. Expected calibration error (ECE, 15 bins,
top label) comes from netcal, Brier scores from scikit-learn.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from stanceframe.errors import ModelDirError

CALIBRATION_NAME = "calibration.json"
ECE_BINS = 15
EPS = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p) - np.log1p(-p)


def _netcal():
    # netcal warns about its own deprecated torch calls on import and fit; those warnings are not the user's business
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from netcal.scaling import LogisticCalibration, TemperatureScaling
    return TemperatureScaling, LogisticCalibration


@dataclass
class Calibration:
    """Fitted scalers: stance weight (1 / temperature) and one (a, b) pair per frame."""

    stance_weight: float = 1.0
    frames: dict[str, tuple[float, float]] = field(default_factory=dict)
    fitted_on: dict = field(default_factory=dict)    # what the scalers were fitted on (file, units)

    @classmethod
    def fit(cls, stance_p: np.ndarray, stance_y: np.ndarray, frame_p: np.ndarray, frame_y: np.ndarray,
            frame_labels: list[str], fitted_on: dict | None = None) -> Calibration:
        """Fit on gold: stance probabilities (n × S) with true indices (n,), frame probabilities (n × F) with the
        true multi-hot matrix (n × F). A frame that is always or never present in the gold keeps (1, 0)."""
        temperature_scaling, logistic = _netcal()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ts = temperature_scaling()
            ts.fit(np.asarray(stance_p, dtype=np.float64), np.asarray(stance_y))
            weight = float(np.ravel(ts.weights)[0])
            frames = {}
            for j, name in enumerate(frame_labels):
                y = np.asarray(frame_y[:, j]).astype(int)
                if y.min() == y.max():
                    frames[name] = (1.0, 0.0)
                    continue
                platt = logistic(temperature_only=False)
                platt.fit(np.asarray(frame_p[:, j], dtype=np.float64), y)
                a, b = float(np.ravel(platt.weights)[0]), float(np.ravel(platt.intercept)[0])
                frames[name] = (a, b) if a > 0 else (1.0, 0.0)  # a scaler that reverses the order is not kept
        return cls(weight, frames, dict(fitted_on or {}))

    def stance(self, stance_p: np.ndarray) -> np.ndarray:
        logits = self.stance_weight * np.log(np.clip(np.asarray(stance_p, dtype=np.float64), EPS, 1.0))
        logits -= logits.max(axis=1, keepdims=True)
        out = np.exp(logits)
        return out / out.sum(axis=1, keepdims=True)

    def frames_of(self, frame_p: np.ndarray, frame_labels: list[str]) -> np.ndarray:
        frame_p = np.asarray(frame_p, dtype=np.float64)
        out = frame_p.copy()
        for j, name in enumerate(frame_labels):
            a, b = self.frames.get(name, (1.0, 0.0))
            out[:, j] = 1.0 / (1.0 + np.exp(-(a * _logit(frame_p[:, j]) + b)))
        return out

    def to_dict(self) -> dict:
        return {"stance": {"weight": self.stance_weight, "temperature": 1.0 / self.stance_weight},
                "frames": {name: {"a": a, "b": b} for name, (a, b) in self.frames.items()},
                "fitted_on": self.fitted_on}

    @classmethod
    def from_dict(cls, raw: dict, source: str = CALIBRATION_NAME) -> Calibration:
        try:
            return cls(float(raw["stance"]["weight"]),
                       {name: (float(v["a"]), float(v["b"])) for name, v in raw.get("frames", {}).items()},
                       raw.get("fitted_on", {}))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelDirError(f"{source}: not a stanceframe calibration file ({exc})") from None

    @classmethod
    def load(cls, model_dir: str | Path) -> Calibration | None:
        """The model's calibration, or None for a model saved without one."""
        import json

        path = Path(model_dir) / CALIBRATION_NAME
        if not path.exists():
            return None
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ModelDirError(f"{path}: not valid JSON ({exc})") from None
        return cls.from_dict(raw, str(path))

    def save(self, model_dir: str | Path) -> Path:
        from stanceframe.modeling import write_json

        path = Path(model_dir) / CALIBRATION_NAME
        write_json(path, self.to_dict())
        return path


def expected_calibration_error(stance_p: np.ndarray, stance_y: np.ndarray, bins: int = ECE_BINS) -> float:
    """Top-label ECE (netcal) of stance probabilities against true indices."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from netcal.metrics import ECE

        return float(ECE(bins).measure(np.asarray(stance_p, dtype=np.float64), np.asarray(stance_y)))


def brier(stance_p: np.ndarray, stance_y: np.ndarray) -> float:
    """Multi-class Brier score (scikit-learn): mean squared distance of the probabilities from the one-hot truth."""
    from sklearn.metrics import brier_score_loss

    stance_p = np.asarray(stance_p, dtype=np.float64)
    stance_p = stance_p / stance_p.sum(axis=1, keepdims=True)  # float32 model output sums to 1 only within 1e-7
    return float(brier_score_loss(np.asarray(stance_y), stance_p, labels=list(range(stance_p.shape[1]))))


def frame_brier(frame_p: np.ndarray, frame_y: np.ndarray) -> float:
    """Mean over frames of the binary Brier score."""
    return float(np.mean((np.asarray(frame_p, dtype=np.float64) - np.asarray(frame_y, dtype=np.float64)) ** 2))


def calibration_metrics(stance_p, stance_y, frame_p, frame_y, calibration: Calibration | None,
                        frame_labels: list[str]) -> dict:
    """ECE and Brier before and (with a calibration) after scaling."""
    out = {"uncalibrated": {"stance_ece": expected_calibration_error(stance_p, stance_y),
                            "stance_brier": brier(stance_p, stance_y), "frames_brier": frame_brier(frame_p, frame_y)}}
    if calibration is not None:
        cal_s, cal_f = calibration.stance(stance_p), calibration.frames_of(frame_p, frame_labels)
        out["calibrated"] = {"stance_ece": expected_calibration_error(cal_s, stance_y),
                             "stance_brier": brier(cal_s, stance_y), "frames_brier": frame_brier(cal_f, frame_y),
                             "fitted_on": calibration.fitted_on}
    return out


def reliability_diagram(stance_p, stance_y, path: Path, title: str, bins: int = ECE_BINS) -> Path:
    """netcal's reliability diagram of stance confidence, saved as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from netcal.presentation import ReliabilityDiagram

        fig = ReliabilityDiagram(bins).plot(np.asarray(stance_p, dtype=np.float64), np.asarray(stance_y),
                                            title_suffix=title)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def fit_on_rows(stance_p: np.ndarray, frame_p: np.ndarray, rows: list[dict], stance_labels: list[str],
                frame_labels: list[str], fitted_on: dict | None = None) -> Calibration:
    """``Calibration.fit`` against gold rows (with ``stance`` and ``frames``) in the order of the probabilities."""
    from stanceframe.evaluation import label_arrays

    stance_y, frame_y = label_arrays(rows, stance_labels, frame_labels)
    return Calibration.fit(stance_p, stance_y, frame_p, frame_y, frame_labels,
                           {"units": len(rows), **(fitted_on or {})})


def calibrate_model(model_dir: str | Path, data: str | Path | None = None, precision: str = "fp32") -> dict:
    """`stanceframe calibrate`: fit the model's calibration on ``data`` (default: its dev split), write it into the
    model directory (replacing the one fitted at training time) and return ECE/Brier on ``data`` before and after.
    Fitted on your own gold units, the scores, shares and prediction sets follow your material, not the team's text."""
    from stanceframe.classifier import Classifier
    from stanceframe.data import load_gold
    from stanceframe.evaluation import label_arrays
    from stanceframe.modeling import model_gold_file

    classifier = Classifier(model_dir, precision=precision)
    gold_file = model_gold_file(model_dir, "dev", data)
    gold = load_gold(gold_file, classifier.schema)
    stance_p, frame_p, _ = classifier.probs([g["text"] for g in gold], [g["kind"] for g in gold])
    calibration = fit_on_rows(stance_p, frame_p, gold, classifier.stance_labels, classifier.frame_labels,
                              {"file": str(gold_file), "split": "user" if data else "dev"})
    calibration.save(model_dir)
    stance_y, frame_y = label_arrays(gold, classifier.stance_labels, classifier.frame_labels)
    return calibration_metrics(stance_p, stance_y, frame_p, frame_y, calibration, classifier.frame_labels)
