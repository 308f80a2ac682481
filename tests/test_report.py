"""The corpus report from a fixture predictions file: every section, every figure a valid PNG."""

from __future__ import annotations

import csv
import json
import re

import pytest
from conftest import REPO

from stanceframe.cli import main
from stanceframe.inference.report import SECTIONS

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def predictions(tiny_model, tmp_path_factory):
    out = tmp_path_factory.mktemp("pred") / "pred.jsonl"
    assert main(["classify", str(REPO / "examples/units.csv"), str(REPO / "examples/docs"), "--model",
                 str(tiny_model), "--out", str(out), "--quiet"]) == 0
    return out


def test_report_has_every_section_and_figure(predictions, tiny_model, tmp_path):
    out = tmp_path / "report"
    assert main(["report", str(predictions), "--out", str(out), "--model", str(tiny_model)]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f">{section}</h2>" in page
    pngs = sorted(out.glob("*.png"))
    assert {p.name for p in pngs} >= {"stance_overall.png", "stance_by_document.png", "stance_by_source.png",
                                      "stance_over_time.png", "frames_by_stance.png", "frame_cooccurrence.png",
                                      "comments_vs_articles.png"}
    for png in pngs:
        assert png.read_bytes()[:8] == PNG
    # every figure is embedded, so the page needs nothing beside it (and no network)
    assert page.count("data:image/png;base64,") == len(pngs)
    assert not re.search(r"(src|href)=\"https?://", page)
    with open(out / "review_queue.csv", newline="", encoding="utf-8") as handle:
        queue = list(csv.DictReader(handle))
    confidences = [float(r["confidence"]) for r in queue]
    assert confidences == sorted(confidences)
    assert {"stance", "frames", "text", "id"} <= set(queue[0])
    facts = (out / "run_facts.csv").read_text(encoding="utf-8")
    assert "skipped inputs" in facts and "label schema" in facts


def test_review_queue_round_trips_into_labels(predictions, tmp_path, schema, capsys):
    out = tmp_path / "report"
    assert main(["report", str(predictions), "--out", str(out)]) == 0
    with open(out / "review_queue.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows[0]["stance"], rows[0]["frames"] = schema.stance_names[1], json.dumps([schema.frame_names[0]])
    rows[1]["stance"], rows[1]["frames"] = schema.stance_names[3], ""
    with open(out / "review_queue.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    labelled = tmp_path / "reviewed.jsonl"
    assert main(["labels", "from-review", str(out / "review_queue.csv"), "--out", str(labelled)]) == 0
    units = [json.loads(line) for line in labelled.read_text().splitlines()]
    assert [(u["stance"], u["frames"]) for u in units] == [(schema.stance_names[1], [schema.frame_names[0]]),
                                                           (schema.stance_names[3], [])]
    # saved again by a spreadsheet: "CSV UTF-8" adds a byte-order mark; another drops a column
    saved = out / "review_queue.csv"
    saved.write_bytes(b"\xef\xbb\xbf" + saved.read_bytes())
    assert main(["labels", "from-review", str(saved), "--out", str(labelled)]) == 0
    assert len(labelled.read_text().splitlines()) == 2
    saved.write_text("id,text,stance\nx,Some text,critical\n", encoding="utf-8")
    assert main(["labels", "from-review", str(saved), "--out", str(labelled)]) == 2
    assert f"{saved}:1: missing column(s) doc_id, kind, frames" in capsys.readouterr().err


def test_report_renders_in_headless_chromium(predictions, tmp_path):
    import sys

    sys.path.insert(0, str(REPO / "benchmarks"))
    from report_check import check, chromium

    if chromium() is None:
        pytest.skip("chromium not installed")
    out = tmp_path / "report"
    assert main(["report", str(predictions), "--out", str(out)]) == 0
    errors, dom = check(out / "report.html")
    assert errors == []
    assert "<h1>stanceframe report</h1>" in dom and "data:image/png;base64," in dom
