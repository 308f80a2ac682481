"""int8 against fp32, and a run killed part-way then resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
import torch
from conftest import REPO, read_jsonl

from stanceframe.classifier import Classifier
from stanceframe.cli import main
from stanceframe.inputs import iter_inputs
from stanceframe.precision import accepted_precisions, resolve_precision


def fixture_units() -> list[dict]:
    return [u for u in iter_inputs([REPO / "examples/docs", REPO / "examples/units.csv"]) if "error" not in u]


def agreement(precision: str, tiny_model, units: list[dict]) -> float:
    fp32 = Classifier(tiny_model, precision="fp32").predict(units)
    other = Classifier(tiny_model, precision=precision).predict(units)
    return sum(a["stance"] == b["stance"] for a, b in zip(fp32, other)) / len(units)


def test_int8_agrees_with_fp32(tiny_model):
    units = fixture_units()
    assert len(units) >= 100
    assert agreement("int8", tiny_model, units) >= 0.95


def test_bf16_agrees_with_fp32(tiny_model):
    units = fixture_units()
    classifier = Classifier(tiny_model, precision="bf16")
    assert next(classifier.members[0][0].model.parameters()).dtype == torch.bfloat16
    assert agreement("bf16", tiny_model, units) >= 0.95
    rows = classifier.predict(units[:3])
    assert all(abs(sum(r["stance_scores"].values()) - 1) < 0.02 for r in rows)  # probabilities, not bf16 garbage


def scores(stance: float, frames: float) -> dict:
    return {"stance": {"macro_f1": stance}, "frames": {"micro_f1": frames}}


def test_reduced_precisions_are_accepted_on_dev_only_within_a_point_of_fp32():
    close = {"dev": scores(0.86, 0.78), "test": scores(0.84, 0.76),
             "int8": {"dev": scores(0.851, 0.771), "test": scores(0.849, 0.752)},
             "bf16": {"dev": scores(0.86, 0.781), "test": scores(0.84, 0.759)}}
    assert accepted_precisions(close) == ["bf16", "int8", "fp32"]  # int8: -0.9 points of each on dev
    far = {**close, "int8": {"dev": scores(0.845, 0.78), "test": scores(0.84, 0.76)}}
    assert accepted_precisions(far) == ["bf16", "fp32"]  # -1.5 points of stance on dev: out, however good on test
    frames_only = {**close, "bf16": {"dev": scores(0.86, 0.765), "test": scores(0.84, 0.76)}}
    assert accepted_precisions(frames_only) == ["int8", "fp32"]
    test_is_ignored = {**close, "int8": {"dev": scores(0.86, 0.78), "test": scores(0.60, 0.50)}}
    assert accepted_precisions(test_is_ignored) == ["bf16", "int8", "fp32"]  # the test split chooses nothing
    assert accepted_precisions({"dev": scores(0.8, 0.7)}) == ["fp32"]  # never measured: not accepted


def test_auto_takes_the_first_accepted_precision_this_cpu_runs_natively():
    everything = SimpleNamespace(inference_precisions=["bf16", "int8", "fp32"])
    assert resolve_precision("auto", everything, bf16_native=True) == "bf16"
    assert resolve_precision("auto", everything, bf16_native=False) == "int8"
    assert resolve_precision("auto", SimpleNamespace(inference_precisions=["bf16", "fp32"]), bf16_native=False) == "fp32"
    assert resolve_precision("auto", SimpleNamespace(inference_precision="fp32"), bf16_native=True) == "fp32"  # older models
    assert resolve_precision("auto", SimpleNamespace(), bf16_native=True) == "int8"  # oldest: int8 was the only default
    assert resolve_precision("int8", everything, bf16_native=True) == "int8"
    with pytest.raises(ValueError, match="precision must be one of"):
        resolve_precision("fp16", everything)


def test_auto_precision_follows_the_model_directory(tiny_model, tmp_path, monkeypatch):
    import shutil

    from stanceframe import precision

    metrics = json.loads((tiny_model / "metrics.json").read_text())
    recorded = json.loads((tiny_model / "config.json").read_text())["inference_precisions"]
    # what training recorded is what its own dev scores accept: each reduced precision within a point on dev
    expected = [p for p in ("bf16", "int8") if all(
        metrics["dev"][g][k] - metrics[p]["dev"][g][k] <= 0.01 for g, k in (("stance", "macro_f1"), ("frames", "micro_f1")))]
    assert recorded == expected + ["fp32"]
    copy = tmp_path / "all"
    shutil.copytree(tiny_model, copy)
    config = json.loads((copy / "config.json").read_text())
    (copy / "config.json").write_text(json.dumps({**config, "inference_precisions": ["bf16", "int8", "fp32"]}))
    for native, wanted in ((True, "bf16"), (False, "int8")):
        monkeypatch.setattr(precision, "native_bf16", lambda native=native: native)
        assert Classifier(copy).precision == wanted
    for wanted in ("int8", "fp32"):
        (copy / "config.json").write_text(json.dumps({**config, "inference_precisions": [wanted, "fp32"]}))
        assert Classifier(copy).precision == wanted
        assert Classifier(copy, precision="fp32").precision == "fp32"


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
    from stanceframe.inference.outputs import read_predictions

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
