"""Training settings of the wrong type or out of range, and output folders that saving a model would wrongly
replace, are refused before any work, naming the file and the setting."""

from __future__ import annotations

import pytest
from conftest import tiny_config

from stanceframe.errors import StanceframeError
from stanceframe.modeling import check_output_dir
from stanceframe.training.config import TrainConfig
from stanceframe.training.trainer import train


@pytest.mark.parametrize("setting, value, message", [
    ("epochs", 2.5, "setting 'epochs' must be int"),
    ("seed", True, "setting 'seed' must be int"),
    ("learning_rate", True, "setting 'learning_rate' must be float"),
    ("schema", ["a", "b"], "setting 'schema' must be str"),
    ("learning_rate", 0, "learning_rate must be > 0"),
    ("warmup_ratio", 5, "warmup_ratio must be >= 0 and < 1"),
    ("label_smoothing", -1, "label_smoothing must be >= 0 and < 1"),
    ("early_stopping_patience", 0, "early_stopping_patience must be at least 1"),
    ("max_train_units", -5, "max_train_units at least 0"),
    ("extra_weight", 0.5, "extra_weight must be at least 1"),
])
def test_bad_settings_name_the_file_and_setting(tmp_path, setting, value, message):
    import yaml

    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump({setting: value}), encoding="utf-8")
    with pytest.raises(StanceframeError) as info:
        TrainConfig.from_yaml(path)
    assert str(path) in str(info.value) and message in str(info.value)
    assert TrainConfig.from_dict({"epochs": 3.0, "learning_rate": "5e-5"}).epochs == 3  # whole numbers still do


def test_output_folders_that_saving_would_wrongly_replace_are_refused(tmp_path, monkeypatch):
    labels = tmp_path / "my_labels"
    labels.mkdir()
    (labels / "train.jsonl").write_text("{}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for bad, message in ((labels, "holds other files than a model"), ("", "name a folder of its own"),
                         (".", "name a folder of its own"), (labels / "train.jsonl", "is a file")):
        with pytest.raises(StanceframeError, match=message):
            check_output_dir(bad)
    with pytest.raises(StanceframeError, match="an input of this run"):
        check_output_dir(tmp_path / "out", [tmp_path / "out" / "dev.jsonl"])
    (tmp_path / "killed" / "checkpoint").mkdir(parents=True)  # a killed run's folder may be trained into again
    for fine in (tmp_path / "new", tmp_path / "killed"):
        assert check_output_dir(fine) == fine


def test_train_refuses_a_folder_of_labels_before_training(tiny_base, tiny_data, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(StanceframeError, match="holds other files than a model"):
        train(tiny_config(tiny_base, tiny_data, folder), log=lambda *_: None)
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "keep me" and not (folder / "checkpoint").exists()
