"""The batch classifier: one row per input unit, in every output format, with an honest closing line."""

from __future__ import annotations

import csv
import json

import pytest
from conftest import REPO, read_jsonl

from stanceframe.cli import main
from stanceframe.inference.outputs import read_predictions
from stanceframe.segment import segment_text

EXAMPLES = REPO / "examples"


def expected_units() -> int:
    return sum(len(segment_text(p.read_text(encoding="utf-8"), p.name).units)
               for p in sorted((EXAMPLES / "docs").iterdir()))


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_documents_one_row_per_unit_each_format(tiny_model, tmp_path, capsys, suffix, schema):
    out = tmp_path / f"pred{suffix}"
    summary = tmp_path / "summary.csv"
    assert main(["classify", str(EXAMPLES / "docs"), "--model", str(tiny_model), "--out", str(out),
                 "--summary", str(summary), "--quiet", "--chunk-size", "7"]) == 0
    n = expected_units()
    assert f"{n} units in, {n} classified, 0 skipped" in capsys.readouterr().out
    rows = read_predictions(out)
    assert len(rows) == n
    assert len({r["id"] for r in rows}) == n
    first = rows[0]
    assert set(first) >= {"id", "doc_id", "unit_index", "kind", "author", "text", "stance", "stance_scores",
                          "frames", "frame_scores"}
    assert first["id"] == f"{first['doc_id']}:{first['unit_index']}"
    assert all(r["stance"] in schema.stance_names for r in rows)
    assert all(set(r["frames"]) <= set(schema.frame_names) for r in rows)
    assert all(abs(sum(r["stance_scores"].values()) - 1) < 1e-3 for r in rows)
    assert {r["kind"] for r in rows} == {"headline", "paragraph", "comment"}
    assert any(r["author"] for r in rows if r["kind"] == "comment")
    with open(summary, newline="") as handle:
        per_doc = list(csv.DictReader(handle))
    assert sum(int(d["units"]) for d in per_doc) == n
    assert all(sum(int(d[s]) for s in schema.stance_names) == int(d["units"]) for d in per_doc)


def test_unit_table_keeps_ids_and_extra_columns(tiny_model, tmp_path):
    with open(EXAMPLES / "units.csv", newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    out = tmp_path / "units.jsonl"
    assert main(["classify", str(EXAMPLES / "units.csv"), "--model", str(tiny_model), "--out", str(out),
                 "--quiet"]) == 0
    rows = read_predictions(out)
    assert [r["id"] for r in rows] == [t["id"] for t in table]
    assert [r["source"] for r in rows] == [t["source"] for t in table]
    assert [r["text"] for r in rows] == [t["text"] for t in table]


def test_document_table_is_segmented(tiny_model, tmp_path):
    docs = read_jsonl(EXAMPLES / "documents.jsonl")
    out = tmp_path / "docs.parquet"
    assert main(["classify", str(EXAMPLES / "documents.jsonl"), "--documents", "--model", str(tiny_model),
                 "--out", str(out), "--quiet"]) == 0
    rows = read_predictions(out)
    want = sum(len(segment_text(d["text"], d["doc_id"]).units) for d in docs)
    assert len(rows) == want
    assert {r["doc_id"] for r in rows} == {d["doc_id"] for d in docs}
    assert {r["date"] for r in rows} == {d["date"] for d in docs}


def test_broken_lines_are_skipped_and_reported(tiny_model, tmp_path, capsys):
    table = tmp_path / "units.jsonl"
    table.write_text('{"id": "u1", "text": "Japan and the US signed the deal."}\n'
                     '{"id": "u2", "text": \n'
                     '{"id": "u3", "text": "US poodle."}\n'
                     '{"id": "u4"}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["classify", str(table), "--model", str(tiny_model), "--out", str(out), "--quiet"]) == 0
    assert "4 units in, 2 classified, 2 skipped" in capsys.readouterr().out
    assert [r["id"] for r in read_predictions(out)] == ["u1", "u3"]
    errors = read_jsonl(tmp_path / "out.errors.jsonl")
    assert [(e["line"], e["error"].split(" (")[0]) for e in errors] == [(2, "malformed JSON"), (4, "no 'text' value")]


def test_table_without_text_column_names_the_file(tiny_model, tmp_path, capsys):
    table = tmp_path / "no_text.csv"
    table.write_text("id,body\n1,hello\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["classify", str(table), "--model", str(tiny_model), "--out", str(out), "--quiet"]) == 0
    assert "0 units in, 0 classified, 1 skipped" in capsys.readouterr().out
    error = json.loads((tmp_path / "out.errors.jsonl").read_text())
    assert error["path"].endswith("no_text.csv") and "no 'text' column" in error["error"]
    assert read_predictions(out) == []


def test_bad_output_suffix_is_refused(tiny_model, tmp_path, capsys):
    assert main(["classify", str(EXAMPLES / "units.csv"), "--model", str(tiny_model),
                 "--out", str(tmp_path / "x.xlsx")]) == 2
    assert "output must end in .jsonl, .csv, .parquet" in capsys.readouterr().err


def test_segment_command(tmp_path, capsys):
    out = tmp_path / "units.jsonl"
    assert main(["segment", str(EXAMPLES / "docs"), "--out", str(out)]) == 0
    rows = read_jsonl(out)
    assert len(rows) == expected_units()
    assert f"{len(rows)} units written" in capsys.readouterr().out
