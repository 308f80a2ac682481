"""Per-epoch training checkpoints, so a killed run resumes where its last finished epoch left off.

After every epoch ``fit`` writes ``OUTPUT_DIR/checkpoint/state.pt``: the weights, the optimizer and scheduler
states, every random-number state the loop draws from (Python, NumPy, torch, and the generator that orders
the batches), the epoch, the history, the best dev score so far and the best weights. It is written under a
temporary name and renamed, so a kill during the write leaves the previous checkpoint. ``--resume`` loads it
and continues with the next epoch; the run then ends with the same weights as one never interrupted. The
finished model directory replaces the output directory, checkpoint included.

The file is a torch pickle read with ``weights_only=True`` (tensors, numbers, strings and containers only); it
is scratch for the run, never part of a model directory.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import numpy as np
import torch

from stanceframe.errors import StanceframeError

CHECKPOINT_DIR = "checkpoint"
STATE_NAME = "state.pt"
# settings that may change between a run and its resumption: they do not change what is computed
FREE_SETTINGS = ("progress", "num_threads", "eval_max_tokens", "output_dir")


def checkpoint_path(output_dir: str | Path) -> Path:
    return Path(output_dir) / CHECKPOINT_DIR / STATE_NAME


def _settings_key(settings: dict) -> str:
    return json.dumps({k: v for k, v in settings.items() if k not in FREE_SETTINGS}, sort_keys=True)


def rng_states(batch_rng: np.random.Generator) -> dict:
    numpy_state = np.random.get_state(legacy=False)
    return {"python": random.getstate(), "torch": torch.get_rng_state(), "batches": batch_rng.bit_generator.state,
            "numpy": {**numpy_state, "state": {"key": numpy_state["state"]["key"].tolist(),
                                               "pos": numpy_state["state"]["pos"]}}}


def restore_rng_states(states: dict, batch_rng: np.random.Generator) -> None:
    random.setstate(states["python"])
    torch.set_rng_state(states["torch"])
    batch_rng.bit_generator.state = states["batches"]
    numpy_state = states["numpy"]
    np.random.set_state({**numpy_state, "state": {"key": np.array(numpy_state["state"]["key"], dtype=np.uint32),
                                                  "pos": numpy_state["state"]["pos"]}})


def save_checkpoint(path: Path, state: dict) -> None:
    """Write ``state`` to ``path`` atomically (a temporary file, flushed to disk, then renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        torch.save(state, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def epoch_state(epoch: int, model, optimizer, scheduler, batch_rng, best: dict, history: list[dict],
                settings: dict, stopped: bool) -> dict:
    """Everything needed to continue after ``epoch``."""
    return {"epoch": epoch, "stopped": stopped, "settings": _settings_key(settings), "model": model.state_dict(),
            "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "rng": rng_states(batch_rng),
            "best_score": best["score"], "best_epoch": best["epoch"], "best_state": best["state"],
            "history": json.dumps(history)}


def load_checkpoint(path: Path, settings: dict) -> dict:
    """The saved state; an error when it was written by a run with other settings."""
    try:
        state = torch.load(path, weights_only=True)
    except (OSError, RuntimeError, EOFError) as exc:
        raise StanceframeError(f"{path}: cannot read the checkpoint ({exc}); run without --resume to start over") from None
    if state.get("settings") != _settings_key(settings):
        raise StanceframeError(f"{path}: this checkpoint is from a run with other settings; run without --resume to "
                               "start over, or resume with the same config")
    return state


def resume_from(state: dict, model, optimizer, scheduler, batch_rng) -> tuple[dict, list[dict]]:
    """Put the loop back where ``state`` left it; returns the best-so-far record and the history."""
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    restore_rng_states(state["rng"], batch_rng)
    best = {"score": state["best_score"], "epoch": state["best_epoch"], "state": state["best_state"]}
    return best, json.loads(state["history"])
