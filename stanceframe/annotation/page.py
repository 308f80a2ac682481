"""What the annotation page knows about the labels: names, definitions and keys, all from the schema, plus the
codebook text when there is one.

Stance labels get the keys 1..9 in schema order. Frames get letters: the first letter of the name that is still
free, else any free letter; ``u`` (undo) and ``s`` (skip) are reserved. Labels beyond the keys available can
still be clicked.
"""

from __future__ import annotations

import string
from importlib import resources
from pathlib import Path

from stanceframe.schema import LabelSchema

RESERVED = {"u": "undo", "s": "skip"}


def stance_keys(schema: LabelSchema) -> dict[str, str]:
    return {name: str(i) for i, name in enumerate(schema.stance_names[:9], start=1)}


def frame_keys(schema: LabelSchema) -> dict[str, str]:
    used = set(RESERVED)
    keys = {}
    for name in schema.frame_names:
        letters = [c for c in name.lower() if c in string.ascii_lowercase]
        letters += [c for c in string.ascii_lowercase if c not in letters]
        key = next((c for c in letters if c not in used), None)
        if key is not None:
            used.add(key)
            keys[name] = key
    return keys


def read_codebook(path: str | Path | None) -> str | None:
    """The codebook's text (Markdown, shown as written), or None when no path is given or the file is absent."""
    if not path:
        return None
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def page_config(schema: LabelSchema, codebook: str | None = None, title: str = "") -> dict:
    """The labels part of the page: sent once as JSON."""
    skeys, fkeys = stance_keys(schema), frame_keys(schema)
    extra = schema.extra if isinstance(schema.extra, dict) else {}
    notes = {k: str(extra[k]) for k in ("description", "frame_notes", "boilerplate") if extra.get(k)}
    return {
        "title": title,
        "schema": {"name": schema.name, "version": schema.version},
        "stance": [{"name": x.name, "definition": x.definition, "cues": list(x.cues), "key": skeys.get(x.name)}
                   for x in schema.stance],
        "frames": [{"name": x.name, "definition": x.definition, "key": fkeys.get(x.name)} for x in schema.frames],
        "decision_rules": list(schema.decision_rules),
        "notes": notes,
        "codebook": codebook,
        "reserved": RESERVED,
    }


def asset(name: str) -> bytes:
    """A file of the page (``stanceframe/annotation/static/``), read from the installed package."""
    return resources.files("stanceframe.annotation").joinpath("static", name).read_bytes()
