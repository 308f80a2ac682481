"""Train → save → load → predict, the saved format, and reproducibility."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from conftest import tiny_config

from stanceframe.classifier import Classifier
from stanceframe.errors import ModelDirError, StanceframeError
from stanceframe.modeling import REQUIRED_FILES, load_model
from stanceframe.predict import length_batches, predict_probs
from stanceframe.training.trainer import train


def test_saved_directory_describes_itself(tiny_model, schema):
    names = {p.name for p in tiny_model.iterdir()}
    assert set(REQUIRED_FILES) | {"README.md", "training_args.json", "metrics.json", "tokenizer.json"} <= names
    assert not [n for n in names if n.endswith((".bin", ".pt", ".pth", ".pkl", ".pickle"))]
    config = json.loads((tiny_model / "config.json").read_text())
    assert [config["id2label"][str(i)] for i in range(4)] == schema.stance_names
    assert config["frame_labels"] == schema.frame_names
    thresholds = json.loads((tiny_model / "thresholds.json").read_text())
    assert set(thresholds) == set(schema.frame_names)
    assert all(0 < t < 1 for t in thresholds.values())
    int8 = json.loads((tiny_model / "thresholds_int8.json").read_text())
    assert set(int8) == set(schema.frame_names)
    metrics = json.loads((tiny_model / "metrics.json").read_text())
    for precision in ("int8", "bf16"):
        assert set(metrics[precision]) == {"dev", "test"} and metrics[precision]["test"]["n"] == metrics["test"]["n"]
    assert config["inference_precisions"] == metrics["inference_precisions"] and config["inference_precisions"][-1] == "fp32"
    card = (tiny_model / "README.md").read_text()
    assert "stance macro-F1" in card and "`cost_burden`" in card


def test_round_trip_predictions_survive_save_and_load(tiny_model, tiny_data, tmp_path):
    model, tokenizer, thresholds, schema = load_model(tiny_model)
    texts = ["US poodle.", "The ministry spokesperson firmly opposed the deal.", "Budget: 43 trillion yen."]
    stance_a, frames_a, _ = predict_probs(model, tokenizer, texts, ["comment", "paragraph", "headline"])
    reloaded, tokenizer_b, _, _ = load_model(tiny_model)
    stance_b, frames_b, _ = predict_probs(reloaded, tokenizer_b, texts, ["comment", "paragraph", "headline"])
    np.testing.assert_allclose(stance_a, stance_b, rtol=0, atol=1e-6)
    np.testing.assert_allclose(frames_a, frames_b, rtol=0, atol=1e-6)
    np.testing.assert_allclose(stance_a.sum(1), 1.0, atol=1e-5)
    rows = Classifier(tiny_model, precision="fp32").predict_texts(texts)
    assert [r["stance"] for r in rows] == [schema.stance_names[i] for i in stance_a.argmax(1)]
    assert all(set(r["stance_scores"]) == set(schema.stance_names) for r in rows)


def test_batching_does_not_change_scores(tiny_model):
    model, tokenizer, _, _ = load_model(tiny_model)
    texts = ["short", "a much longer unit of text about the alliance " * 5, "medium length unit here"]
    together, _, _ = predict_probs(model, tokenizer, texts)
    alone = np.vstack([predict_probs(model, tokenizer, [t])[0] for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_int8_quantizes_the_feed_forward_layers_only(tiny_model):
    from stanceframe.precision import int8_module_names

    model = Classifier(tiny_model, precision="fp32").members[0][0].model
    names = int8_module_names(model)
    assert names and all("attention" not in n and n.startswith("encoder.") for n in names)
    quantized = Classifier(tiny_model, precision="int8")
    member = quantized.members[0][0]
    kinds = {type(m).__name__ for n, m in member.model.named_modules() if n in names}
    assert kinds == {"Linear"} and "dynamic" in type(member.model.get_submodule(next(iter(names)))).__module__
    assert type(member.model.stance_head) is torch.nn.Linear
    assert quantized.thresholds == json.loads((tiny_model / "thresholds_int8.json").read_text())


def test_long_units_are_flagged_truncated(tiny_model):
    rows = Classifier(tiny_model).predict_texts(["word " * 400, "short text"])
    assert [r["truncated"] for r in rows] == [True, False]


def test_length_batches_cover_every_index_once():
    lengths = [5, 50, 7, 120, 9, 60, 3]
    batches = length_batches(lengths, max_units=3, max_tokens=150)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert all(len(b) <= 3 and max(lengths[i] for i in b) * len(b) <= 150 for b in batches)


def test_length_batches_use_few_shapes():
    rng = np.random.default_rng(0)
    lengths = rng.integers(3, 256, size=5000).tolist()
    batches = length_batches(lengths, max_units=64, max_tokens=8192, multiple=16)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    shapes = {(len(b), -(-max(lengths[i] for i in b) // 16) * 16) for b in batches}
    assert all(n & (n - 1) == 0 and n * width <= 8192 for n, width in shapes)  # powers of two, within budget
    assert len(shapes) <= 16 * 7  # at most 16 padded widths x 7 batch sizes, however many units
    assert len(batches) < len(lengths) / 20  # and still mostly full batches


def test_same_seed_same_metrics(tiny_base, tiny_data, tmp_path):
    runs = []
    for name in ("a", "b"):
        metrics = train(tiny_config(tiny_base, tiny_data, tmp_path / name, epochs=2), log=lambda *_: None)
        runs.append(metrics)
    assert runs[0]["history"] == runs[1]["history"]
    assert runs[0]["test"] == runs[1]["test"]
    a = load_model(tmp_path / "a")[0].state_dict()
    b = load_model(tmp_path / "b")[0].state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_bf16_training_keeps_fp32_weights_and_says_so(tiny_base, tiny_data, tmp_path):
    metrics = train(tiny_config(tiny_base, tiny_data, tmp_path / "m", epochs=3, train_precision="bf16"),
                    log=lambda *_: None)
    assert metrics["train_precision"] == "bf16"
    losses = [h["train_loss"] for h in metrics["history"]]
    assert losses[-1] < losses[0]  # it learns
    model = load_model(tmp_path / "m")[0]
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    assert "(bf16 arithmetic)" in (tmp_path / "m" / "README.md").read_text()
    with pytest.raises(StanceframeError, match="train_precision must be one of"):
        tiny_config(tiny_base, tiny_data, tmp_path / "x", train_precision="fp16")


def test_missing_model_files_give_a_clear_error(tiny_model, tmp_path):
    with pytest.raises(ModelDirError, match="no such model directory"):
        load_model(tmp_path / "nowhere")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text((tiny_model / "config.json").read_text())
    with pytest.raises(ModelDirError, match="missing model.safetensors"):
        load_model(broken)
