"""`stanceframe labels blind / disagreements / adjudicate`: a blind second pass and its adjudication."""

from __future__ import annotations

import pytest
from conftest import SCHEMA_PATH, make_rows, read_jsonl, write_jsonl

from stanceframe.cli import main
from stanceframe.data import load_annotated
from stanceframe.double_annotation import BLIND_KEYS, disagreements, drop_near_duplicates
from stanceframe.schema import LabelSchema

SCHEMA = ["--schema", str(SCHEMA_PATH)]


def second_pass(first: list[dict]) -> list[dict]:
    """A blind pass that agrees except on unit 2 (stance) and unit 4 (frames), and marks unit 4 hard."""
    out = [{"id": u["id"], "stance": u["stance"], "frames": list(u["frames"])} for u in first]
    out[1]["stance"] = "neutral"
    out[3] |= {"frames": ["cost_burden"], "hard": True, "note": "sarcasm?"}
    return out


@pytest.fixture
def passes(tmp_path):
    first = make_rows("n-")
    return (write_jsonl(tmp_path / "first.jsonl", first), write_jsonl(tmp_path / "second.jsonl", second_pass(first)),
            first)


def test_blind_copy_has_no_labels(passes, tmp_path):
    out = tmp_path / "blind.jsonl"
    assert main(["labels", "blind", str(passes[0]), "--out", str(out), *SCHEMA]) == 0
    rows = read_jsonl(out)
    assert [r["id"] for r in rows] == [u["id"] for u in passes[2]]
    assert all(set(r) == set(BLIND_KEYS) for r in rows)
    assert rows[3]["text"] == passes[2][3]["text"] and rows[3]["author"] == "kenji"


def test_an_output_that_is_an_input_is_refused_and_nothing_is_lost(passes, tmp_path, capsys):
    before = passes[0].read_bytes()
    assert main(["labels", "blind", str(passes[0]), "--out", str(passes[0]), *SCHEMA]) == 2
    assert main(["labels", "disagreements", str(passes[0]), str(passes[1]), "--out", str(passes[1]), *SCHEMA]) == 2
    assert "is also an input of this command" in capsys.readouterr().err
    assert passes[0].read_bytes() == before and len(read_jsonl(passes[1])) == len(passes[2])


def test_disagreements_list_exactly_the_differing_units_in_both_orders(passes, tmp_path, capsys):
    out = tmp_path / "dis.jsonl"
    assert main(["labels", "disagreements", str(passes[0]), str(passes[1]), "--out", str(out), *SCHEMA]) == 0
    rows = read_jsonl(out)
    first = {u["id"]: u for u in passes[2]}
    assert [r["id"] for r in rows] == [passes[2][1]["id"], passes[2][3]["id"]]
    for row in rows:
        pair = [row["annotation_A"], row["annotation_B"]]
        original = first[row["id"]]
        assert {"stance": original["stance"], "frames": original["frames"]} in [
            {"stance": a["stance"], "frames": a["frames"]} for a in pair]
        assert "stance" not in row and "frames" not in row  # the adjudicator sees only the A/B pair
        assert set(pair[0]) == set(pair[1])  # and no key tells the passes apart
    assert "12 units; stance Cohen's kappa" in capsys.readouterr().out
    # over many units the writer's labels land on A about half the time
    units = [{"id": str(i), "doc_id": "d", "kind": "comment", "text": "x", "stance": "critical", "frames": []}
             for i in range(200)]
    other = {u["id"]: {"id": u["id"], "stance": "neutral", "frames": []} for u in units}
    a_is_first = sum(r["annotation_A"]["stance"] == "critical" for r in disagreements(units, other, seed=3))
    assert 70 < a_is_first < 130


