"""int8 against fp32, and a run killed part-way then resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import REPO, read_jsonl

from infer.classify import Classifier
from infer.inputs import iter_inputs
from stanceframe.cli import main


def fixture_units() -> list[dict]:
    return [u for u in iter_inputs([REPO / "examples/docs", REPO / "examples/units.csv"]) if "error" not in u]


def test_int8_agrees_with_fp32(tiny_model):
    units = fixture_units()
    fp32 = Classifier(tiny_model).predict(units)
    int8 = Classifier(tiny_model, precision="int8").predict(units)
    agree = sum(a["stance"] == b["stance"] for a, b in zip(fp32, int8)) / len(units)
    assert len(units) >= 100
    assert agree >= 0.95


def write_big_table(path, n: int) -> list[str]:
    texts = [u["text"] for u in fixture_units()]
    ids = []
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(n):
            ids.append(f"u{i:06d}")
            handle.write(json.dumps({"id": ids[-1], "doc_id": f"d{i // 10}", "text": texts[i % len(texts)]}) + "\n")
    return ids


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_killed_run_resumes_with_exactly_one_row_per_unit(tiny_model, tmp_path, suffix):
    table = tmp_path / "units.jsonl"
    ids = write_big_table(table, 6000)
    out = tmp_path / f"pred{suffix}"
    checkpoint = tmp_path / f".pred{suffix}.checkpoint.json"
    cmd = [sys.executable, "-m", "stanceframe.cli", "classify", str(table), "--model", str(tiny_model),
           "--out", str(out), "--chunk-size", "50", "--quiet"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    consumed = 0
    while time.time() < deadline and proc.poll() is None:
        if checkpoint.exists():
            try:
                consumed = json.loads(checkpoint.read_text())["consumed"]
            except (ValueError, KeyError):
                consumed = 0
            if consumed >= 500:
                break
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists()
    assert 500 <= consumed < len(ids)
    assert main(["classify", str(table), "--model", str(tiny_model), "--out", str(out), "--chunk-size", "50",
                 "--quiet", "--resume"]) == 0
    from infer.outputs import read_predictions

    rows = read_predictions(out)
    assert [r["id"] for r in rows] == ids
    assert not checkpoint.exists()


def test_resume_refuses_another_job(tiny_model, tmp_path, capsys):
    table = tmp_path / "units.jsonl"
    write_big_table(table, 20)
    out = tmp_path / "pred.jsonl"
    (tmp_path / ".pred.jsonl.checkpoint.json").write_text(json.dumps(
        {"job": {"paths": ["/elsewhere"]}, "bytes": 0, "error_bytes": 0, "consumed": 0, "units_in": 0,
         "classified": 0, "skipped": {}}))
    assert main(["classify", str(table), "--model", str(tiny_model), "--out", str(out), "--quiet", "--resume"]) == 2
    assert "run without --resume" in capsys.readouterr().err
    assert main(["classify", str(table), "--model", str(tiny_model), "--out", str(out), "--quiet"]) == 0
    assert len(read_jsonl(out)) == 20
