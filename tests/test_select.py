"""`stanceframe select`: seeded, uncertainty first, diverse spreads, labelled units skipped, errors name file:line."""

from __future__ import annotations

import json

import pytest
from conftest import make_rows, read_jsonl, write_jsonl

from stanceframe.cli import main
from stanceframe.errors import InputError, LabelFileError
from stanceframe.selection import frame_uncertainty, select_units, stance_uncertainty

STANCES = ["pro_alliance", "critical", "chinese_official", "neutral"]


class StubClassifier:
    """Scores fixed by the text: "sure" texts get a clear stance and frames far from threshold, "unsure" ones a
    near tie and a frame at its threshold; the predicted stance is the text's first word."""

    stance_labels = STANCES
    frame_labels = ["cost_burden", "military_capability"]
    score_thresholds = {"cost_burden": 0.4, "military_capability": 0.5}

    def predict(self, units):
        rows = []
        for unit in units:
            stance = unit["text"].split()[0]
            unsure = "unsure" in unit["text"]
            top, second = (0.4, 0.38) if unsure else (0.94, 0.02)
            scores = {s: (top if s == stance else second) for s in STANCES}
            frames = {"cost_burden": 0.41 if unsure else 0.01, "military_capability": 0.99}
            rows.append({**unit, "stance": stance, "stance_scores": scores, "frames": ["military_capability"],
                         "frame_scores": frames})
        return rows


def table(tmp_path, rows, name="units.jsonl"):
    return write_jsonl(tmp_path / name, rows)


def unit(doc, i, text):
    return {"id": f"{doc}-{i}", "doc_id": doc, "unit_index": i, "kind": "paragraph", "text": text}


def test_uncertainty_measures_margin_and_threshold_closeness():
    assert stance_uncertainty({"a": 0.5, "b": 0.5, "c": 0.0}) == pytest.approx(1.0)
    assert stance_uncertainty({"a": 0.98, "b": 0.01, "c": 0.01}) == pytest.approx(0.03)
    assert frame_uncertainty({"x": 0.3}, {"x": 0.3}) == pytest.approx(1.0)
    assert frame_uncertainty({"x": 0.0, "y": 1.0}, {"x": 0.3, "y": 0.6}) == pytest.approx(0.0)
    assert frame_uncertainty({"x": 0.15}, {"x": 0.3}) == pytest.approx(0.5)


def test_frame_thresholds_move_with_calibrated_scores(tiny_model):
    """A unit whose raw frame probability sits on its decision threshold is at the threshold of the written
    (calibrated) scores too, so `select` measures closeness on one scale."""
    import numpy as np

    from stanceframe.calibration import Calibration
    from stanceframe.classifier import Classifier

    clf = Classifier(tiny_model)
    clf.calibration = Calibration(1.5, {name: (2.0, -1.0) for name in clf.frame_labels})
    raw = np.array([[clf.thresholds[name] for name in clf.frame_labels]])
    _, written = clf.calibrated(np.full((1, len(clf.stance_labels)), 1 / len(clf.stance_labels)), raw)
    scores = dict(zip(clf.frame_labels, written[0]))
    assert frame_uncertainty(scores, clf.score_thresholds) == pytest.approx(1.0)
    assert frame_uncertainty(scores, clf.thresholds) < 0.99  # the raw thresholds would misplace them
    clf.calibration = None
    assert clf.score_thresholds == clf.thresholds


def test_uncertainty_ranks_the_more_uncertain_unit_first(tmp_path):
    path = table(tmp_path, [unit("d1", 0, "critical sure one"), unit("d1", 1, "neutral sure two"),
                            unit("d2", 0, "neutral unsure three"), unit("d2", 1, "critical sure four")])
    rows = select_units([path], StubClassifier(), 2, "uncertainty")
    assert rows[0]["id"] == "d2-0" and rows[0]["rank"] == 1
    assert rows[0]["uncertainty"] > rows[1]["uncertainty"]


def test_diverse_covers_documents_and_labels(tmp_path):
    units = [unit("big", i, f"critical unsure {i}") for i in range(8)]
    units += [unit(f"doc{k}", 0, f"{stance} sure {k}") for k, stance in enumerate(STANCES)]
    path = table(tmp_path, units)
    by_uncertainty = select_units([path], StubClassifier(), 4, "uncertainty")
    assert {r["doc_id"] for r in by_uncertainty} == {"big"}  # what diverse must do better than
    diverse = select_units([path], StubClassifier(), 4, "diverse")
    assert {r["stance"] for r in diverse} == set(STANCES)
    assert len({r["doc_id"] for r in diverse}) >= 4
    assert diverse[0]["id"].startswith("doc0") or diverse[0]["stance"] == STANCES[0]


