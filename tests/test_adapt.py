"""`adapt`: the soft-target loss, the seeded sample, the resumable teacher cache, and an end-to-end run."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from conftest import ROWS, read_jsonl

from stanceframe.classifier import Classifier
from stanceframe.cli import main as cli_main
from stanceframe.errors import ModelDirError, StanceframeError
from stanceframe.training.adapt import adapt, sample_units, score_with_cache, unit_key
from stanceframe.training.config import AdaptConfig
from stanceframe.training.losses import soft_target_loss


def test_soft_target_loss_is_zero_at_the_teacher_and_pulls_towards_it():
    teacher_stance = torch.tensor([[0.7, 0.1, 0.1, 0.1], [0.05, 0.05, 0.3, 0.6]])
    teacher_frames = torch.tensor([[0.9, 0.2, 0.5], [0.1, 0.6, 0.02]])
    at_teacher = soft_target_loss(torch.log(teacher_stance), torch.logit(teacher_frames), teacher_stance,
                                  teacher_frames, temperature=2.0)
    assert abs(at_teacher.item()) < 1e-5
    stance_logits = torch.zeros(2, 4, requires_grad=True)
    frame_logits = torch.zeros(2, 3, requires_grad=True)
    optimizer = torch.optim.SGD([stance_logits, frame_logits], lr=1.0)
    losses = []
    for _ in range(200):
        loss = soft_target_loss(stance_logits, frame_logits, teacher_stance, teacher_frames, temperature=2.0)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert losses[0] > 0.1 and losses[-1] < losses[0] / 20
    np.testing.assert_allclose(torch.softmax(stance_logits, -1).detach(), teacher_stance, atol=0.02)
    np.testing.assert_allclose(torch.sigmoid(frame_logits).detach(), teacher_frames, atol=0.02)


def test_temperature_softens_targets():
    teacher = torch.tensor([[0.97, 0.01, 0.01, 0.01]])
    frames = torch.tensor([[0.5]])
    uniform = torch.zeros(1, 4)
    # a uniform student is closer to the teacher once both are softened (before the T² scaling)
    assert (soft_target_loss(uniform, torch.zeros(1, 1), teacher, frames, 4.0) / 16 <
            soft_target_loss(uniform, torch.zeros(1, 1), teacher, frames, 1.0))


def test_adapt_config_rejects_bad_values():
    with pytest.raises(StanceframeError, match="temperature"):
        AdaptConfig.from_dict({"temperature": 0})
    with pytest.raises(StanceframeError, match="confidence_floor"):
        AdaptConfig.from_dict({"confidence_floor": 1.5})
    with pytest.raises(StanceframeError, match="unknown setting"):
        AdaptConfig.from_dict({"base_model": "x"})


@pytest.fixture()
def corpus(tmp_path):
    """Three plain-text documents made of the written rows, and a file that cannot be read as text."""
    docs = tmp_path / "corpus"
    docs.mkdir()
    for doc in ("d1", "d2", "d3"):
        (docs / f"{doc}.txt").write_text("\n\n".join(r[3] for r in ROWS if r[0] == doc) + "\n", encoding="utf-8")
    (docs / "empty.txt").write_text("\n\n", encoding="utf-8")
    return docs


def test_sample_is_seeded_sized_and_in_corpus_order(corpus):
    everything, counts = sample_units([str(corpus)], 0, seed=1)
    assert counts["units"] == len(everything) == len(ROWS)
    assert sum(counts["skipped"].values()) == 1  # the empty document is reported, not dropped silently
    a, _ = sample_units([str(corpus)], 5, seed=1)
    b, _ = sample_units([str(corpus)], 5, seed=1)
    c, _ = sample_units([str(corpus)], 5, seed=2)
    assert [u["id"] for u in a] == [u["id"] for u in b] and len(a) == 5
    assert [u["id"] for u in a] != [u["id"] for u in c]
    order = [u["id"] for u in everything]
    assert [order.index(u["id"]) for u in a] == sorted(order.index(u["id"]) for u in a)


class CountingTeacher:
    """A classifier that counts the units it is asked to score."""

    def __init__(self, classifier):
        self.inner, self.asked = classifier, 0
        self.model_dir, self.precision = classifier.model_dir, classifier.precision
        self.stance_labels, self.frame_labels = classifier.stance_labels, classifier.frame_labels

    def predict(self, units):
        self.asked += len(units)
        return self.inner.predict(units)


def test_teacher_cache_resumes_without_rescoring(tiny_model, corpus, tmp_path):
    units, _ = sample_units([str(corpus)], 0, seed=0)
    cache = tmp_path / "cache.jsonl"
    first = CountingTeacher(Classifier(tiny_model, precision="fp32"))
    score_with_cache(first, units[:5], cache, progress=False)
    with open(cache, "a", encoding="utf-8") as handle:
        handle.write('{"key": "torn li')  # a run killed mid-write
    second = CountingTeacher(Classifier(tiny_model, precision="fp32"))
    stance, frames, run = score_with_cache(second, units, cache, progress=False)
    assert second.asked == len(units) - 5 and run == {**run, "scored": len(units) - 5, "from_cache": 5}
    lines = read_jsonl(cache)
    keys = [line["key"] for line in lines[1:]]
    assert len(keys) == len(set(keys)) == len(units) and set(keys) == {unit_key(u) for u in units}
    fresh, fresh_frames, _ = score_with_cache(Classifier(tiny_model, precision="fp32"), units, tmp_path / "new.jsonl",
                                              progress=False)
    np.testing.assert_allclose(stance, fresh, atol=1e-5)
    np.testing.assert_allclose(frames, fresh_frames, atol=1e-5)


def test_cache_of_another_teacher_is_refused(tiny_model, corpus, tmp_path):
    units, _ = sample_units([str(corpus)], 3, seed=0)
    cache = tmp_path / "cache.jsonl"
    score_with_cache(Classifier(tiny_model, precision="fp32"), units, cache, progress=False)
    with pytest.raises(StanceframeError, match="another teacher"):
        score_with_cache(Classifier(tiny_model, precision="int8"), units, cache, progress=False)


def test_adapt_writes_a_loadable_model_and_a_resumable_cache(tiny_model, corpus, tmp_path):
    student = tmp_path / "student"
    shutil.copytree(tiny_model, student)
    out = tmp_path / "adapted"
    config = AdaptConfig.from_dict({"teacher": str(tiny_model), "student": str(student), "output_dir": str(out),
                                    "sample": 8, "epochs": 1, "batch_size": 4, "confidence_floor": 0.0,
                                    "progress": False, "teacher_precision": "fp32"})
    metrics = adapt([str(corpus)], config, log=lambda *_: None)
    assert metrics["adapt"]["sample"] == 8 and metrics["adapt"]["kept"] == 8 and metrics["adapt"]["corpus_units"] == 12
    rows = Classifier(out).predict_texts(["US poodle.", "The ministry spokesperson firmly opposed the deal."])
    assert all(r["stance"] in config_labels(out) for r in rows)
    card = (out / "README.md").read_text()
    assert str(tiny_model) in card and "8 units" in card and str(corpus) in card
    args = json.loads((out / "training_args.json").read_text())
    assert args["student"] == str(student) and args["max_length"] == 64
    cache = out.parent / "adapted.teacher-cache.jsonl"
    assert len(read_jsonl(cache)) == 1 + 8
    # a second run on the same sample takes every teacher score from the cache
    again = adapt([str(corpus)], config, log=lambda *_: None)
    assert again["adapt"]["teacher_scored"] == 0
    # the student's weights changed: adapting trained something
    before = Classifier(student, precision="fp32").predict_texts(["The alliance is a blank cheque."])[0]
    after = Classifier(out, precision="fp32").predict_texts(["The alliance is a blank cheque."])[0]
    assert before["stance_scores"] != after["stance_scores"]


def config_labels(model_dir) -> list[str]:
    config = json.loads((model_dir / "config.json").read_text())
    return list(config["id2label"].values())


def test_missing_teacher_fails_with_a_clear_message(tiny_model, corpus, tmp_path, capsys):
    code = cli_main(["adapt", str(corpus), "--teacher", str(tmp_path / "accurate"), "--student", str(tiny_model),
                     "--out", str(tmp_path / "out"), "--progress", "false"])
    assert code == 2
    err = capsys.readouterr().err
    assert "teacher model" in err and "make train-accurate" in err and str(tmp_path / "accurate") in err
    assert not (tmp_path / "out").exists()
    with pytest.raises(ModelDirError, match="teacher"):
        adapt([str(corpus)], AdaptConfig.from_dict({"teacher": str(tmp_path), "student": str(tiny_model),
                                                    "output_dir": str(tmp_path / "o")}))


def test_shipped_configs_parse():
    from conftest import REPO

    from stanceframe.training.config import EnsembleConfig, TrainConfig

    mpnet = TrainConfig.from_yaml(REPO / "train/configs/accurate.yaml")
    assert mpnet.base_model == "all-mpnet-base-v2" and mpnet.output_dir == "models/accurate-mpnet"
    accurate = EnsembleConfig.from_yaml(REPO / "train/configs/accurate_ensemble.yaml")
    assert accurate.members == ["models/accurate-mpnet", "models/default"] and accurate.output_dir == "models/accurate"
    preset = AdaptConfig.from_yaml(REPO / "train/configs/adapt.yaml")
    assert preset.teacher == "models/accurate" and preset.student == "models/default" and preset.sample > 0
