"""Label schema and annotated-data validation."""

from __future__ import annotations

import json
import re

import pytest
from conftest import REPO, SHARED, make_rows, write_jsonl

from stanceframe.cli import main
from stanceframe.data import label_counts, load_annotated, load_gold, load_splits
from stanceframe.errors import LabelFileError
from stanceframe.schema import LabelSchema


def test_schema_orders_labels_as_written(schema):
    assert len(schema.stance_names) == 4 and len(schema.frame_names) == 10
    assert all(label.definition for label in schema.stance + schema.frames)
    assert all(label.dimension for label in schema.frames)
    assert len(schema.decision_rules) == 9


@pytest.mark.skipif(not (SHARED / "codebook.md").exists(), reason="../shared/codebook.md not present")
def test_schema_encodes_the_codebook(schema):
    text = (SHARED / "codebook.md").read_text(encoding="utf-8")
    stance_part, frame_part = text.split("## Framing")
    stance_names = re.findall(r"^\| `(\w+)` \|", stance_part, flags=re.M)
    frame_names = re.findall(r"^\| `(\w+)` \|", frame_part, flags=re.M)
    assert schema.stance_names == stance_names
    assert schema.frame_names == frame_names
    dimensions = re.findall(r"^\| `\w+` \| .* \| ([^|]+) \|$", frame_part, flags=re.M)
    assert [f.dimension for f in schema.frames] == [d.strip() for d in dimensions]


@pytest.mark.parametrize("mutate, message", [
    (lambda r: r.update(stance="supportive"), "unknown stance label 'supportive'"),
    (lambda r: r.update(frames=["economy"]), "unknown frame label(s) 'economy'"),
    (lambda r: r.pop("doc_id"), "missing key(s): doc_id"),
    (lambda r: r.update(text="   "), "empty text"),
    (lambda r: r.update(kind="tweet"), "unknown kind 'tweet'"),
    (lambda r: r.update(frames="cost_burden"), "'frames' must be a list"),
    (lambda r: r.update(frames=[["cost_burden"]]), "'frames' must be a list of frame labels (strings)"),
])
def test_bad_unit_is_reported_with_file_and_line(tmp_path, schema, mutate, message):
    rows = make_rows("x")
    mutate(rows[2])
    path = write_jsonl(tmp_path / "bad.jsonl", rows)
    with pytest.raises(LabelFileError) as info:
        load_annotated(path, schema)
    assert f"{path}:3:" in str(info.value)
    assert message in str(info.value)


def test_duplicate_id_names_both_lines(tmp_path, schema):
    rows = make_rows("x")
    rows[5]["id"] = rows[1]["id"]
    path = write_jsonl(tmp_path / "dup.jsonl", rows)
    with pytest.raises(LabelFileError, match=r"dup.jsonl:6: duplicate id .* \(first on line 2\)"):
        load_annotated(path, schema)


def test_malformed_json_line(tmp_path, schema):
    path = tmp_path / "broken.jsonl"
    path.write_text(json.dumps(make_rows("x")[0]) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match=r"broken.jsonl:2: malformed JSON"):
        load_annotated(path, schema)


def test_document_split_across_files(tmp_path, schema):
    train = write_jsonl(tmp_path / "train.jsonl", make_rows("a"))
    dev_rows = make_rows("b")
    dev_rows[0]["doc_id"] = "ad1"  # a document of the training file
    dev = write_jsonl(tmp_path / "dev.jsonl", dev_rows)
    with pytest.raises(LabelFileError, match=r"dev.jsonl:1: document 'ad1' is split across files: .*train.jsonl:1"):
        load_splits({"train": train, "dev": dev}, schema)


def test_counts_follow_schema_order(schema):
    counts = label_counts(make_rows("x"), schema)
    assert list(counts["stance"]) == schema.stance_names
    assert counts["stance"] == {"pro_alliance": 3, "critical": 4, "chinese_official": 2, "neutral": 3}
    assert counts["frames"]["alliance_credibility"] == 2
    assert counts["kinds"] == {"headline": 2, "paragraph": 6, "comment": 4}
    assert counts["documents"] == 3


def test_gold_loader_accepts_doc_for_doc_id(tmp_path, schema):
    rows = make_rows("x")
    for row in rows:
        row["doc"] = row.pop("doc_id")
        row["hard"] = False
    gold = load_gold(write_jsonl(tmp_path / "gold.jsonl", rows), schema)
    assert [g["doc_id"] for g in gold] == [r["doc"] for r in rows]


def test_labels_check_cli(tmp_path, capsys):
    data = tmp_path / "data"
    for name in ("train", "dev", "test"):
        write_jsonl(data / f"{name}.jsonl", make_rows(name))
    assert main(["labels", "check", "--schema", str(REPO / "labels/schema.yaml"), "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"stance:critical\s+4\s+4\s+4\s+12", out)
    rows = make_rows("test")
    rows[0]["stance"] = "maybe"
    write_jsonl(data / "test.jsonl", rows)
    assert main(["labels", "check", "--schema", str(REPO / "labels/schema.yaml"), "--data-dir", str(data)]) == 1
    assert "test.jsonl:1: unknown stance label 'maybe'" in capsys.readouterr().err


def test_schema_errors(tmp_path):
    bad = tmp_path / "schema.yaml"
    bad.write_text("stance: [a, a]\nframes: [x]\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match="duplicate stance label"):
        LabelSchema.load(bad)
    bad.write_text("stance: [a, b]\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match="'frames' must be a non-empty list"):
        LabelSchema.load(bad)
