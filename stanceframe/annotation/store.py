"""The answers of an annotation session, kept on disk so that nothing acknowledged is ever lost.

* ``OUT`` (e.g. ``my_labels.jsonl``) is an ordinary annotated file: one unit a line with ``id, doc_id, kind,
  author, text, stance, frames`` plus ``source: "annotate"``, ``annotated_at`` (UTC, ISO 8601) and, when the
  queue carried one, the model's ``suggestion``. ``stanceframe labels split``, training and evaluation read it.
* An answer is appended, flushed and ``os.fsync``-ed before the page is told it is saved.
* A skip is appended the same way to the sidecar ``OUT.skipped`` (``{"id", "skipped_at"}`` a line), so the label
  file never holds a unit without labels. Skipped units come back after every other unit is answered, oldest
  skip first; skipping one again sends it to the back.
* Undo takes back the latest answer or skip (by its time stamp): the file it is in is rewritten without that
  line through a temporary file, ``fsync`` and ``os.replace``, so a crash leaves either the old or the new file.
* Answering a unit already in ``OUT`` (another tab) replaces its line the same way, so ids stay unique.
* Reopening with the same ``OUT`` resumes at the first queue unit neither answered nor skipped. A last line
  cut short by a crash (it was never acknowledged) is dropped when the file is opened; any other bad line is an
  error naming file and line.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
from datetime import datetime, timezone
from pathlib import Path

from stanceframe.data import validate_unit
from stanceframe.errors import LabelFileError
from stanceframe.jsonl import fsync_append, iter_json_objects
from stanceframe.schema import LabelSchema

SOURCE = "annotate"
UNIT_FIELDS = ("id", "doc_id", "kind", "author", "text")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def skipped_path(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(out.name + ".skipped")


def read_lines(path: Path, warn=None) -> list[tuple[int, dict]]:
    """(line number, object) of a store file; an unfinished last line is dropped (and the file rewritten)."""
    if not path.exists():
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise LabelFileError(path, "not UTF-8 text") from None
    lines = text.splitlines(keepends=True)
    rows = []
    for lineno, obj in iter_json_objects(lines):
        if isinstance(obj, str):
            if lineno == len(lines) and not lines[-1].endswith("\n"):
                (warn or _warn)(f"{path}:{lineno}: dropped an unfinished last line (never saved)")
                atomic_write(path, lines[:-1])
                break
            raise LabelFileError(path, obj, lineno)
        rows.append((lineno, obj))
    return rows


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def atomic_write(path: Path, lines: list[str]) -> None:
    """Replace ``path`` by ``lines``: a temporary file in the same folder, fsync, ``os.replace``, fsync the folder."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.writelines(lines)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def dump(obj: dict) -> str:
    return json.dumps(obj, ensure_ascii=False) + "\n"