def test_queue_rows_carry_predictions_rank_and_context(tmp_path):
    path = table(tmp_path, [unit("d1", i, f"neutral sure {i}") for i in range(6)])
    out = tmp_path / "queue.jsonl"
    select_units([path], StubClassifier(), 6, "random", out=out, seed=3)
    rows = {r["id"]: r for r in read_jsonl(out)}
    assert set(rows["d1-0"]) >= {"id", "doc_id", "kind", "author", "text", "stance", "frames", "stance_scores",
                                 "frame_scores", "uncertainty", "rank", "strategy", "context"}
    assert rows["d1-3"]["context"] == {"before": ["neutral sure 1", "neutral sure 2"],
                                       "after": ["neutral sure 4", "neutral sure 5"]}
    assert rows["d1-0"]["context"]["before"] == []
    assert sorted(r["rank"] for r in rows.values()) == list(range(1, 7))


def test_random_is_seeded_and_reproducible(tiny_model, tmp_path, capsys):
    path = table(tmp_path, make_rows("sel-"))
    outs = []
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        out = tmp_path / f"{name}.jsonl"
        assert main(["select", str(path), "--model", str(tiny_model), "--n", "5", "--strategy", "random",
                     "--seed", str(seed), "--out", str(out)]) == 0
        outs.append([r["id"] for r in read_jsonl(out)])
    assert outs[0] == outs[1] and len(outs[0]) == 5
    assert outs[0] != outs[2]
    assert "5 units from" in capsys.readouterr().out


def test_labelled_units_and_the_queue_are_skipped(tmp_path):
    units = [unit("d1", i, f"neutral unsure {i}") for i in range(6)]
    path = table(tmp_path, units)
    labelled = table(tmp_path, [{"id": "d1-0", "text": "whatever"}, {"id": "x", "text": "  NEUTRAL   unsure 1 "}],
                     "labelled.jsonl")
    out = tmp_path / "queue.jsonl"
    first = select_units([path], StubClassifier(), 2, "uncertainty", out=out, labelled=[labelled])
    assert not {"d1-0", "d1-1"} & {r["id"] for r in first}
    second = select_units([path], StubClassifier(), 10, "uncertainty", out=out, labelled=[labelled])
    assert not {r["id"] for r in first} & {r["id"] for r in second}
    assert len(second) == 2 and [r["rank"] for r in second] == [3, 4]
    assert len(read_jsonl(out)) == 4


def test_bad_labelled_file_errors_name_file_and_line(tmp_path, capsys):
    path = table(tmp_path, [unit("d1", 0, "neutral sure")])
    bad = tmp_path / "labelled.jsonl"
    bad.write_text(json.dumps({"id": "a"}) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match=r"labelled\.jsonl:2"):
        select_units([path], StubClassifier(), 1, labelled=[bad])
    no_key = tmp_path / "nokey.jsonl"
    no_key.write_text(json.dumps({"id": "a"}) + "\n" + json.dumps({"stance": "neutral"}) + "\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match=r"nokey\.jsonl:2: .*'id' or a 'text'"):
        select_units([path], StubClassifier(), 1, labelled=[no_key])


def test_bad_input_lines_are_named_or_raised(tmp_path, tiny_model, capsys):
    path = tmp_path / "units.jsonl"
    path.write_text(json.dumps(unit("d1", 0, "neutral sure")) + "\n{oops\n" + json.dumps(unit("d1", 1, "x y")) + "\n",
                    encoding="utf-8")
    rows = select_units([path], StubClassifier(), 5, "uncertainty")
    assert len(rows) == 2 and f"{path}:2" in capsys.readouterr().err
    with pytest.raises(InputError, match=r"units\.jsonl:2"):
        select_units([path], StubClassifier(), 5, "uncertainty", on_error="fail")
    assert main(["select", str(path), "--model", str(tiny_model), "--n", "1", "--out", str(tmp_path / "q.jsonl"),
                 "--on-error", "fail"]) == 1
    assert "units.jsonl:2" in capsys.readouterr().err
