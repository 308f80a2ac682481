"""The saved format of an ensemble: several trained models whose probabilities are averaged.

An ensemble directory is self-contained, like a single model's:

    ensemble.json       the members (folders under members/) and their weights
    members/NAME/       each member: an ordinary saved model directory (see ``stanceframe.modeling``)
    thresholds.json     per-frame thresholds for the averaged frame probabilities, tuned on dev
    label_schema.json   the label schema every member was trained on
    training_args.json  how the ensemble was built (members, weight grid, data files)
    metrics.json        dev/test metrics of the ensemble and of each member
    README.md           the generated model card

Stance probabilities are averaged with the weights, then the top label is taken; frame probabilities are
averaged the same way and cut at the ensemble's own thresholds.
"""

from __future__ import annotations

import json
from pathlib import Path

from stanceframe.errors import ModelDirError

ENSEMBLE_NAME = "ensemble.json"
MEMBERS_DIR = "members"


def is_ensemble(directory: str | Path) -> bool:
    return (Path(directory) / ENSEMBLE_NAME).is_file()


def read_members(directory: str | Path) -> list[tuple[Path, float]]:
    """(member directory, weight) pairs of a saved ensemble; weights are positive and sum to 1."""
    directory = Path(directory)
    path = directory / ENSEMBLE_NAME
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
        members = [(directory / m["dir"], float(m["weight"])) for m in spec["members"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelDirError(f"{path}: not a readable ensemble description ({exc})") from None
    if not members:
        raise ModelDirError(f"{path}: lists no members")
    if any(w < 0 for _, w in members) or abs(sum(w for _, w in members) - 1.0) > 1e-6:
        raise ModelDirError(f"{path}: member weights must be non-negative and sum to 1")
    for member, _ in members:
        if not member.is_dir():
            raise ModelDirError(f"{path}: member {member} is missing")
        if is_ensemble(member):
            raise ModelDirError(f"{path}: member {member} is itself an ensemble (not supported)")
    return members


def weighted_mean(arrays: list, weights: list[float]):
    """The members' probabilities (arrays of one shape) averaged with their weights."""
    return sum(w * a for w, a in zip(weights, arrays))


def member_entry(name: str, weight: float) -> dict:
    return {"dir": f"{MEMBERS_DIR}/{name}", "weight": weight}
