"""`stanceframe train --extra-train`: the user's labels are trained on, named in the card and training_args;
bad label files name file:line; the learning-curve benchmark skips cleanly and runs end to end in --quick mode."""

from __future__ import annotations

import json

import pytest
from conftest import REPO, SCHEMA_PATH, load_benchmark, make_rows, read_jsonl, tiny_config, write_jsonl

from stanceframe.cli import build_parser, main
from stanceframe.errors import LabelFileError
from stanceframe.provenance import sha256_file
from stanceframe.training.config import TrainConfig, config_from_args
from stanceframe.training.trainer import train

QUIET = {"log": lambda *_: None}


@pytest.fixture(scope="module")
def extra_file(tmp_path_factory):
    return write_jsonl(tmp_path_factory.mktemp("extra") / "my_labels.jsonl", make_rows("mine-")[:5])


def read_json(path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_extra_labels_join_the_team_corpus_and_are_named(tiny_base, tiny_data, extra_file, tmp_path):
    out = tmp_path / "model"
    train(tiny_config(tiny_base, tiny_data, out, epochs=1, extra_train=[str(extra_file)], extra_weight=2.0,
                      reduced_precisions=False), **QUIET)
    args = read_json(out / "training_args.json")
    assert args["extra_train_files"] == [{"path": str(extra_file), "sha256": sha256_file(extra_file), "units": 5,
                                          "weight": 2.0}]
    assert args["provenance"]["data_sha256"]["train_extra1"]["sha256"] == sha256_file(extra_file)
    card = (out / "README.md").read_text(encoding="utf-8")
    assert str(extra_file) in card and "5 units, weight 2" in card
    assert "Trained on: 17 units in" in card and "and the extra labels below" in card  # 12 team + 5 extra, once each
    assert (out / "model.safetensors").is_file() and (out / "thresholds.json").is_file()
    assert read_json(out / "metrics.json")["inference_precisions"] == ["fp32"]


def test_continuing_a_model_replays_a_sample_of_the_team_corpus(tiny_model, tiny_data, extra_file, tmp_path):
    out = tmp_path / "continued"
    config = TrainConfig.from_yaml(REPO / "train/configs/extra.yaml", schema=str(SCHEMA_PATH),
                                   train_file=str(tiny_data["train"]), dev_file=str(tiny_data["dev"]),
                                   test_file=str(tiny_data["test"]), init_model=str(tiny_model),
                                   extra_train=[str(extra_file)], replay=4, epochs=1, output_dir=str(out),
                                   progress=False, reduced_precisions=False)
    train(config, **QUIET)
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "Trained on: 9 units in" in card and "Team units replayed: 4 of 12" in card and f"`{tiny_model}`" in card
    args = read_json(out / "training_args.json")
    assert args["max_length"] == 64 and args["init_model"] == str(tiny_model)  # the continued model's length
    assert read_json(tiny_model / "training_args.json")["base_model"] == args["base_model"]


def test_extra_train_flag_repeats_and_reads_from_yaml(tmp_path):
    parser = build_parser()
    args = parser.parse_args(["train", "--config", "extra", "--extra-train", "a.jsonl", "--extra-train", "b.jsonl",
                              "--extra-weight", "3"])
    config = config_from_args(args)
    assert config.extra_train == ["a.jsonl", "b.jsonl"] and config.extra_weight == 3.0
    assert config.init_model == "models/default" and config.replay > 0
    yaml = tmp_path / "c.yaml"
    yaml.write_text("extra_train: [x.jsonl, y.jsonl]\nextra_weight: 0\n", encoding="utf-8")
    with pytest.raises(Exception, match="extra_weight must be at least 1"):
        TrainConfig.from_yaml(yaml)


def test_a_bad_extra_label_file_errors_with_file_and_line(tiny_base, tiny_data, tmp_path, capsys):
    bad = tmp_path / "bad_labels.jsonl"
    rows = make_rows("bad-")[:3]
    rows[1]["stance"] = "no_such_stance"
    write_jsonl(bad, rows)
    with pytest.raises(LabelFileError, match=r"bad_labels\.jsonl:2: unknown stance label"):
        train(tiny_config(tiny_base, tiny_data, tmp_path / "m", extra_train=[str(bad)]), **QUIET)
    clash = write_jsonl(tmp_path / "clash.jsonl", make_rows("train-")[:2])  # ids of the team training file
    assert main(["train", "--config", str(REPO / "train/configs/default.yaml"), "--schema", str(SCHEMA_PATH),
                 "--train-file", str(tiny_data["train"]), "--dev-file", str(tiny_data["dev"]), "--base-model",
                 str(tiny_base), "--extra-train", str(clash), "--output-dir", str(tmp_path / "m2")]) == 2
    assert "clash.jsonl:1: id 'train-d1-01' is also in the team corpus (train split)" in capsys.readouterr().err
    leak = [{**row, "id": f"mine-{i}"} for i, row in enumerate(make_rows("dev-")[:2])]  # new ids, a dev document
    with pytest.raises(LabelFileError, match=r"leak\.jsonl:1: document 'dev-d1' is in the team corpus's dev split"):
        train(tiny_config(tiny_base, tiny_data, tmp_path / "m3", extra_train=[str(write_jsonl(tmp_path / "leak.jsonl",
                                                                                               leak))]), **QUIET)
    assert not (tmp_path / "m").exists() and not (tmp_path / "m2").exists() and not (tmp_path / "m3").exists()


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("learning_curve")


def test_learning_curve_skips_cleanly_without_the_gold_file(bench, tmp_path, capsys):
    assert bench.main(["--gold", str(tmp_path / "absent.jsonl"), "--out", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().out.startswith("skipped:")
    assert not (tmp_path / "out").exists()


def test_learning_curve_runs_end_to_end_in_quick_mode(bench, tiny_model, tiny_data, tmp_path, capsys):
    gold = write_jsonl(tmp_path / "gold.jsonl", [row for p in ("g1-", "g2-", "g3-") for row in make_rows(p)])
    out = tmp_path / "out"
    assert bench.main(["--default", str(tiny_model), "--gold", str(gold), "--config",
                       str(REPO / "train/configs/extra.yaml"), "--train-file", str(tiny_data["train"]),
                       "--dev-file", str(tiny_data["dev"]), "--sizes", "2", "0", "--seeds", "0", "--quick",
                       "--out", str(out)]) == 0
    record = json.loads((out / "learning_curve.json").read_text(encoding="utf-8"))
    assert {(r["size"], r["strategy"]) for r in record["runs"]} == {(2, "uncertainty"), (2, "random"),
                                                                    (0, "uncertainty"), (0, "random")}
    assert all(0 <= r["stance_macro_f1"] <= 1 for r in record["runs"])
    assert record["baseline"][0]["pool"] + record["baseline"][0]["test"] == 36
    table = (out / "learning_curve.md").read_text(encoding="utf-8")
    assert "| 2 |" in table and "| all |" in table and "uncertainty beats random?" in table
    texts = [row["text"] for row in read_jsonl(gold)]
    written = (out / "learning_curve.json").read_text(encoding="utf-8") + table
    assert not [t for t in texts if t in written]  # ids and figures only, never the gold text
    assert "Baseline" in capsys.readouterr().out
    args = ["--default", str(tiny_model), "--gold", str(gold), "--config", str(REPO / "train/configs/extra.yaml"),
            "--train-file", str(tiny_data["train"]), "--dev-file", str(tiny_data["dev"]), "--quick", "--out", str(out)]
    assert bench.main([*args, "--sizes", "2", "0", "4", "--seeds", "0", "--resume"]) == 0  # only size 4 is new
    again = json.loads((out / "learning_curve.json").read_text(encoding="utf-8"))
    assert again["runs"][:4] == record["runs"] and [r["size"] for r in again["runs"][4:]] == [4, 4]
    assert "resumed: 4 runs already done" in capsys.readouterr().out
