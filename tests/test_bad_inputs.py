"""A scraped folder's worst: each bad input with its asserted outcome, and property tests."""

from __future__ import annotations

import datetime
import decimal
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import read_jsonl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stanceframe.cli import main
from stanceframe.inference.outputs import read_predictions
from stanceframe.segment import clean_line, segment_text

GOOD = "Japan and the United States signed the co-production agreement on Tuesday, officials said."


def _write(path: Path, content) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _parquet(path: Path, table: dict) -> Path:
    pq.write_table(pa.table(table), path)
    return path


# name → (make the input in tmp_path, expected exit code, expected units classified, expected skip message or None)
CASES = {
    "empty file": (lambda d: _write(d / "empty.txt", ""), 0, 0, "empty file"),
    "whitespace only": (lambda d: _write(d / "blank.txt", " \n\t\n  \n"), 0, 0, "empty file"),
    "binary file": (lambda d: _write(d / "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR" * 20), 0, 0,
                    "binary file, not text"),
    "missing path": (lambda d: d / "nowhere.txt", 0, 0, "no such file or directory"),
    "only boilerplate": (lambda d: _write(d / "chrome.txt", "Back to top button\nShare this:\n#Japan #US\n"), 0, 0,
                         "no text units"),
    "cp1252 with curly quotes": (lambda d: _write(d / "win.txt", "\u201cWe will deepen the alliance,\u201d the minister "
                                                  "said on Tuesday in Tokyo.\n".encode("cp1252")), 0, 1, None),
    "BOM and CRLF": (lambda d: _write(d / "bom.txt", b"\xef\xbb\xbfAllies Sign Missile Pact\r\n\r\n" +
                                      GOOD.encode() + b"\r\n"), 0, 2, None),
    "HTML page": (lambda d: _write(d / "page.html", "<html><head><title>Allies Sign Pact</title><script>var x=1;"
                                   "</script></head><body><p>" + GOOD + "</p><p>Second &amp; last paragraph of it, "
                                   "officials added.</p></body></html>"), 0, 3, None),
    "malformed JSONL line": (lambda d: _write(d / "units.jsonl", json.dumps({"text": GOOD}) + "\n{broken\n"), 0, 1,
                             "malformed JSON"),
    "JSONL row without text": (lambda d: _write(d / "units.jsonl", json.dumps({"id": "a", "body": GOOD}) + "\n"), 0, 0,
                               "no 'text' value"),
    "CSV without text column": (lambda d: _write(d / "units.csv", "id,body\n1,hello\n"), 0, 0, "no 'text' column"),
    "Parquet without text column": (lambda d: _parquet(d / "units.parquet", {"id": ["1"], "body": ["x"]}), 0, 0,
                                    "no 'text' column"),
    "CSV with empty text": (lambda d: _write(d / "units.csv", f'id,text\n1,"{GOOD}"\n2,"   "\n'), 0, 1,
                            "empty 'text' value"),
    "missing and duplicate ids": (lambda d: _write(d / "units.jsonl", "\n".join(json.dumps(r) for r in (
        {"id": "x", "text": GOOD}, {"id": "x", "text": "US poodle."}, {"text": "No id here at all."})) + "\n"), 0, 3, None),
    "non-numeric unit_index": (lambda d: _write(d / "units.csv", f'id,unit_index,text\n1,one,"{GOOD}"\n2,2,"{GOOD}"\n'),
                               0, 1, "unit_index 'one' is not a whole number"),
    "40,000-character paragraph": (lambda d: _write(d / "long.txt", ("The alliance budget grew again. " * 1250).strip()),
                                   0, 1, None),
    "not English": (lambda d: _write(d / "ja.txt", "日米両政府は火曜日、在日米軍の指揮統制機能の強化で合意した。\n"), 0, 1, None),
    "Parquet with date, time and decimal columns": (lambda d: _parquet(d / "units.parquet", {
        "text": [GOOD], "date": [datetime.date(2024, 1, 2)], "seen": [datetime.datetime(2024, 1, 2, 9, 30)],
        "price": pa.array([decimal.Decimal("1.50")], pa.decimal128(5, 2))}), 0, 1, None),
    "cp1252 CSV": (lambda d: _write(d / "units.csv", f'id,text\n1,"Caf\u00e9 owners near the base said: {GOOD}"\n'
                                    .encode("cp1252")), 0, 1, None),
    "TSV with a stray quote mark": (lambda d: _write(d / "units.tsv", f'id\ttext\n1\t"Unbalanced quote: {GOOD}\n'
                                                     f'2\t{GOOD}\n3\tThe third row, "quoted" in part.\n'), 0, 3, None),
    "CSV with malformed quoting": (lambda d: _write(d / "units.csv", f'id,text\n1,"{GOOD}"\n2,"broken" quote\n'
                                                    f'3,"{GOOD}"\n'), 0, 1, "malformed CSV"),
    "HTML paragraph wrapped in the page source": (lambda d: _write(d / "wrapped.html", "<html><body><p>Tokyo and "
                                                                   "Washington agreed on Tuesday to deepen their military"
                                                                   "\n   cooperation, a step officials called overdue."
                                                                   "</p></body></html>"), 0, 1, None),
    "gold file classified": (lambda d: _write(d / "gold.jsonl", json.dumps(
        {"id": "g1", "text": GOOD, "stance": "neutral", "frames": ["cost_burden"]}) + "\n"), 0, 1, None),
    "a directory of mixed files": (lambda d: (_write(d / "ok.txt", GOOD + "\n"), _write(d / "bad.txt", b"\x00\x01" * 50),
                                              d)[-1], 0, 1, "binary file, not text"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_table(name, tiny_model, tmp_path, capsys):
    make, code, classified, message = CASES[name]
    src = tmp_path / "in"
    src.mkdir()
    path = make(src)
    out = tmp_path / "out.jsonl"
    rc = main(["classify", str(path), "--model", str(tiny_model), "--out", str(out), "--quiet"])
    printed = capsys.readouterr()
    assert rc == code
    assert "Traceback" not in printed.err
    rows = read_predictions(out)
    assert len(rows) == classified
    errors_file = tmp_path / "out.errors.jsonl"
    if message is None:
        assert not errors_file.exists()
    else:
        errors = read_jsonl(errors_file)
        assert any(message in e["error"] for e in errors)
        assert all(e["path"] for e in errors)
        assert "skipped" in printed.out


def test_expected_handling_details(tiny_model, tmp_path):
    """What the handled cases produce, beyond their row counts."""
    src = tmp_path / "in"
    src.mkdir()
    out = tmp_path / "o.jsonl"

    def run(case):
        make = CASES[case][0]
        target = make(src)
        assert main(["classify", str(target), "--model", str(tiny_model), "--out", str(out), "--quiet"]) == 0
        return read_predictions(out)

    [row] = run("cp1252 with curly quotes")
    assert row["text"].startswith("\u201cWe will deepen") and any(w.startswith("encoding:") for w in row["warnings"])
    rows = run("BOM and CRLF")
    assert [r["kind"] for r in rows] == ["headline", "paragraph"] and rows[0]["text"] == "Allies Sign Missile Pact"
    rows = run("HTML page")
    assert [r["text"] for r in rows] == ["Allies Sign Pact", GOOD, "Second & last paragraph of it, officials added."]
    assert "html" in rows[0]["warnings"]
    rows = run("missing and duplicate ids")
    assert [r["id"] for r in rows] == ["x", "x#2", "units.jsonl:2"]
    assert rows[1]["warnings"] == ["duplicate_id"]
    [row] = run("40,000-character paragraph")
    assert row["truncated"] and "truncated" in row["warnings"] and len(row["text"]) > 39000
    [row] = run("not English")
    assert "not_english" in row["warnings"]
    [row] = run("Parquet with date, time and decimal columns")
    assert (row["date"], row["seen"], row["price"]) == ("2024-01-02", "2024-01-02T09:30:00", "1.50")
    [row] = run("cp1252 CSV")
    assert row["text"].startswith("Caf\u00e9 owners") and any(w.startswith("encoding:") for w in row["warnings"])
    rows = run("TSV with a stray quote mark")
    assert rows[0]["text"].startswith('"Unbalanced') and rows[2]["text"] == 'The third row, "quoted" in part.'
    [row] = run("HTML paragraph wrapped in the page source")
    assert row["kind"] == "paragraph" and "military cooperation" in row["text"]
    [row] = run("gold file classified")  # the file's own labels are kept beside the model's
    assert (row["input_stance"], row["input_frames"]) == ("neutral", ["cost_burden"]) and "stance_scores" in row


def test_same_file_names_in_two_folders_stay_two_documents(tiny_model, tmp_path):
    for folder in ("a", "b", "c"):
        (tmp_path / folder).mkdir()
        _write(tmp_path / folder / "story.txt", GOOD + "\n")
        _write(tmp_path / folder / "comments.csv", f'text\n"{GOOD}"\n')
    out = tmp_path / "o.jsonl"
    args = [str(tmp_path / "a"), str(tmp_path / "b"), str(tmp_path / "c" / "comments.csv")]
    assert main(["classify", *args, "--model", str(tiny_model), "--out", str(out), "--quiet"]) == 0
    rows = read_predictions(out)
    assert len(rows) == 5
    assert len({r["doc_id"] for r in rows}) == 5 and len({r["id"] for r in rows}) == 5
    assert rows[0]["doc_id"] == "comments.csv" and rows[4]["doc_id"] == (tmp_path / "c" / "comments.csv").as_posix()


def test_table_encodings_are_found_where_the_first_odd_byte_is(tmp_path):
    from stanceframe.textio import text_table_encoding

    def encoding_of(data: bytes):
        return text_table_encoding(_write(tmp_path / "t.csv", data))

    late = b"id,text\n" + b"1,a plain ASCII row\n" * 60000 + "2,Caf\u00e9 \u201cquoted\u201d\n".encode("cp1252")
    assert encoding_of(late) == "cp1252"  # after a megabyte of ASCII, from Excel on Windows
    assert encoding_of("id,text\n1,Caf\u00e9\n".encode()) == "utf-8-sig"
    japanese = ("id,text\n" + "1,日米両政府は火曜日、在日米軍の指揮統制機能の強化で合意した。\n" * 20).encode("shift_jis")
    assert encoding_of(japanese) in ("cp932", "shift_jis")


def test_clean_rerun_removes_an_old_errors_file(tiny_model, tmp_path):
    path = _write(tmp_path / "units.jsonl", json.dumps({"text": GOOD}) + "\n{broken\n")
    out = tmp_path / "o.jsonl"
    assert main(["classify", str(path), "--model", str(tiny_model), "--out", str(out), "--quiet"]) == 0
    assert (tmp_path / "o.errors.jsonl").exists()
    _write(path, json.dumps({"text": GOOD}) + "\n")
    assert main(["classify", str(path), "--model", str(tiny_model), "--out", str(out), "--quiet"]) == 0
    assert not (tmp_path / "o.errors.jsonl").exists()


def test_on_error_fail_stops_with_the_file_and_line(tiny_model, tmp_path, capsys):
    table = _write(tmp_path / "units.jsonl", json.dumps({"text": GOOD}) + "\n{broken\n")
    rc = main(["classify", str(table), "--model", str(tiny_model), "--out", str(tmp_path / "o.jsonl"), "--quiet",
               "--on-error", "fail"])
    assert rc == 1
    assert f"{table}:2: malformed JSON" in capsys.readouterr().err
    assert not (tmp_path / "o.jsonl").exists()


def test_model_trained_on_other_labels_is_refused(tiny_model, tmp_path, capsys):
    other = _write(tmp_path / "schema.yaml", "stance: [for, against]\nframes: [economy]\n")
    rc = main(["classify", str(tmp_path), "--model", str(tiny_model), "--out", str(tmp_path / "o.jsonl"),
               "--schema", str(other)])
    assert rc == 2
    assert "trained on other stance labels" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(tiny_model, tmp_path):
    path = _write(tmp_path / "secret.txt", GOOD)
    path.chmod(0)
    out = tmp_path / "o.jsonl"
    assert main(["classify", str(path), "--model", str(tiny_model), "--out", str(out), "--quiet"]) == 0
    assert "cannot read" in read_jsonl(tmp_path / "o.errors.jsonl")[0]["error"]


line_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
documents = st.lists(st.one_of(line_text, st.sampled_from(
    ["", "Anonymous said...", "3 comments:", "Read more ....", "#a #b", "Title -- Outlet", "Friday, May 5, 2023",
     "A repeated paragraph that appears twice.", "Short Headline Here", "\u00a0"])), max_size=30)


@settings(max_examples=250, deadline=None)
@given(documents)
def test_segmentation_accounts_for_every_line(lines):
    text = "\n".join(lines)
    seg = segment_text(text, "doc")
    kept = [part for unit in seg.units for part in unit.text.split("\n\n")]
    dropped = [t for _, t, _ in seg.dropped]
    expected = [clean_line(line) for line in text.splitlines() if clean_line(line)]
    assert sorted(kept + dropped) == sorted(expected)
    assert all(unit.text.strip() for unit in seg.units)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(max_size=80), max_size=12))
def test_classify_returns_one_row_per_string(tiny_classifier, texts):
    rows = tiny_classifier.predict_texts(texts)
    assert len(rows) == len(texts)
    assert [r["text"] for r in rows] == texts
    assert all(r["stance"] in tiny_classifier.stance_labels for r in rows)


@pytest.fixture(scope="module")
def tiny_classifier(tiny_model):
    from stanceframe.classifier import Classifier

    return Classifier(tiny_model)