def test_adjudication_applies_decisions_keeps_agreed_units_and_marks_hard(passes, tmp_path):
    first = passes[2]
    decisions = write_jsonl(tmp_path / "decisions.jsonl", [
        {"id": first[1]["id"], "action": "rewrite", "stance": "pro_alliance", "frames": ["rules_order_stability"],
         "text": "The alliance has kept the peace for decades, the ambassador said, and this deal adds to it."},
        {"id": first[3]["id"], "action": "keep", "stance": "critical", "frames": ["cost_burden"]},
        {"id": first[5]["id"], "action": "drop", "reason": "an agreed unit can be dropped too"}])
    out = tmp_path / "final.jsonl"
    assert main(["labels", "adjudicate", str(passes[0]), str(passes[1]), "--decisions", str(decisions),
                 "--out", str(out), *SCHEMA]) == 0
    final, _ = load_annotated(out, LabelSchema.load(SCHEMA_PATH))
    by_id = {u["id"]: u for u in final}
    assert len(final) == len(first) - 1 and first[5]["id"] not in by_id
    rewritten = by_id[first[1]["id"]]
    assert rewritten["text"].startswith("The alliance has kept the peace for decades") and rewritten["adjudicated"]
    assert (rewritten["stance"], rewritten["hard"]) == ("pro_alliance", False)
    assert (by_id[first[3]["id"]]["frames"], by_id[first[3]["id"]]["hard"]) == (["cost_burden"], True)
    agreed = {k: v for k, v in by_id[first[0]["id"]].items() if k != "_line"}
    assert agreed == {**first[0], "hard": False}


def test_adjudication_refuses_undecided_disagreements_and_bad_decisions(passes, tmp_path, capsys):
    first = passes[2]
    out = tmp_path / "final.jsonl"
    only_one = write_jsonl(tmp_path / "one.jsonl", [{"id": first[1]["id"], "action": "keep", "stance": "neutral",
                                                     "frames": []}])
    assert main(["labels", "adjudicate", str(passes[0]), str(passes[1]), "--decisions", str(only_one),
                 "--out", str(out), *SCHEMA]) != 0
    assert f"{only_one}: 1 disagreement(s) have no decision, e.g. '{first[3]['id']}'" in capsys.readouterr().err
    bad = write_jsonl(tmp_path / "bad.jsonl", [
        {"id": first[1]["id"], "action": "keep", "stance": "neutral", "frames": []},
        {"id": first[3]["id"], "action": "keep", "stance": "hawkish", "frames": []}])
    assert main(["labels", "adjudicate", str(passes[0]), str(passes[1]), "--decisions", str(bad),
                 "--out", str(out), *SCHEMA]) != 0
    assert f"{bad}:2: unit '{first[3]['id']}': stance 'hawkish'" in capsys.readouterr().err
    assert not out.exists()


def test_second_pass_must_cover_the_same_units(passes, tmp_path, capsys):
    short = write_jsonl(tmp_path / "short.jsonl", read_jsonl(passes[1])[:-1])
    assert main(["labels", "disagreements", str(passes[0]), str(short), "--out", str(tmp_path / "d.jsonl"),
                 *SCHEMA]) != 0
    assert f"{short}: 1 unit(s) of the first pass have no second label" in capsys.readouterr().err
    rows = read_jsonl(passes[1])
    rows[2]["frames"] = ["weather"]
    write_jsonl(passes[1], rows)
    assert main(["labels", "disagreements", str(passes[0]), str(passes[1]), "--out", str(tmp_path / "d.jsonl"),
                 *SCHEMA]) != 0
    assert f"{passes[1]}:3: unit '{rows[2]['id']}': unknown frame label(s) 'weather'" in capsys.readouterr().err
    assert not (tmp_path / "d.jsonl").exists()


def test_near_duplicates_of_the_corpus_and_of_each_other_are_left_out():
    existing = make_rows("old-")
    new = make_rows("new-")[:2]
    new[1]["text"] = "A different sentence entirely about budget lines and radar sites in the south."
    repeat = dict(new[1], id="new-d1-03")
    kept, dropped = drop_near_duplicates(new + [repeat], existing)
    assert [u["id"] for u in kept] == ["new-d1-02"]
    assert [(a, b) for a, b, _ in dropped] == [("new-d1-01", "old-d1-01"), ("new-d1-03", "new-d1-02")]
