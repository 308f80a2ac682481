"""`stanceframe labels from-review`: a filled-in review queue (from `stanceframe report`) back into annotated units."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from stanceframe.data import validate_unit
from stanceframe.errors import LabelFileError
from stanceframe.schema import LabelSchema
from stanceframe.textio import text_table_encoding

REVIEW_COLUMNS = ("id", "doc_id", "kind", "text", "stance", "frames")  # what a review row must have


def parse_frames(raw: str) -> list[str]:
    """A review cell's frames: a JSON list, or names separated by ';'. Raises ``json.JSONDecodeError``."""
    raw = (raw or "").strip()
    return json.loads(raw) if raw.startswith("[") else [f.strip() for f in raw.split(";") if f.strip()]


def units_from_review(review: str | Path, schema: LabelSchema) -> tuple[list[dict], list[LabelFileError]]:
    """The reviewed rows (those with a stance filled in) as annotated units, and every problem found (file:line).
    Rows not reviewed yet are left out. A file saved by a spreadsheet is read with its byte-order mark or in its
    detected encoding; a missing column is an error naming the file."""
    units, problems = [], []
    review = Path(review)
    if not review.is_file():
        raise LabelFileError(review, "no such file")
    with open(review, encoding=text_table_encoding(review), errors="replace", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REVIEW_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise LabelFileError(review, f"missing column(s) {', '.join(missing)} (a review queue from "
                                         "`stanceframe report` has them)", 1)
        for row in reader:
            if not (row.get("stance") or "").strip():
                continue  # not reviewed yet
            try:
                frames = parse_frames(row.get("frames"))
            except json.JSONDecodeError:
                problems.append(LabelFileError(review, "frames must be a JSON list or ';'-separated", reader.line_num))
                continue
            unit = {"id": row["id"], "doc_id": row["doc_id"], "kind": row["kind"], "author": row.get("author") or None,
                    "text": row["text"], "stance": row["stance"].strip(), "frames": frames, "source": "review_queue"}
            errors = validate_unit(unit, schema, Path(review), reader.line_num)
            problems.extend(errors)
            if not errors:
                units.append(unit)
    return units, problems
