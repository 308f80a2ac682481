"""JSON Lines parsing shared by the label loader and the input reader."""

from __future__ import annotations

import json
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
