"""Training checkpoints: a run killed with SIGKILL and resumed ends with the weights of an uninterrupted run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch
import yaml
from conftest import REPO, tiny_config

from stanceframe.cli import main
from stanceframe.errors import StanceframeError
from stanceframe.modeling import load_model
from stanceframe.training.checkpoint import checkpoint_path
from stanceframe.training.trainer import train

# Runs `stanceframe train` and SIGKILLs itself right after the checkpoint of epoch KILL_AFTER is on disk.
KILLER = """
import os, signal, sys
from stanceframe.training import trainer
save = trainer.save_checkpoint
def save_then_die(path, state):
    save(path, state)
    if state["epoch"] == int(sys.argv[1]):
        os.kill(os.getpid(), signal.SIGKILL)
trainer.save_checkpoint = save_then_die
from stanceframe.cli import main
sys.exit(main(["train", "--config", sys.argv[2]]))
"""


def write_config(tiny_base, tiny_data, output, path, **overrides):
    path.write_text(yaml.safe_dump(tiny_config(tiny_base, tiny_data, output, **overrides).to_dict()))
    return path


def weights(model_dir) -> dict[str, torch.Tensor]:
    return load_model(model_dir)[0].state_dict()


def test_a_killed_run_resumes_to_the_same_weights(tiny_base, tiny_data, tmp_path):
    whole = train(tiny_config(tiny_base, tiny_data, tmp_path / "whole", epochs=3), log=lambda *_: None)
    config = write_config(tiny_base, tiny_data, tmp_path / "killed", tmp_path / "killed.yaml", epochs=3)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", KILLER, "2", str(config)], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == -9, done.stderr  # killed by SIGKILL
    saved = torch.load(checkpoint_path(tmp_path / "killed"), weights_only=True)
    assert saved["epoch"] == 2 and not (tmp_path / "killed" / "model.safetensors").exists()
    assert {"model", "optimizer", "scheduler", "rng", "best_score", "best_state"} <= set(saved)
    assert main(["train", "--config", str(config), "--resume"]) == 0
    a, b = weights(tmp_path / "whole"), weights(tmp_path / "killed")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    resumed = json.loads((tmp_path / "killed" / "metrics.json").read_text())
    assert resumed["history"] == whole["history"] and resumed["best_epoch"] == whole["best_epoch"]
    # the finished directory was built aside and moved in: no checkpoint, no staging folder left
    assert not (tmp_path / "killed" / "checkpoint").exists() and not (tmp_path / "killed.building").exists()


def test_resume_refuses_a_checkpoint_of_other_settings(tiny_base, tiny_data, tmp_path, monkeypatch):
    from stanceframe.training import trainer

    output = tmp_path / "m"
    calls = []
    original = trainer.save_checkpoint

    def save_and_stop(path, state):
        original(path, state)
        calls.append(state["epoch"])
        raise KeyboardInterrupt  # stands in for a kill after the first checkpoint

    with monkeypatch.context() as patch:
        patch.setattr(trainer, "save_checkpoint", save_and_stop)
        with pytest.raises(KeyboardInterrupt):
            train(tiny_config(tiny_base, tiny_data, output, epochs=1), log=lambda *_: None)
    assert calls == [1] and not (tmp_path / "m.building").exists()
    with pytest.raises(StanceframeError, match="other settings"):
        train(tiny_config(tiny_base, tiny_data, output, epochs=1, learning_rate=5e-4), log=lambda *_: None, resume=True)
    # the same settings resume (another progress setting does not matter) and finish
    metrics = train(tiny_config(tiny_base, tiny_data, output, epochs=1, progress=True), log=lambda *_: None,
                    resume=True)
    assert metrics["epochs_run"] == 1 and (output / "model.safetensors").exists()
