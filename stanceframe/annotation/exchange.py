"""``stanceframe labels export`` / ``labels import``: units to and from Label Studio and doccano.

Export reads any JSON Lines file of units (a queue, a predictions file, an annotated file). With
``--labels predictions`` (the default) the units' ``stance``/``frames`` go out as the model's suggestion for a
person to check; with ``--labels annotations`` they go out as finished labels (to move annotated data between
tools). Import reads the tool's export and writes an ordinary annotated file (``source`` names the tool); units
nobody labelled are left out and counted. Every label must be in the schema: an unknown one is an error naming
the file and the item (line, or task number).
"""

from __future__ import annotations

from pathlib import Path

from stanceframe.annotation.queue import read_queue
from stanceframe.data import validate_unit, without_line
from stanceframe.errors import LabelFileError
from stanceframe.jsonl import write_jsonl
from stanceframe.schema import LabelSchema

FORMATS = ("label-studio", "doccano")
LABEL_MODES = ("predictions", "annotations")
UNIT_META = ("unit_id", "doc_id", "kind", "author")  # our fields, carried in the tools' data / meta


def unit_meta(unit: dict) -> dict:
    """Our fields of a unit as the tools carry them (``rank``/``uncertainty`` of a queue too, to sort by)."""
    meta = {"unit_id": unit["id"], "doc_id": unit["doc_id"], "kind": unit["kind"], "author": unit.get("author")}
    meta.update({k: unit[k] for k in ("rank", "uncertainty") if unit.get(k) is not None})
    return meta


def unit_from(fields: dict, text, stance, frames, fallback_id, source: str) -> dict:
    """An annotated unit from a tool's item: our fields when the item carries them; a task made in the tool
    without them gets its own id as ``id`` and ``doc_id`` and ``kind`` paragraph."""
    unit_id = fields.get("unit_id", fields.get("id", fallback_id))
    unit_id = str(unit_id) if unit_id is not None else ""
    return {"id": unit_id, "doc_id": str(fields.get("doc_id") or unit_id), "kind": fields.get("kind") or "paragraph",
            "author": fields.get("author"), "text": text, "stance": stance, "frames": frames, "source": source}


class Problems:
    """Problems found in one import file, each naming the file and the item."""

    def __init__(self, path: Path):
        self.path = path
        self.errors: list[LabelFileError] = []

    def add(self, where: str, message: str, line: int | None = None) -> None:
        self.errors.append(LabelFileError(self.path, f"{where}: {message}" if where else message, line))

    def check(self, unit: dict, schema: LabelSchema, where: str, line: int | None = None) -> bool:
        """Validate ``unit`` as an annotated unit; False (and the problems kept) when it is not one."""
        found = validate_unit(unit, schema, self.path, line or 0)
        for err in found:
            self.add(where, str(err).split(": ", 1)[1], line)
        return not found


def export_units(source: str | Path, out: str | Path, fmt: str, schema: LabelSchema,
                 labels: str = "predictions") -> dict:
    """Write the units of ``source`` in ``fmt``; returns what was written (counts and files)."""
    if labels not in LABEL_MODES:
        raise ValueError(f"labels must be one of {', '.join(LABEL_MODES)}")
    units = [without_line(u) for u in read_queue(source, schema)]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "label-studio":
        from stanceframe.annotation.label_studio import write_tasks

        return write_tasks(units, out, schema, labels)
    if fmt == "doccano":
        from stanceframe.annotation.doccano import write_doccano

        return write_doccano(units, out, schema, labels)
    raise ValueError(f"unknown format {fmt!r} (expected one of: {', '.join(FORMATS)})")


def import_units(path: str | Path, fmt: str, schema: LabelSchema) -> tuple[list[dict], list[LabelFileError], int]:
    """The labelled units of a tool's export, the problems found, and how many items nobody labelled."""
    path = Path(path)
    if fmt == "label-studio":
        from stanceframe.annotation.label_studio import read_tasks

        units, problems, unlabelled = read_tasks(path, schema)
    elif fmt == "doccano":
        from stanceframe.annotation.doccano import read_doccano

        units, problems, unlabelled = read_doccano(path, schema)
    else:
        raise ValueError(f"unknown format {fmt!r} (expected one of: {', '.join(FORMATS)})")
    seen = {}
    for unit in units:
        if unit["id"] in seen:
            problems.append(LabelFileError(path, f"unit {unit['id']!r} is labelled twice (items "
                                                 f"{seen[unit['id']]} and {unit['_item']})"))
        seen.setdefault(unit["id"], unit["_item"])
    return [{k: v for k, v in u.items() if k != "_item"} for u in units], problems, unlabelled


def write_imported(units: list[dict], out: str | Path) -> int:
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    return write_jsonl(out, units)
