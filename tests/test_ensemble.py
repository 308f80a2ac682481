"""Ensembles: weights chosen on dev, a self-contained directory, probabilities that are the members' weighted mean."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from conftest import ROWS

from stanceframe.classifier import Classifier
from stanceframe.cli import main as cli_main
from stanceframe.errors import ModelDirError, StanceframeError
from stanceframe.training.adapt import adapt
from stanceframe.training.config import AdaptConfig, EnsembleConfig
from stanceframe.training.ensemble import build_ensemble, weight_grid

TEXTS = [r[3] for r in ROWS]


@pytest.fixture(scope="module")
def ensemble(tiny_model, second_model, tiny_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("ens") / "ensemble"
    config = EnsembleConfig.from_dict({"members": [str(tiny_model), str(second_model)], "output_dir": str(out),
                                       "dev_file": str(tiny_data["dev"]), "test_file": str(tiny_data["test"]),
                                       "weight_step": 0.25, "precision": "fp32"})
    metrics = build_ensemble(config, log=lambda *_: None)
    return out, metrics


def test_weight_grid_covers_the_simplex():
    grid = weight_grid(3, 0.5)
    assert sorted(grid) == sorted([(1, 0, 0), (0, 1, 0), (0, 0, 1), (0.5, 0.5, 0), (0.5, 0, 0.5), (0, 0.5, 0.5)])
    assert len(weight_grid(2, 0.1)) == 11 and all(abs(sum(w) - 1) < 1e-9 for w in weight_grid(2, 0.1))


def test_ensemble_predicts_the_weighted_mean_of_its_members(ensemble, tiny_model, second_model):
    out, metrics = ensemble
    spec = json.loads((out / "ensemble.json").read_text())
    weights = {m["dir"]: m["weight"] for m in spec["members"]}
    assert len(weights) == 2  # both members count (else this would only test one model)
    assert abs(sum(weights.values()) - 1) < 1e-9 and len(metrics["weight_search"]) == 5
    # the directory is self-contained: members are copies, not links to where they were trained
    for member in ("tiny", "tiny-b"):
        if f"members/{member}" in weights:
            assert (out / "members" / member / "model.safetensors").is_file()
    ensemble = Classifier(out, precision="fp32")
    kinds = ["paragraph"] * len(TEXTS)
    parts = {"members/tiny": Classifier(tiny_model, precision="fp32").probs(TEXTS, kinds)[0],
             "members/tiny-b": Classifier(second_model, precision="fp32").probs(TEXTS, kinds)[0]}
    expected = sum(w * parts[d] for d, w in weights.items())
    np.testing.assert_allclose(ensemble.probs(TEXTS, kinds)[0], expected, atol=2e-5)
    # what it writes: the weighted mean, then the ensemble's own calibration (fitted on dev)
    combined = ensemble.predict_texts(TEXTS)
    written = [list(row["stance_scores"].values()) for row in combined]
    np.testing.assert_allclose(written, ensemble.calibration.stance(expected), atol=2e-5)
    assert all(row["stance"] == max(row["stance_scores"], key=row["stance_scores"].get) for row in combined)
    # frames are decided on the raw averaged probabilities against the thresholds tuned for them
    raw_frames = ensemble.probs(TEXTS, kinds)[1]
    thresholds = json.loads((out / "thresholds.json").read_text())
    assert all((f in row["frames"]) == (raw_frames[i][ensemble.frame_labels.index(f)] >= thresholds[f])
               for i, row in enumerate(combined) for f in thresholds)


def test_ensemble_records_its_choice_and_scores(ensemble):
    out, metrics = ensemble
    best = max(t["dev_score"] for t in metrics["weight_search"])
    mean = (metrics["dev"]["stance"]["macro_f1"] + metrics["dev"]["frames"]["micro_f1"]) / 2
    assert abs(mean - best) < 1e-9  # the chosen weights are the best on dev
    assert set(metrics["members"]) == {"tiny", "tiny-b"} and all("test" in m for m in metrics["members"].values())
    card = (out / "README.md").read_text()
    assert "stanceframe ensemble" in card and "weight" in card and "(tiny alone)" in card
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["weights"] == metrics["weights"]


def test_ensemble_is_evaluated_and_used_as_a_teacher(ensemble, tiny_model, tiny_data, tmp_path, capsys):
    out, _ = ensemble
    code = cli_main(["evaluate", "--model", str(out), "--data", str(tiny_data["test"]), "--json",
                     str(tmp_path / "m.json"), "--precision", "fp32"])
    assert code == 0
    scored = json.loads((tmp_path / "m.json").read_text())
    assert scored["n"] == len(ROWS) and scored["precision"] == "fp32"
    assert scored["baselines"]["tfidf_logreg"]["stance_macro_f1"] is not None  # found the members' training file
    docs = tmp_path / "corpus"
    docs.mkdir()
    (docs / "d.txt").write_text("\n\n".join(TEXTS[:6]) + "\n", encoding="utf-8")
    student = tmp_path / "student"
    shutil.copytree(tiny_model, student)
    config = AdaptConfig.from_dict({"teacher": str(out), "student": str(student), "output_dir": str(tmp_path / "a"),
                                    "sample": 0, "epochs": 1, "batch_size": 4, "confidence_floor": 0.0,
                                    "progress": False, "teacher_precision": "fp32"})
    metrics = adapt([str(docs)], config, log=lambda *_: None)
    assert metrics["adapt"]["teacher_scored"] == 6
    assert Classifier(tmp_path / "a").predict_texts(["Japan must decide for itself."])[0]["stance"]


def test_ensemble_refuses_bad_settings_and_directories(tiny_model, tiny_data, tmp_path):
    with pytest.raises(StanceframeError, match="at least two"):
        EnsembleConfig.from_dict({"members": [str(tiny_model)]})
    with pytest.raises(StanceframeError, match="weight_step"):
        EnsembleConfig.from_dict({"weight_step": 0.3})
    assert EnsembleConfig.from_dict({"members": "a, b"}).members == ["a", "b"]
    inside = EnsembleConfig.from_dict({"members": [str(tiny_model), str(tiny_model)],
                                       "output_dir": str(tiny_model.parent), "dev_file": str(tiny_data["dev"])})
    with pytest.raises(StanceframeError, match="an input of this run"):
        build_ensemble(inside, log=lambda *_: None)


def test_members_trained_on_other_labels_are_refused(tiny_model, tiny_data, tmp_path):
    renamed = tmp_path / "renamed"
    shutil.copytree(tiny_model, renamed)
    for name in ("config.json", "label_schema.json"):  # the same model, its first stance label renamed
        path = renamed / name
        path.write_text(path.read_text().replace('"pro_alliance"', '"pro_treaty"'))
    config = EnsembleConfig.from_dict({"members": [str(tiny_model), str(renamed)], "output_dir": str(tmp_path / "e"),
                                       "dev_file": str(tiny_data["dev"])})
    with pytest.raises(ModelDirError, match="other stance labels"):
        build_ensemble(config, log=lambda *_: None)
    assert not (tmp_path / "e").exists()


def test_an_ensemble_is_not_a_member(ensemble, tiny_model, tiny_data, tmp_path):
    out, _ = ensemble
    nested = EnsembleConfig.from_dict({"members": [str(out), str(tiny_model)], "output_dir": str(tmp_path / "n"),
                                       "dev_file": str(tiny_data["dev"])})
    with pytest.raises(StanceframeError, match="itself an ensemble"):
        build_ensemble(nested, log=lambda *_: None)


def test_a_broken_ensemble_directory_fails_clearly(ensemble, tmp_path):
    out, _ = ensemble
    broken = tmp_path / "broken"
    shutil.copytree(out, broken)
    spec = json.loads((broken / "ensemble.json").read_text())
    spec["members"][0]["weight"] = 0.9 + spec["members"][0]["weight"]
    (broken / "ensemble.json").write_text(json.dumps(spec))
    with pytest.raises(ModelDirError, match="sum to 1"):
        Classifier(broken)
    spec["members"][0]["weight"] -= 0.9
    (broken / "ensemble.json").write_text(json.dumps(spec))
    shutil.rmtree(broken / spec["members"][0]["dir"])
    with pytest.raises(ModelDirError, match="missing"):
        Classifier(broken)


def test_ensemble_classifies_a_corpus_from_the_command_line(ensemble, tmp_path, capsys):
    from conftest import read_jsonl

    from stanceframe.classifier import model_schema

    out, _ = ensemble
    assert model_schema(out).stance_names == Classifier(out).stance_labels
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("\n\n".join(TEXTS[:5]) + "\n", encoding="utf-8")
    (docs / "b.txt").write_text("\n\n".join(TEXTS[5:]) + "\n", encoding="utf-8")
    code = cli_main(["classify", str(docs), "--model", str(out), "--out", str(tmp_path / "p.jsonl"), "--quiet",
                     "--precision", "fp32"])
    assert code == 0
    rows = read_jsonl(tmp_path / "p.jsonl")
    assert [r["text"] for r in rows] == TEXTS and all(r["stance"] in model_schema(out).stance_names for r in rows)
    assert cli_main(["report", str(tmp_path / "p.jsonl"), "--out", str(tmp_path / "report"), "--model", str(out)]) == 0
    page = (tmp_path / "report" / "report.html").read_text()
    described = json.loads((out / "training_args.json").read_text())["base_model"]
    assert described.count("(") == 2 and described in page  # both members and their weights, as the base encoder
