"""`stanceframe labels export/import`: Label Studio and doccano, both ways."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import SCHEMA_PATH, make_rows, read_jsonl, write_jsonl

from stanceframe.annotation.exchange import export_units, import_units
from stanceframe.cli import main
from stanceframe.data import load_annotated

FIXTURES = Path(__file__).parent / "fixtures"
FORMATS = {"label-studio": "tasks.json", "doccano": "units.jsonl"}
KEYS = ("id", "doc_id", "kind", "author", "text", "stance", "frames")


def labelled(tmp_path) -> Path:
    return write_jsonl(tmp_path / "labels.jsonl", make_rows("x-"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_labels_round_trip(fmt, schema, tmp_path):
    source = labelled(tmp_path)
    out = tmp_path / FORMATS[fmt]
    assert main(["labels", "export", str(source), "--format", fmt, "--out", str(out), "--labels", "annotations",
                 "--schema", str(SCHEMA_PATH)]) == 0
    back = tmp_path / "back.jsonl"
    assert main(["labels", "import", str(out), "--format", fmt, "--out", str(back), "--schema", str(SCHEMA_PATH)]) == 0
    rows, errors = load_annotated(back, schema)
    assert errors == []
    assert [{k: r[k] for k in KEYS} for r in rows] == [{k: r[k] for k in KEYS} for r in read_jsonl(source)]
    assert {r["source"] for r in rows} == {fmt}


@pytest.mark.parametrize("fmt", FORMATS)
def test_suggestions_go_out_as_predictions_and_nothing_comes_back_unlabelled(fmt, schema, tmp_path):
    rows = make_rows("p-")
    for row in rows:
        row["stance_scores"] = {row["stance"]: 0.8}
    source = write_jsonl(tmp_path / "queue.jsonl", rows)
    out = tmp_path / FORMATS[fmt]
    export_units(source, out, fmt, schema)
    units, problems, unlabelled = import_units(out, fmt, schema)
    assert (units, problems, unlabelled) == ([], [], len(rows))
    if fmt == "label-studio":
        task = json.loads(out.read_text(encoding="utf-8"))[0]
        assert "annotations" not in task and task["data"]["unit_id"] == rows[0]["id"]
        result = task["predictions"][0]["result"]
        assert result[0] == {"from_name": "stance", "to_name": "text", "type": "choices",
                             "value": {"choices": [rows[0]["stance"]]}}
        assert result[1]["from_name"] == "frames" and result[1]["value"]["choices"] == rows[0]["frames"]
        assert task["predictions"][0]["score"] == 0.8
    else:
        line = read_jsonl(out)[0]
        assert line["label"] == [] and (line["model_stance"], line["model_frames"]) == (rows[0]["stance"],
                                                                                      rows[0]["frames"])


def test_label_studio_config_holds_the_schema_labels(schema, tmp_path):
    out = tmp_path / "tasks.json"
    export_units(labelled(tmp_path), out, "label-studio", schema)
    root = ET.parse(tmp_path / "tasks.label_config.xml").getroot()
    assert root.tag == "View" and root.find("Text").attrib == {"name": "text", "value": "$text"}
    choices = {c.get("name"): c for c in root.iter("Choices")}
    assert choices["stance"].get("choice") == "single" and choices["frames"].get("choice") == "multiple"
    assert {c.get("toName") for c in choices.values()} == {"text"}
    assert [c.get("value") for c in choices["stance"]] == schema.stance_names
    assert [c.get("value") for c in choices["frames"]] == schema.frame_names


def test_import_of_a_label_studio_export(schema, tmp_path):
    units, problems, unlabelled = import_units(FIXTURES / "label_studio" / "export.json", "label-studio", schema)
    assert problems == [] and unlabelled == 1
    by_id = {u["id"]: u for u in units}
    assert set(by_id) == {"ls-a-01", "ls-a-02", "104"}
    assert (by_id["ls-a-01"]["stance"], by_id["ls-a-01"]["frames"]) == ("neutral",
                                                                        ["military_capability", "diplomacy_partnership"])
    # the latest annotation not cancelled wins over an older one; the text-area result is ignored
    assert (by_id["ls-a-02"]["stance"], by_id["ls-a-02"]["frames"]) == ("critical", ["cost_burden"])
    assert (by_id["ls-a-02"]["kind"], by_id["ls-a-02"]["author"]) == ("comment", "harbourview")
    made_in_ls = by_id["104"]
    assert (made_in_ls["doc_id"], made_in_ls["kind"], made_in_ls["stance"]) == ("104", "paragraph", "chinese_official")
    out = tmp_path / "imported.jsonl"
    write_jsonl(out, units)
    assert load_annotated(out, schema)[1] == []


def test_import_of_a_doccano_export(schema):
    units, problems, unlabelled = import_units(FIXTURES / "doccano" / "export.jsonl", "doccano", schema)
    assert problems == [] and unlabelled == 1
    by_id = {u["id"]: u for u in units}
    assert set(by_id) == {"dc-a-01", "dc-a-02", "dc-b-02", "5"}
    assert (by_id["dc-a-01"]["stance"], by_id["dc-a-01"]["frames"]) == ("neutral",
                                                                        ["military_capability", "diplomacy_partnership"])
    assert (by_id["dc-b-02"]["stance"], by_id["dc-b-02"]["frames"]) == ("pro_alliance", ["diplomacy_partnership"])
    assert (by_id["5"]["doc_id"], by_id["5"]["kind"], by_id["5"]["author"]) == ("5", "paragraph", None)


def test_unknown_labels_are_errors_naming_file_and_item(tmp_path, capsys):
    path = FIXTURES / "label_studio" / "unknown_label.json"
    out = tmp_path / "out.jsonl"
    assert main(["labels", "import", str(path), "--format", "label-studio", "--out", str(out),
                 "--schema", str(SCHEMA_PATH)]) == 1
    err = capsys.readouterr().err
    assert f"{path}: task 2 (id 104): unknown stance label 'hawkish'" in err
    assert f"{path}: task 2 (id 104): unknown frame label(s) 'weather'" in err
    assert "task 1" not in err and not out.exists()

    path = FIXTURES / "doccano" / "unknown_label.jsonl"
    assert main(["labels", "import", str(path), "--format", "doccano", "--out", str(out),
                 "--schema", str(SCHEMA_PATH)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:2: item 'dc-a-02': unknown label(s) 'weather'" in err
    assert f"{path}:3: item 'dc-b-02': expected one stance label, found 2" in err
    assert ":1:" not in err and not out.exists()


def test_export_refuses_units_with_labels_outside_the_schema(tmp_path, capsys):
    rows = make_rows("u-")
    rows[1]["stance"] = "hawkish"
    source = write_jsonl(tmp_path / "queue.jsonl", rows)
    assert main(["labels", "export", str(source), "--format", "doccano", "--out", str(tmp_path / "d.jsonl"),
                 "--schema", str(SCHEMA_PATH)]) == 2
    assert f"{source}:2: suggested stance 'hawkish'" in capsys.readouterr().err


def test_a_unit_labelled_twice_is_an_error(schema, tmp_path):
    rows = read_jsonl(FIXTURES / "doccano" / "export.jsonl")
    path = write_jsonl(tmp_path / "twice.jsonl", [rows[0], {**rows[1], "unit_id": rows[0]["unit_id"]}])
    units, problems, _ = import_units(path, "doccano", schema)
    assert len(problems) == 1 and "'dc-a-01' is labelled twice" in str(problems[0])
