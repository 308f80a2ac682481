"""What a model directory records about how it was made, and the warning when it is scored on its own data."""

from __future__ import annotations

import hashlib
import json
from importlib import metadata

from conftest import SCHEMA_PATH, make_rows, write_jsonl

from stanceframe.cli import main


def test_training_args_record_versions_revision_and_data_hashes(tiny_model, tiny_data):
    record = json.loads((tiny_model / "training_args.json").read_text())["provenance"]
    assert record["versions"] == {name: metadata.version(name)
                                  for name in ("torch", "transformers", "tokenizers", "stanceframe")}
    revision = record["git_revision"]
    assert revision is None or len(revision.removesuffix("-dirty")) == 40
    files = {"schema": SCHEMA_PATH, **tiny_data}
    assert record["data_sha256"] == {role: {"path": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
                                     for role, path in files.items()}
    card = (tiny_model / "README.md").read_text()
    assert f"torch {metadata.version('torch')}" in card
    assert f"train `{record['data_sha256']['train']['sha256'][:12]}`" in card


def test_evaluate_warns_on_the_files_the_model_was_trained_and_selected_on(tiny_model, tiny_data, tmp_path, capsys):
    copy = write_jsonl(tmp_path / "renamed_train.jsonl", [json.loads(x) for x in tiny_data["train"].read_text().splitlines()])
    for gold, role in ((copy, "train"), (tiny_data["dev"], "dev")):
        out = tmp_path / f"{role}.json"
        assert main(["evaluate", "--model", str(tiny_model), "--data", str(gold), "--json", str(out), "--n-boot", "20",
                     "--precision", "fp32"]) == 0
        err = capsys.readouterr().err
        assert f"warning: {gold} is the {role} file" in err  # found by content, whatever the file is called
        assert len(json.loads(out.read_text())["warnings"]) == 1
    fresh = write_jsonl(tmp_path / "gold.jsonl", make_rows("gold-"))
    out = tmp_path / "fresh.json"
    assert main(["evaluate", "--model", str(tiny_model), "--data", str(fresh), "--json", str(out), "--n-boot", "20",
                 "--precision", "fp32"]) == 0
    assert "warning" not in capsys.readouterr().err and json.loads(out.read_text())["warnings"] == []
