"""Calibrated scores, conformal stance sets and corrected corpus shares (issue 17)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import read_jsonl

from stanceframe.calibration import CALIBRATION_NAME, Calibration, brier, expected_calibration_error
from stanceframe.conformal import StanceSets, set_coverage
from stanceframe.errors import StanceframeError
from stanceframe.shares import CorpusShares, ShareEstimator


def overconfident(n: int, seed: int, classes: int = 4, accuracy: float = 0.6, confidence: float = 0.95):
    """Units whose top stance gets ``confidence`` but is right only ``accuracy`` of the time."""
    rng = np.random.default_rng(seed)
    top = rng.integers(0, classes, n)
    right = rng.random(n) < accuracy
    truth = np.where(right, top, (top + rng.integers(1, classes, n)) % classes)
    probs = np.full((n, classes), (1 - confidence) / (classes - 1))
    probs[np.arange(n), top] = confidence
    return probs, truth


def test_temperature_scaling_halves_the_ece_of_an_overconfident_model_and_keeps_its_decisions(tmp_path):
    probs, truth = overconfident(3000, seed=0)
    frames_p = np.random.default_rng(1).random((3000, 2))
    frames_y = (np.random.default_rng(2).random((3000, 2)) < frames_p * 0.5).astype(int)
    calibration = Calibration.fit(probs, truth, frames_p, frames_y, ["a", "b"])
    assert calibration.stance_weight < 1  # softened: temperature above 1
    test_p, test_y = overconfident(3000, seed=3)
    before, after = expected_calibration_error(test_p, test_y), expected_calibration_error(calibration.stance(test_p),
                                                                                           test_y)
    assert before == pytest.approx(0.35, abs=0.03)  # 0.95 confidence, 0.6 accuracy
    assert after < before / 2
    assert brier(calibration.stance(test_p), test_y) < brier(test_p, test_y)
    assert (calibration.stance(test_p).argmax(1) == test_p.argmax(1)).all()
    scaled = calibration.frames_of(frames_p, ["a", "b"])
    assert (np.argsort(scaled[:, 0]) == np.argsort(frames_p[:, 0])).all()  # order kept, so decisions are too
    assert scaled[:, 0].mean() == pytest.approx(frames_y[:, 0].mean(), abs=0.03)
    calibration.save(tmp_path)
    loaded = Calibration.load(tmp_path)
    assert np.allclose(loaded.stance(test_p), calibration.stance(test_p))
    assert Calibration.load(tmp_path / "elsewhere") is None


def test_conformal_sets_reach_the_asked_coverage_on_exchangeable_units():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(4) * 0.7, 6000)
    truth = np.array([rng.choice(4, p=p) for p in probs])  # labels drawn from the probabilities
    labels = ["w", "x", "y", "z"]
    for coverage in (0.8, 0.9):
        sets = StanceSets.fit(probs[:3000], truth[:3000], labels, coverage, "synthetic")
        reached, size = set_coverage(sets.membership(probs[3000:]), truth[3000:])
        assert abs(reached - coverage) < 0.03
        assert 1 <= size < 4
        again = StanceSets.fit(probs[:3000], truth[:3000], labels, coverage, "synthetic")
        assert (again.membership(probs[3000:]) == sets.membership(probs[3000:])).all()  # the same sets every run
        assert (sets.membership(probs[3000:3100]) == sets.membership(probs[3000:])[:100]).all()  # in any chunk
    named = StanceSets.fit(probs[:3000], truth[:3000], labels, 0.9, "synthetic").sets(probs[3000:3010])
    assert all(s == sorted(s, key=lambda lab: -probs[3000 + i][labels.index(lab)]) for i, s in enumerate(named))
    with pytest.raises(ValueError):
        StanceSets.fit(probs, truth, labels, 1.5, "synthetic")


def confused(prevalence, confusion: np.ndarray, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """True labels with the given prevalence; one-hot 'posteriors' of predictions drawn from confusion[true]."""
    truth = rng.choice(len(prevalence), n, p=prevalence)
    pred = np.array([rng.choice(len(prevalence), p=confusion[t]) for t in truth])
    return np.eye(len(prevalence))[pred], truth


def test_adjusted_counting_recovers_known_shares_from_a_known_confusion_matrix():
    rng = np.random.default_rng(0)
    confusion = np.array([[0.7, 0.2, 0.1], [0.3, 0.6, 0.1], [0.1, 0.1, 0.8]])  # row: true label, P(predicted)
    gold_p, gold_y = confused([1 / 3, 1 / 3, 1 / 3], confusion, 6000, rng)
    truth = np.array([0.2, 0.5, 0.3])
    corpus_p, _ = confused(truth, confusion, 20000, rng)
    raw = corpus_p.mean(axis=0)
    assert np.abs(raw - truth).max() > 0.1  # counting is biased here
    estimator = ShareEstimator.fit(gold_p, gold_y, method="acc", gold_samples=20, corpus_samples=5)
    corrected, low, high = estimator.estimate(corpus_p)
    assert np.abs(corrected - truth).max() < 0.03
    assert ((low <= truth) & (truth <= high)).all()
    assert (high - low).max() < 0.1


def share_rows(probs: np.ndarray, labels: list[str], frames: list[str], kinds) -> list[dict]:
    return [{"id": str(i), "doc_id": f"d{i % 7}", "kind": kinds[i % len(kinds)], "text": "x",
             "stance": labels[int(p.argmax())], "stance_scores": dict(zip(labels, map(float, p))),
             "frames": [frames[0]] if p[0] > 0.5 else [], "frame_scores": {frames[0]: float(p[0])}}
            for i, p in enumerate(probs)]


def test_report_and_summary_figures_carry_intervals(tmp_path):
    from stanceframe.inference.report import build_report
    from stanceframe.inference.summary import shares_table

    labels, frames = ["a", "b", "c"], ["f"]
    rng = np.random.default_rng(0)
    confusion = np.array([[0.7, 0.2, 0.1], [0.3, 0.6, 0.1], [0.1, 0.1, 0.8]])
    gold_p, gold_y = confused([1 / 3, 1 / 3, 1 / 3], confusion, 600, rng)
    gold_rows = [{"stance": labels[y], "frames": [frames[0]] if p[0] > 0.5 else []} for p, y in zip(gold_p, gold_y)]
    shares = CorpusShares.fit(gold_p, gold_p[:, :1], gold_rows, labels, frames, "gold.jsonl", method="acc",
                              gold_samples=5, corpus_samples=4)
    rows = share_rows(confused([0.2, 0.5, 0.3], confusion, 300, rng)[0], labels, frames, ["comment", "paragraph"])
    figures = shares.summary(rows)
    assert figures["n"] == 300 and figures["gold_n"] == 600 and figures["gold"] == "gold.jsonl"
    for label in labels:
        fig = figures["stance"][label]
        assert set(fig) == {"raw", "corrected", "low", "high"} and fig["low"] <= fig["corrected"] <= fig["high"]
    assert set(figures["frames"]) == {"f"}
    assert "95% interval" in shares_table(figures)
    page = build_report(rows, tmp_path / "report", shares=shares)
    html = page.read_text(encoding="utf-8")
    assert "Corrected shares" in html and "95% interval" in html
    written = (tmp_path / "report" / "shares.csv").read_text(encoding="utf-8").splitlines()
    assert written[0] == "grouping,group,n,labels,label,raw,corrected,low,high"
    groupings = {line.split(",")[0] for line in written[1:]}
    assert {"all units", "kind"} <= groupings
    assert (tmp_path / "report" / "shares_kind.png").exists()
    # a gold set without one of the stances names the stance and the file
    with pytest.raises(StanceframeError, match=r"gold\.jsonl: no gold unit has the stance 'c'"):
        CorpusShares.fit(gold_p[gold_y != 2], gold_p[gold_y != 2, :1],
                         [r for r, y in zip(gold_rows, gold_y) if y != 2], labels, frames, "gold.jsonl", method="acc")


def test_trained_model_is_calibrated_and_classify_adds_prediction_sets(tiny_model, tiny_data, tmp_path):
    from stanceframe.classifier import Classifier
    from stanceframe.cli import main

    saved = json.loads((tiny_model / CALIBRATION_NAME).read_text(encoding="utf-8"))
    assert saved["fitted_on"]["split"] == "dev" and saved["stance"]["weight"] > 0
    out = tmp_path / "pred.jsonl"
    assert main(["classify", str(tiny_data["test"]), "--model", str(tiny_model), "--out", str(out), "--quiet",
                 "--coverage", "0.9", "--calibration-data", str(tiny_data["dev"])]) == 0
    rows = read_jsonl(out)
    clf = Classifier(tiny_model)
    assert all(set(r["stance_set"]) <= set(clf.stance_labels) for r in rows)
    assert all(r["ambiguous"] == (len(r["stance_set"]) != 1) for r in rows)
    raw, _, _ = clf.probs([r["text"] for r in rows], [r["kind"] for r in rows])
    written = np.array([[r["stance_scores"][k] for k in clf.stance_labels] for r in rows])
    assert np.allclose(written, clf.calibration.stance(raw), atol=1e-4)  # scores are the calibrated ones


def test_summary_json_has_the_documented_shape(tiny_model, tiny_data, tmp_path):
    from stanceframe.cli import main

    out = tmp_path / "pred.jsonl"
    assert main(["classify", str(tiny_data["test"]), "--model", str(tiny_model), "--out", str(out), "--quiet"]) == 0
    target = tmp_path / "shares.json"
    assert main(["summary", str(out), "--model", str(tiny_model), "--gold", str(tiny_data["dev"]),
                 "--method", "pacc", "--json", str(target)]) == 0
    figures = json.loads(target.read_text(encoding="utf-8"))
    assert figures["n"] == len(read_jsonl(out))
    assert figures["gold_n"] == 2 * len(read_jsonl(tiny_data["dev"]))  # the test split pooled with --gold
    assert str(tiny_data["dev"]) in figures["gold"] and "pacc" in figures["method"]
    for group in ("stance", "frames"):
        for fig in figures[group].values():
            assert fig["low"] <= fig["high"] and 0 <= fig["raw"] <= 1
