"""The label schema: ordered stance labels (single-label) and frame labels (multi-label).

The schema file (``labels/schema.yaml``) is the machine-readable form of the codebook. Label ids
come from the order in this file, never from whichever rows happen to be in a data set.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from stanceframe.errors import LabelFileError
from stanceframe.resources import schema_file

UNIT_KINDS = ("headline", "paragraph", "comment")


@dataclass(frozen=True)
class Label:
    name: str
    definition: str
    cues: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    dimension: str | None = None  # frames only: the generic Policy Frames Codebook dimension


@dataclass(frozen=True)
class LabelSchema:
    name: str
    version: str
    stance: tuple[Label, ...]
    frames: tuple[Label, ...]
    decision_rules: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict, compare=False)  # descriptions, frame notes, ...

    @property
    def stance_names(self) -> list[str]:
        return [label.name for label in self.stance]

    @property
    def frame_names(self) -> list[str]:
        return [label.name for label in self.frames]

    def to_dict(self) -> dict:
        def label_dict(label: Label) -> dict:
            out = {"name": label.name, "definition": label.definition,
                   "cues": list(label.cues), "examples": list(label.examples)}
            if label.dimension is not None:
                out["dimension"] = label.dimension
            return out

        return {**self.extra, "name": self.name, "version": self.version,
                "stance": [label_dict(x) for x in self.stance],
                "frames": [label_dict(x) for x in self.frames],
                "decision_rules": list(self.decision_rules)}

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n",
                              encoding="utf-8")

    @classmethod
    def from_dict(cls, raw: dict, source: str = "<schema>") -> LabelSchema:
        if not isinstance(raw, dict):
            raise LabelFileError(source, "the schema must be a mapping with 'stance' and 'frames'")
        for key in ("stance", "frames"):
            if not isinstance(raw.get(key), list) or not raw[key]:
                raise LabelFileError(source, f"'{key}' must be a non-empty list of labels")
        stance = tuple(_parse_label(x, source, "stance") for x in raw["stance"])
        frames = tuple(_parse_label(x, source, "frames") for x in raw["frames"])
        for group, labels in (("stance", stance), ("frames", frames)):
            names = [x.name for x in labels]
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise LabelFileError(source, f"duplicate {group} label(s): {', '.join(dupes)}")
        if len(stance) < 2:
            raise LabelFileError(source, "'stance' needs at least two labels")
        known = {"name", "version", "stance", "frames", "decision_rules"}
        return cls(name=str(raw.get("name", "unnamed")), version=str(raw.get("version", "0")),
                   stance=stance, frames=frames,
                   decision_rules=tuple(str(r) for r in raw.get("decision_rules") or ()),
                   extra={k: v for k, v in raw.items() if k not in known})

    @classmethod
    def load(cls, path: str | Path | None = None) -> LabelSchema:
        """Read a schema file; the default path (``labels/schema.yaml``) falls back to the packaged schema
        outside the repository (see ``stanceframe.resources``)."""
        path = schema_file(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise LabelFileError(path, f"cannot read the label schema ({exc.strerror})") from None
        try:
            raw = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        except (json.JSONDecodeError, yaml.YAMLError) as exc:
            raise LabelFileError(path, f"not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}") from None
        return cls.from_dict(raw, str(path))


def _parse_label(raw, source: str, group: str) -> Label:
    if isinstance(raw, str):
        raw = {"name": raw}
    if not isinstance(raw, dict) or not str(raw.get("name", "")).strip():
        raise LabelFileError(source, f"every entry of '{group}' needs a 'name'")
    name = str(raw["name"]).strip()
    if any(ch.isspace() for ch in name):
        raise LabelFileError(source, f"label name {name!r} in '{group}' contains white space")
    return Label(name=name, definition=str(raw.get("definition", "")).strip(),
                 cues=tuple(raw.get("cues") or ()), examples=tuple(raw.get("examples") or ()),
                 dimension=raw.get("dimension"))
