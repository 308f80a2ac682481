"""Annotated data: JSON Lines, one unit a line, validated against a label schema.

A line looks like::

    {"id": "A001-03", "doc_id": "A001", "kind": "paragraph", "author": null,
     "text": "...", "stance": "neutral", "frames": ["diplomacy_partnership"]}

Extra keys are kept and ignored. Errors name the file and line.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from stanceframe.errors import LabelFileError
from stanceframe.jsonl import iter_json_objects
from stanceframe.schema import UNIT_KINDS, LabelSchema

REQUIRED_KEYS = ("id", "doc_id", "kind", "text", "stance", "frames")


def read_jsonl_rows(path: Path) -> list[tuple[int, dict]]:
    """Parse a JSON Lines file into (line number, object) pairs; blank lines are skipped."""
    rows = []
    try:
        handle = open(path, encoding="utf-8-sig")  # noqa: SIM115 (closed by the with below)
    except OSError as exc:
        raise LabelFileError(path, f"cannot read ({exc.strerror})") from None
    with handle:
        try:
            for lineno, obj in iter_json_objects(handle):
                if isinstance(obj, str):
                    raise LabelFileError(path, obj, lineno)
                rows.append((lineno, obj))
        except UnicodeDecodeError:
            raise LabelFileError(path, "not UTF-8 text") from None
    return rows


def without_line(row: dict) -> dict:
    """A loaded row without the ``_line`` key the loaders add (for writing it back out)."""
    return {k: v for k, v in row.items() if k != "_line"}


def unit_field_problems(obj: dict) -> list[str]:
    """What is wrong with a unit's id, doc_id, text, kind and author (the fields every unit file shares);
    ``obj`` has at least the keys id, doc_id, kind and text."""
    problems = [f"'{key}' must be a non-empty string" for key in ("id", "doc_id")
                if not isinstance(obj[key], str) or not obj[key].strip()]
    if not isinstance(obj["text"], str) or not obj["text"].strip():
        problems.append(f"empty text in unit {obj['id']!r}")
    if obj["kind"] not in UNIT_KINDS:
        problems.append(f"unknown kind {obj['kind']!r} (expected one of: {', '.join(UNIT_KINDS)})")
    if obj.get("author") is not None and not isinstance(obj["author"], str):
        problems.append("'author' must be a string or null")
    return problems


def validate_unit(obj: dict, schema: LabelSchema, path: Path, lineno: int) -> list[LabelFileError]:
    """Every problem with one annotated unit, as errors naming file and line."""
    errors = []

    def err(msg: str) -> None:
        errors.append(LabelFileError(path, msg, lineno))

    missing = [k for k in REQUIRED_KEYS if k not in obj]
    if missing:
        err(f"missing key(s): {', '.join(missing)}")
        return errors
    for message in unit_field_problems(obj):
        err(message)
    if obj["stance"] not in schema.stance_names:
        err(f"unknown stance label {obj['stance']!r} (expected one of: {', '.join(schema.stance_names)})")
    frames = obj["frames"]
    if not isinstance(frames, list) or not all(isinstance(f, str) for f in frames):
        err("'frames' must be a list of frame labels (strings)")
    else:
        unknown = [f for f in frames if f not in schema.frame_names]
        if unknown:
            err(f"unknown frame label(s) {', '.join(map(repr, unknown))}")
        if len(set(frames)) != len(frames):
            err("a frame label is listed twice")
    return errors


def load_annotated(path: str | Path, schema: LabelSchema, strict: bool = True):
    """Load and validate one annotated file.

    Returns (rows, errors). With ``strict`` the first error is raised instead (naming how many more
    there are), so training never starts on a broken file.
    """
    path = Path(path)
    rows, errors, seen = [], [], {}
    for lineno, obj in read_jsonl_rows(path):
        unit_errors = validate_unit(obj, schema, path, lineno)
        if not unit_errors:
            if obj["id"] in seen:
                unit_errors.append(LabelFileError(
                    path, f"duplicate id {obj['id']!r} (first on line {seen[obj['id']]})", lineno))
            seen.setdefault(obj["id"], lineno)
        if unit_errors:
            errors.extend(unit_errors)
            continue
        rows.append({**obj, "author": obj.get("author"), "_line": lineno})
    if strict:
        raise_first(errors)
    return rows, errors


def load_splits(files: dict[str, str | Path], schema: LabelSchema, strict: bool = True):
    """Load named splits (train/dev/test) and check ids and documents across them.

    A document whose units sit in two split files is an error: splits are by document.
    """
    splits, errors = {}, []
    id_at, doc_at = {}, {}
    for split, path in files.items():
        rows, errs = load_annotated(path, schema, strict=False)
        errors.extend(errs)
        for row in rows:
            where = (str(path), row["_line"])
            if row["id"] in id_at and id_at[row["id"]][0] != where[0]:
                errors.append(LabelFileError(
                    path, f"id {row['id']!r} also used in {id_at[row['id']][0]}:{id_at[row['id']][1]}",
                    row["_line"]))
            id_at.setdefault(row["id"], where)
            first = doc_at.setdefault(row["doc_id"], (split, *where))
            if first[0] != split:
                errors.append(LabelFileError(
                    path, f"document {row['doc_id']!r} is split across files: it also has units in "
                          f"{first[1]}:{first[2]}", row["_line"]))
        splits[split] = rows
    if strict:
        raise_first(errors)
    return splits, errors


def raise_first(errors: list[LabelFileError]) -> None:
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more problem(s); run 'stanceframe labels check')" if len(errors) > 1 else ""
        raise LabelFileError(first.path, str(first).split(": ", 1)[1] + more, first.line)


def label_counts(rows: list[dict], schema: LabelSchema) -> dict:
    """Counts per stance label, frame label and unit kind, in schema order."""
    stance = Counter(r["stance"] for r in rows)
    frames = Counter(f for r in rows for f in r["frames"])
    kinds = Counter(r["kind"] for r in rows)
    return {"units": len(rows), "documents": len({r["doc_id"] for r in rows}),
            "stance": {name: stance.get(name, 0) for name in schema.stance_names},
            "frames": {name: frames.get(name, 0) for name in schema.frame_names},
            "kinds": {kind: kinds.get(kind, 0) for kind in UNIT_KINDS},
            "no_frame": sum(1 for r in rows if not r["frames"]),
            "hard": sum(1 for r in rows if r.get("hard"))}


def load_gold(path: str | Path, schema: LabelSchema) -> list[dict]:
    """Load a gold file for scoring: the annotated format, leniently (extra keys ignored, ``doc`` accepted
    for ``doc_id``, a missing id replaced by the line number, a missing kind read as a paragraph)."""
    path = Path(path)
    rows, errors = [], []
    for lineno, obj in read_jsonl_rows(path):
        obj = dict(obj)
        obj.setdefault("doc_id", obj.get("doc") or "")
        obj["doc_id"] = obj["doc_id"] or f"line{lineno}"
        obj.setdefault("id", f"line{lineno}")
        obj["id"] = str(obj["id"])
        obj.setdefault("kind", "paragraph")
        errors.extend(validate_unit(obj, schema, path, lineno))
        rows.append(obj)
    raise_first(errors)
    if not rows:
        raise LabelFileError(path, "no units to score")
    return rows


def split_files(data_dir: str | Path, names=("train", "dev", "test")) -> dict[str, Path]:
    """The ``train/dev/test.jsonl`` files present in ``data_dir``."""
    data_dir = Path(data_dir)
    return {name: data_dir / f"{name}.jsonl" for name in names if (data_dir / f"{name}.jsonl").exists()}


def check_labels(schema: LabelSchema, files: dict[str, Path]) -> tuple[dict, list[LabelFileError]]:
    """`stanceframe labels check`: label counts per split and over all (``"all"``), and every problem found."""
    splits, errors = load_splits(files, schema, strict=False)
    counts = {name: label_counts(rows, schema) for name, rows in splits.items()}
    counts["all"] = label_counts([r for rows in splits.values() for r in rows], schema)
    return counts, errors


def counts_table(counts: dict, schema: LabelSchema) -> str:
    """The label counts as a console table: one row per figure, one column per split."""
    names = list(counts)
    rows = [("units", "units"), ("documents", "documents")]
    rows += [(f"stance:{s}", ("stance", s)) for s in schema.stance_names]
    rows += [(f"frame:{f}", ("frames", f)) for f in schema.frame_names]
    rows += [(f"kind:{k}", ("kinds", k)) for k in counts["all"]["kinds"]]
    rows += [("no frame", "no_frame"), ("hard (flagged)", "hard")]
    width = max(len(r[0]) for r in rows) + 2
    lines = ["".ljust(width) + "".join(n.rjust(9) for n in names)]
    for title, key in rows:
        values = [counts[n][key[0]][key[1]] if isinstance(key, tuple) else counts[n][key] for n in names]
        lines.append(title.ljust(width) + "".join(str(v).rjust(9) for v in values))
    return "\n".join(lines)