class AnswerStore:
    """The answers file ``out`` and its ``.skipped`` sidecar, for the units of one queue. Thread-safe."""

    def __init__(self, out: str | Path, schema: LabelSchema, warn=None):
        self.out = Path(out)
        self.skips_file = skipped_path(self.out)
        self.schema = schema
        self._lock = threading.Lock()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.answers: dict[str, dict] = {}  # id -> the line written
        for lineno, obj in read_lines(self.out, warn):
            errors = validate_unit(obj, schema, self.out, lineno)
            if errors:
                raise errors[0]
            if obj["id"] in self.answers:
                raise LabelFileError(self.out, f"duplicate id {obj['id']!r}", lineno)
            self.answers[obj["id"]] = obj
        self.skips: dict[str, str] = {}  # id -> time of its latest skip
        for lineno, obj in read_lines(self.skips_file, warn):
            if not isinstance(obj.get("id"), str) or not isinstance(obj.get("skipped_at"), str):
                raise LabelFileError(self.skips_file, "expected {\"id\": ..., \"skipped_at\": ...}", lineno)
            self.skips.pop(obj["id"], None)
            self.skips[obj["id"]] = obj["skipped_at"]

    # -- reading -------------------------------------------------------------------------------------------
    def is_answered(self, unit_id: str) -> bool:
        return unit_id in self.answers

    def next_index(self, units: list[dict]) -> int | None:
        """Where to go on: the first unit neither answered nor skipped; then the skipped ones, oldest skip first."""
        for i, unit in enumerate(units):
            if unit["id"] not in self.answers and unit["id"] not in self.skips:
                return i
        position = {unit["id"]: i for i, unit in enumerate(units)}
        waiting = [uid for uid in sorted(self.skips, key=self.skips.get)
                   if uid in position and uid not in self.answers]
        return position[waiting[0]] if waiting else None

    def progress(self, units: list[dict]) -> dict:
        ids = [u["id"] for u in units]
        return {"total": len(ids), "answered": sum(1 for i in ids if i in self.answers),
                "skipped": sum(1 for i in ids if i in self.skips and i not in self.answers)}

    def recent(self, n: int = 5) -> list[dict]:
        """The latest ``n`` answers, newest first."""
        rows = sorted(self.answers.values(), key=lambda r: r.get("annotated_at", ""), reverse=True)[:n]
        return [{"id": r["id"], "stance": r["stance"], "frames": r["frames"]} for r in rows]

    # -- writing -------------------------------------------------------------------------------------------
    def answer(self, unit: dict, stance: str, frames: list[str]) -> dict:
        """Save one answer (on disk before returning); raises ``LabelFileError`` for labels not in the schema."""
        if isinstance(frames, list) and set(frames) <= set(self.schema.frame_names):
            frames = [f for f in self.schema.frame_names if f in frames]  # schema order
        row = {k: unit.get(k) for k in UNIT_FIELDS}
        row.update(stance=stance, frames=frames, source=SOURCE, annotated_at=now())
        suggestion = {k: unit[k] for k in ("stance", "frames") if unit.get(k) is not None}
        if suggestion:
            row["suggestion"] = suggestion
        errors = validate_unit(row, self.schema, self.out, len(self.answers) + 1)
        if errors:
            raise LabelFileError(self.out, f"unit {row['id']!r}: {str(errors[0]).split(': ', 1)[1]}")
        with self._lock:
            if row["id"] in self.answers:
                self.answers[row["id"]] = row
                atomic_write(self.out, [dump(r) for r in self.answers.values()])
            else:
                fsync_append(self.out, [dump(row)])
                self.answers[row["id"]] = row
        return row

    def skip(self, unit_id: str) -> None:
        with self._lock:
            stamp = now()
            fsync_append(self.skips_file, [dump({"id": unit_id, "skipped_at": stamp})])
            self.skips.pop(unit_id, None)
            self.skips[unit_id] = stamp

    def undo(self) -> dict | None:
        """Take back the latest answer or skip; returns ``{"undone": "answer"|"skip", "id": ...}`` or None."""
        with self._lock:
            last_answer = max(self.answers.values(), key=lambda r: r.get("annotated_at", ""), default=None)
            last_skip = max(self.skips.items(), key=lambda kv: kv[1], default=None)
            answer_at = last_answer.get("annotated_at", "") if last_answer else None
            if last_skip is not None and (answer_at is None or last_skip[1] > answer_at):
                unit_id = last_skip[0]
                del self.skips[unit_id]
                lines = [(n, o) for n, o in read_lines(self.skips_file) if o.get("id") != unit_id]
                atomic_write(self.skips_file, [dump(o) for _, o in lines])
                return {"undone": "skip", "id": unit_id}
            if last_answer is None:
                return None
            del self.answers[last_answer["id"]]
            atomic_write(self.out, [dump(r) for r in self.answers.values()])
            return {"undone": "answer", "id": last_answer["id"], "stance": last_answer["stance"],
                    "frames": last_answer["frames"]}
