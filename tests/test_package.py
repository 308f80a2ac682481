"""The installed package: only `stanceframe` in the wheel, its presets equal the repository's files, and it works
from a folder outside the repository."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, make_rows, write_jsonl

from stanceframe.resources import packaged, packaged_configs


def test_packaged_presets_equal_the_files_people_edit():
    # labels/schema.yaml and train/configs/*.yaml are the sources; `make package-data` refreshes the copies
    assert packaged("schema.yaml").read_bytes() == (REPO / "labels/schema.yaml").read_bytes()
    configs = sorted(p.stem for p in (REPO / "train/configs").glob("*.yaml"))
    assert packaged_configs() == configs
    for name in configs:
        assert packaged(f"{name}.yaml").read_bytes() == (REPO / f"train/configs/{name}.yaml").read_bytes(), name


def test_the_wheel_holds_stanceframe_and_its_data_only(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path)], check=True, cwd=tmp_path, capture_output=True)
    wheel = next(tmp_path.glob("stanceframe-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert tops == {"stanceframe"}
    assert {"stanceframe/presets/schema.yaml", "stanceframe/presets/default.yaml",
            "stanceframe/metrics/stanceframe_metrics.py", "stanceframe/training/trainer.py",
            "stanceframe/inference/classify.py", "stanceframe/annotation/static/index.html",
            "stanceframe/annotation/static/app.js"} <= set(names)
    assert not [n for n in names if n.endswith((".jsonl", ".md")) and "dist-info" not in n]


def run_outside(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": ""}
    return subprocess.run([sys.executable, "-m", "stanceframe.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_commands_work_from_a_folder_outside_the_repository(tiny_model, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    assert not (outside / "labels").exists()
    probe = subprocess.run([sys.executable, "-c", "import train"], cwd=outside, capture_output=True)
    assert probe.returncode != 0  # the repository's scripts are not an installed package
    (outside / "some.txt").write_text("US poodle.\n\nThe ministry firmly opposed the deal, a spokesperson said.\n")
    done = run_outside(["classify", "some.txt", "--model", str(tiny_model), "--out", "p.jsonl", "--quiet"], outside)
    assert done.returncode == 0, done.stderr
    assert "2 units in, 2 classified" in done.stdout
    data = outside / "data"
    for split in ("train", "dev", "test"):
        write_jsonl(data / f"{split}.jsonl", make_rows(f"{split}-"))
    # no --schema: the packaged default schema; then a schema file given by path
    for extra in ([], ["--schema", str(REPO / "labels/schema.yaml")]):
        done = run_outside(["labels", "check", "--data-dir", "data", *extra], outside)
        assert done.returncode == 0, done.stderr
        assert "ok: 36 units in 9 documents" in done.stdout


@pytest.mark.parametrize("given", ["train/configs/default.yaml", "default"])
def test_the_default_config_is_found_from_any_folder(given, tmp_path, monkeypatch):
    from stanceframe.training.config import TrainConfig

    monkeypatch.chdir(tmp_path)
    assert TrainConfig.from_yaml(given).base_model == "all-MiniLM-L6-v2"
