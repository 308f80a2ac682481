"""Metric values against hand-computed examples, intervals, thresholds and the evaluate command."""

from __future__ import annotations

import json
import shutil

import evaluate
import numpy as np
import pytest
from conftest import make_rows, write_jsonl

from stanceframe.cli import main
from stanceframe.evaluation import METRIC_SCRIPT
from stanceframe.scoring import bootstrap_intervals, paired_bootstrap, tune_thresholds


def test_single_label_metric_by_hand():
    metric = evaluate.load(str(METRIC_SCRIPT), "single_label")
    # gold:  a a a b b c ; pred: a a b b c c
    result = metric.compute(predictions=[0, 0, 1, 1, 2, 2], references=[0, 0, 0, 1, 1, 2], labels=["a", "b", "c"])
    assert result["accuracy"] == pytest.approx(4 / 6)
    # a: P 2/2 R 2/3 F1 .8 ; b: P 1/2 R 1/2 F1 .5 ; c: P 1/2 R 1/1 F1 2/3
    assert result["per_label"]["a"] == {"precision": 1.0, "recall": pytest.approx(2 / 3), "f1": pytest.approx(0.8),
                                        "support": 3}
    assert result["per_label"]["c"]["f1"] == pytest.approx(2 / 3)
    assert result["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert result["confusion"] == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]


def test_multi_label_metric_by_hand():
    metric = evaluate.load(str(METRIC_SCRIPT), "multi_label")
    refs = [[1, 0, 1], [0, 1, 0], [1, 1, 0]]
    preds = [[1, 0, 0], [0, 1, 1], [1, 0, 0]]
    result = metric.compute(predictions=preds, references=refs, labels=["x", "y", "z"])
    # x: tp2 ; y: tp1 fn1 ; z: fp1 fn1 → micro tp3 fp1 fn2 → P .75 R .6 F1 2/3
    assert result["micro_f1"] == pytest.approx(2 / 3)
    assert result["per_label"]["x"]["f1"] == 1.0
    assert result["per_label"]["y"]["f1"] == pytest.approx(2 / 3)
    assert result["per_label"]["z"]["f1"] == 0.0
    assert result["macro_f1"] == pytest.approx((1 + 2 / 3 + 0) / 3)
    assert result["per_label"]["y"]["support"] == 2


def test_label_absent_everywhere_is_left_out_of_macro_average():
    metric = evaluate.load(str(METRIC_SCRIPT), "single_label")
    result = metric.compute(predictions=[0, 1], references=[0, 1], labels=["a", "b", "never"])
    assert result["macro_f1"] == 1.0


def test_bootstrap_intervals_against_hand_computed_binomial_intervals():
    # accuracy 320/400 = 0.8: the normal interval by hand is 0.8 ± 1.96 × sqrt(0.8 × 0.2 / 400) = [0.761, 0.839]
    gold = np.zeros(400, int)
    pred = gold.copy()
    pred[:80] = 1
    frames = np.zeros((400, 2), bool)
    frames[::3, 0] = True
    ci = bootstrap_intervals(gold, pred, frames, frames, ["a", "b"], ["x", "y"], n_boot=2000)
    assert ci["stance_accuracy"] == pytest.approx([0.761, 0.839], abs=0.01)
    assert ci["frames_micro_f1"] == [1.0, 1.0]  # perfect on every resample: no spread, not BCa's undefined NaN
    # 19/20 right: Wilson by hand [0.764, 0.991]; the percentile interval would start at 0.85 and under-cover
    small = bootstrap_intervals(gold[:20], pred[79:99], frames[:20], frames[:20], ["a", "b"], ["x", "y"], n_boot=2000)
    assert small["stance_accuracy"][0] <= 0.8 and small["stance_accuracy"][1] == 1.0


def test_paired_interval_matches_the_hand_computed_wilson_interval():
    # one model right on every unit, the other wrong on 10 of 200: the paired difference in accuracy is a proportion,
    # 10/200 = 0.05, whose Wilson interval by hand is (10 + 1.92 ± 1.96 × sqrt(9.5 + 0.96)) / 203.84 = [0.027, 0.090]
    truth = np.zeros(200, int)
    worse = truth.copy()
    worse[:10] = 1
    frames = np.zeros((200, 1), int)
    paired = paired_bootstrap(truth, frames, (truth, frames), (worse, frames), ["a", "b"], ["x"], n_boot=2000)
    assert paired["stance_accuracy"]["difference"] == pytest.approx(0.05)
    assert paired["stance_accuracy"]["ci"] == pytest.approx([0.027, 0.090], abs=0.006)


def test_threshold_tuning_finds_the_separating_cut():
    y = np.array([[1], [1], [0], [0]], dtype=bool)
    probs = np.array([[0.9], [0.7], [0.3], [0.1]])
    cut = tune_thresholds(y, probs, ["x"])["x"]
    assert 0.3 < cut <= 0.7
    assert tune_thresholds(np.zeros((2, 1), bool), probs[:2], ["x"]) == {"x": 0.5}


def test_evaluate_command_writes_the_documented_shape(tiny_model, tiny_data, tmp_path, schema):
    gold = make_rows("gold")
    for row in gold:
        row["extra"] = "ignored"
    gold_path = write_jsonl(tmp_path / "gold.jsonl", gold)
    out = tmp_path / "m.json"
    assert main(["evaluate", "--model", str(tiny_model), "--data", str(gold_path), "--json", str(out),
                 "--report", str(tmp_path / "report"), "--n-boot", "50", "--precision", "int8"]) == 0
    metrics = json.loads(out.read_text())
    assert metrics["n"] == len(gold)
    assert metrics["precision"] == "int8"  # which arithmetic produced the figures
    assert set(metrics["stance"]) >= {"accuracy", "macro_f1", "per_label", "labels", "confusion"}
    assert metrics["stance"]["labels"] == schema.stance_names
    assert set(metrics["stance"]["per_label"]["critical"]) == {"precision", "recall", "f1", "support"}
    assert np.asarray(metrics["stance"]["confusion"]).sum() == len(gold)
    assert set(metrics["frames"]) >= {"micro_f1", "macro_f1", "per_label"}
    for name in ("majority", "tfidf_logreg"):
        assert set(metrics["baselines"][name]) >= {"stance_macro_f1", "frames_micro_f1"}
    # majority baseline: the training data's most common stance is 'critical' (4 of 12), predicted for every unit:
    # critical has P 4/12, R 1, F1 0.5; the other three stances F1 0, so macro-F1 0.5 / 4
    assert metrics["baselines"]["majority"]["stance_accuracy"] == pytest.approx(4 / 12)
    assert metrics["baselines"]["majority"]["stance_macro_f1"] == pytest.approx(0.125)
    # TF-IDF + LR is trained on the same twelve texts it is scored on here: it gets them right
    assert metrics["baselines"]["tfidf_logreg"]["stance_accuracy"] == 1.0
    report = (tmp_path / "report" / "report.md").read_text()
    assert "model run in int8" in report
    assert "confusion.png" in report and "frame_f1.png" in report
    for png in ("confusion.png", "frame_f1.png"):
        assert (tmp_path / "report" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_paired_bootstrap_measures_one_model_against_another():
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 2, 40)
    frames = rng.integers(0, 2, (40, 2))
    worse = truth.copy()
    worse[:10] = 1 - worse[:10]  # wrong on a quarter of the units
    paired = paired_bootstrap(truth, frames, (truth, frames), (worse, frames), ["a", "b"], ["x", "y"], n_boot=300)
    acc = paired["stance_accuracy"]
    assert acc["difference"] == pytest.approx(0.25)
    assert 0 < acc["ci"][0] < 0.25 < acc["ci"][1]  # never worse on any resample, and the interval has width
    assert paired["frames_micro_f1"] == {"difference": 0.0, "ci": [0.0, 0.0]}  # same frames: no difference
    swapped = paired_bootstrap(truth, frames, (worse, frames), (truth, frames), ["a", "b"], ["x", "y"], n_boot=300)
    assert swapped["stance_macro_f1"]["difference"] == pytest.approx(-paired["stance_macro_f1"]["difference"])


def test_evaluate_compares_two_models_on_the_same_units(tiny_model, second_model, tiny_data, tmp_path, capsys):
    alone = tmp_path / "alone.json"
    assert main(["evaluate", "--model", str(second_model), "--data", str(tiny_data["test"]), "--json", str(alone),
                 "--n-boot", "50", "--precision", "fp32"]) == 0
    both = tmp_path / "both.json"
    assert main(["evaluate", "--model", str(tiny_model), "--data", str(tiny_data["test"]), "--json", str(both),
                 "--compare", str(second_model), "--report", str(tmp_path / "report"), "--n-boot", "200",
                 "--precision", "fp32"]) == 0
    other, first = json.loads(alone.read_text()), json.loads(both.read_text())
    compared = first["comparison"]
    assert compared["model"] == str(second_model) and compared["precision"] == "fp32"
    # the other model's figures are what evaluating it alone gives, and the differences are first minus other
    assert compared["other"]["stance_macro_f1"] == pytest.approx(other["stance"]["macro_f1"])
    assert compared["other"]["frames_micro_f1"] == pytest.approx(other["frames"]["micro_f1"])
    for key, got in (("stance_macro_f1", first["stance"]["macro_f1"] - other["stance"]["macro_f1"]),
                     ("frames_micro_f1", first["frames"]["micro_f1"] - other["frames"]["micro_f1"])):
        diff = compared["difference"][key]
        assert diff["difference"] == pytest.approx(got)
        assert diff["ci"][0] <= diff["difference"] <= diff["ci"][1]
    assert "difference (this model minus it" in capsys.readouterr().out
    assert "## Against another model" in (tmp_path / "report" / "report.md").read_text()


def test_a_model_compared_with_itself_differs_by_nothing(tiny_model, tiny_data, tmp_path):
    out = tmp_path / "m.json"
    assert main(["evaluate", "--model", str(tiny_model), "--data", str(tiny_data["test"]), "--json", str(out),
                 "--compare", str(tiny_model), "--n-boot", "50", "--precision", "fp32"]) == 0
    difference = json.loads(out.read_text())["comparison"]["difference"]
    assert all(difference[k] == {"difference": 0.0, "ci": [0.0, 0.0]}
               for k in ("stance_accuracy", "stance_macro_f1", "frames_micro_f1", "frames_macro_f1"))


def test_evaluate_refuses_to_compare_models_with_other_labels(tiny_model, tiny_data, tmp_path, capsys):
    renamed = tmp_path / "renamed"
    shutil.copytree(tiny_model, renamed)
    for name in ("config.json", "label_schema.json"):  # the same model, its first stance label renamed
        path = renamed / name
        path.write_text(path.read_text().replace('"pro_alliance"', '"pro_treaty"'))
    assert main(["evaluate", "--model", str(tiny_model), "--data", str(tiny_data["test"]),
                 "--compare", str(renamed)]) == 2
    assert "other stance labels" in capsys.readouterr().err


def test_group_scores_split_the_figures_by_kind_and_hard():
    from stanceframe.eval_report import group_lines
    from stanceframe.evaluation import group_scores

    stance, frames = ["a", "b"], ["x", "y"]
    gold = [{"kind": "comment", "hard": True, "stance": "a", "frames": ["x"]},
            {"kind": "comment", "hard": False, "stance": "b", "frames": []},
            {"kind": "paragraph", "hard": False, "stance": "a", "frames": ["y"]},
            {"kind": "paragraph", "hard": False, "stance": "b", "frames": ["x", "y"]}]
    # wrong on both comments' stance, right on both paragraphs; frames right only on the hard unit
    pred = [{"stance": "b", "frames": ["x"]}, {"stance": "a", "frames": ["x"]},
            {"stance": "a", "frames": []}, {"stance": "b", "frames": ["x"]}]
    groups = group_scores(gold, pred, stance, frames)
    assert set(groups) == {"kind", "hard"}
    assert groups["kind"]["comment"]["n"] == 2 and groups["kind"]["comment"]["stance_accuracy"] == 0.0
    assert groups["kind"]["paragraph"]["stance_accuracy"] == 1.0
    assert groups["kind"]["paragraph"]["stance_macro_f1"] == 1.0
    assert groups["hard"]["true"] == {"n": 1, "stance_accuracy": 0.0, "stance_macro_f1": 0.0,
                                      "frames_micro_f1": 1.0, "frames_macro_f1": 1.0}
    # not hard: units 2-4; frames: tp 1 (x on unit 4), fp 1 (x on unit 2), fn 2 (y on units 3 and 4)
    assert groups["hard"]["false"]["frames_micro_f1"] == pytest.approx(2 * 1 / (2 * 1 + 1 + 2))
    assert groups["hard"]["false"]["stance_accuracy"] == pytest.approx(2 / 3)
    assert group_scores([{k: v for k, v in g.items() if k != "hard"} for g in gold], pred, stance, frames).keys() \
        == {"kind"}  # a column the gold file lacks is not a group
    lines = group_lines(groups)
    assert lines[2].startswith("| kind=comment | 2 | 0.000 |") and len(lines) == 2 + 4
