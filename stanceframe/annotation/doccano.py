"""doccano: JSON Lines for a Text Classification project, both ways.

doccano's text classification has one list of categories per text (``{"text": ..., "label": [...]}``; its
JSONL export adds ``id`` (doccano's own number), every imported extra field as is, and ``Comments``). Stance and
frames share that list, told apart by a prefix: ``stance:NAME`` and ``frame:NAME`` (create those categories in
the project, with "allow single label" off). On import a bare name is accepted too when it is a label of the
schema. Our ``unit_id``, ``doc_id``, ``kind`` and ``author`` travel as extra fields, so they come back with the
export.

Export writes ``label`` from the units' stance and frames only with ``labels="annotations"``: doccano keeps no
separate model suggestion, and labels imported into it look like a person's. With ``labels="predictions"`` (the
default) ``label`` is empty and the suggestion rides along as ``model_stance`` / ``model_frames``.

Import: a line with an empty ``label`` is unlabelled (left out and counted); a labelled line needs exactly one
stance.
"""

from __future__ import annotations

from pathlib import Path

from stanceframe.annotation.exchange import Problems, unit_from, unit_meta
from stanceframe.data import read_jsonl_rows
from stanceframe.errors import LabelFileError
from stanceframe.jsonl import write_jsonl
from stanceframe.schema import LabelSchema

STANCE_PREFIX = "stance:"
FRAME_PREFIX = "frame:"
LABEL = "label"


def encode(stance: str | None, frames: list[str] | None) -> list[str]:
    return ([f"{STANCE_PREFIX}{stance}"] if stance is not None else []) + [f"{FRAME_PREFIX}{f}" for f in frames or []]


def line_of(unit: dict, labels: str) -> dict:
    row = {"text": unit["text"], **unit_meta(unit)}
    if labels == "annotations" and unit.get("stance") is not None:
        row[LABEL] = encode(unit["stance"], unit.get("frames"))
    else:
        row[LABEL] = []
        if unit.get("stance") is not None:
            row["model_stance"] = unit["stance"]
        if unit.get("frames") is not None:
            row["model_frames"] = list(unit["frames"])
    return row


def write_doccano(units: list[dict], out: Path, schema: LabelSchema, labels: str) -> dict:
    n = write_jsonl(out, (line_of(unit, labels) for unit in units))
    return {"units": n, "files": [str(out)],
            "categories": [f"{STANCE_PREFIX}{s}" for s in schema.stance_names]
            + [f"{FRAME_PREFIX}{f}" for f in schema.frame_names]}


def decode(names: list, schema: LabelSchema) -> tuple[list[str], list[str], list[str]]:
    """(stances, frames, unknown) of a doccano label list."""
    stances, frames, unknown = [], [], []
    for name in names:
        name = str(name)
        if name.startswith(STANCE_PREFIX):
            (stances if name[len(STANCE_PREFIX):] in schema.stance_names else unknown).append(name[len(STANCE_PREFIX):])
        elif name.startswith(FRAME_PREFIX):
            (frames if name[len(FRAME_PREFIX):] in schema.frame_names else unknown).append(name[len(FRAME_PREFIX):])
        elif name in schema.stance_names:
            stances.append(name)
        elif name in schema.frame_names:
            frames.append(name)
        else:
            unknown.append(name)
    return stances, frames, unknown


def read_doccano(path: Path, schema: LabelSchema) -> tuple[list[dict], list[LabelFileError], int]:
    problems, units, unlabelled = Problems(path), [], 0
    for lineno, row in read_jsonl_rows(path):
        labels = row.get(LABEL, row.get("labels"))
        if labels is None or labels == []:
            unlabelled += 1
            continue
        where = f"item {row.get('unit_id', row.get('id', '?'))!r}"
        if not isinstance(labels, list):
            problems.add(where, f"'{LABEL}' must be a list of category names", lineno)
            continue
        stances, frames, unknown = decode(labels, schema)
        if unknown:
            problems.add(where, f"unknown label(s) {', '.join(map(repr, unknown))} (expected "
                                f"'{STANCE_PREFIX}NAME' or '{FRAME_PREFIX}NAME' with a name from the schema)", lineno)
            continue
        if len(stances) != 1:
            problems.add(where, f"expected one stance label, found {len(stances)}", lineno)
            continue
        frames = [f for f in schema.frame_names if f in frames]
        unit = unit_from(row, row.get("text"), stances[0], frames, row.get("id"), "doccano")
        if problems.check(unit, schema, where, lineno):
            units.append({**unit, "_item": f"line {lineno}"})
    return units, problems.errors, unlabelled
