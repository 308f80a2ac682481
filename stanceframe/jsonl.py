"""JSON Lines parsing shared by the label loader and the input reader."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator


def iter_json_objects(lines: Iterable[str]) -> Iterator[tuple[int, dict | str]]:
    """(line number, object) for every non-blank line; a problem message in place of a line that is
    not a JSON object, so each caller can raise or skip in its own way."""
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield lineno, f"malformed JSON ({exc.msg})"
            continue
        yield lineno, obj if isinstance(obj, dict) else "line is not a JSON object"


def fsync_append(path, lines: list[str]) -> int:
    """Append ``lines`` and force them to disk; returns the file's size after. A file whose last line has no
    line end (one saved by hand or by another tool) gets one first, so the new line is not glued onto it."""
    if _lacks_final_newline(path):
        lines = ["\n", *lines]
    with open(path, "a", encoding="utf-8") as handle:
        handle.writelines(lines)
        handle.flush()
        os.fsync(handle.fileno())
        return handle.tell()


def _lacks_final_newline(path) -> bool:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            if handle.tell() == 0:
                return False
            handle.seek(-1, os.SEEK_END)
            return handle.read(1) != b"\n"
    except FileNotFoundError:
        return False


def write_jsonl(path, rows: Iterable[dict]) -> int:
    """Write ``rows`` as JSON Lines (UTF-8, non-ASCII kept); returns how many."""
    n = 0
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n
