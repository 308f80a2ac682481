"""The units to label: any JSON Lines file of units (a ``stanceframe select`` queue, a ``classify`` predictions
file, an annotated file), read with errors naming file and line.

Every line needs ``id``, ``doc_id``, ``kind`` and ``text``; ``author``, a model suggestion (``stance``,
``frames``, ``stance_scores``, ``frame_scores``) and a ``context`` (a string, or a list of strings or of units
with ``text``) are optional. A suggestion must use the schema's labels, so a queue made with another schema is
refused instead of pre-selecting wrong answers.
"""

from __future__ import annotations

from pathlib import Path

from stanceframe.data import read_jsonl_rows, unit_field_problems
from stanceframe.errors import LabelFileError
from stanceframe.schema import LabelSchema

QUEUE_KEYS = ("id", "doc_id", "kind", "text")
CONTEXT_RADIUS = 2  # neighbouring units of the same document shown on each side


def read_queue(path: str | Path, schema: LabelSchema) -> list[dict]:
    """The queue's units in file order, each with ``_line``; raises ``LabelFileError`` (file:line) on the first
    bad line."""
    path = Path(path)
    units, seen = [], {}
    for lineno, obj in read_jsonl_rows(path):
        unit = check_queue_unit(obj, schema, path, lineno)
        if unit["id"] in seen:
            raise LabelFileError(path, f"duplicate id {unit['id']!r} (first on line {seen[unit['id']]})", lineno)
        seen[unit["id"]] = lineno
        units.append({**unit, "_line": lineno})
    if not units:
        raise LabelFileError(path, "no units to label")
    return units


def check_queue_unit(obj: dict, schema: LabelSchema, path: Path, lineno: int) -> dict:
    """One queue line, checked; ids are kept as strings (a number is accepted and turned into one)."""
    def fail(message: str):
        raise LabelFileError(path, message, lineno)

    missing = [k for k in QUEUE_KEYS if k not in obj]
    if missing:
        fail(f"missing key(s): {', '.join(missing)}")
    unit = dict(obj)
    for key in ("id", "doc_id"):
        if isinstance(unit[key], int) and not isinstance(unit[key], bool):
            unit[key] = str(unit[key])
    problems = unit_field_problems(unit)
    if problems:
        fail(problems[0])
    stance = unit.get("stance")
    if stance is not None and stance not in schema.stance_names:
        fail(f"suggested stance {stance!r} is not a label of the schema (expected one of: "
             f"{', '.join(schema.stance_names)})")
    frames = unit.get("frames")
    if frames is not None:
        if not isinstance(frames, list):
            fail("'frames' must be a list of frame labels")
        unknown = [f for f in frames if f not in schema.frame_names]
        if unknown:
            fail(f"suggested frame label(s) {', '.join(map(repr, unknown))} not in the schema")
    for key in ("stance_scores", "frame_scores"):
        if unit.get(key) is not None and not isinstance(unit[key], dict):
            fail(f"'{key}' must be an object of label: score")
    context = unit.get("context")
    if context is not None and not isinstance(context, str | list):
        fail("'context' must be a string or a list")
    return unit


def context_of(units: list[dict], index: int, radius: int = CONTEXT_RADIUS) -> dict:
    """What the page shows around ``units[index]``: the unit's own ``context`` field when it has one, else the
    neighbouring units of the same document in the queue (in ``unit_index`` order when the queue has it, else
    in queue order), ``radius`` on each side."""
    unit = units[index]
    if unit.get("context"):
        raw = unit["context"]
        items = [raw] if isinstance(raw, str) else raw
        texts = [x if isinstance(x, str) else str((x or {}).get("text", "")) for x in items]
        return {"source": "context", "before": [{"text": t} for t in texts if t.strip()], "after": []}
    same_doc = [i for i, u in enumerate(units) if u["doc_id"] == unit["doc_id"]]
    if all(isinstance(units[i].get("unit_index"), int) for i in same_doc):
        same_doc.sort(key=lambda i: units[i]["unit_index"])
    at = same_doc.index(index)

    def brief(i: int) -> dict:
        return {"id": units[i]["id"], "kind": units[i]["kind"], "author": units[i].get("author"),
                "text": units[i]["text"]}

    return {"source": "queue", "before": [brief(i) for i in same_doc[max(0, at - radius):at]],
            "after": [brief(i) for i in same_doc[at + 1:at + 1 + radius]]}


def suggestion_of(unit: dict) -> dict:
    """The model's suggestion carried by a queue unit (empty when it has none)."""
    out = {}
    if unit.get("stance") is not None:
        out["stance"] = unit["stance"]
    if unit.get("frames") is not None:
        out["frames"] = list(unit["frames"])
    for key in ("stance_scores", "frame_scores", "uncertainty", "rank"):
        if unit.get(key) is not None:
            out[key] = unit[key]
    return out
