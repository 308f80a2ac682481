"""Write prediction rows as a stream, checkpointed, and move the finished file into place.

Rows are appended to a JSON Lines journal beside the output (``.NAME.journal.jsonl``), flushed and
checkpointed after every chunk (``.NAME.checkpoint.json``: bytes written, input items consumed,
counts). A killed run leaves the journal and checkpoint; ``resume=True`` truncates the journal to
the last checkpoint and the caller skips the items already consumed, so every unit ends up in the
output exactly once. ``close()`` converts the journal to the requested format (JSONL, CSV or
Parquet, streaming) under a temporary name and renames it into place.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from stanceframe.errors import StanceframeError
from stanceframe.jsonl import fsync_append

OUTPUT_SUFFIXES = (".jsonl", ".csv", ".parquet")
BASE_COLUMNS = ("id", "doc_id", "unit_index", "kind", "author", "text", "stance", "stance_scores",
                "frames", "frame_scores", "truncated", "warnings")
NESTED = ("stance_scores", "frames", "frame_scores", "warnings", "stance_set")
CONVERT_BATCH = 2048  # rows per Parquet row group / conversion step


def check_output_path(path: str | Path) -> Path:
    path = Path(path)
    if path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise ValueError(f"{path}: output must end in {', '.join(OUTPUT_SUFFIXES)}")
    return path


def _atomic_json(path: Path, obj: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj), encoding="utf-8")
    os.replace(tmp, path)


class JournaledWriter:
    """See the module docstring. ``job`` identifies the run (inputs, model, options) for ``resume``."""

    def __init__(self, path: str | Path, stance_labels: list[str], frame_labels: list[str],
                 errors_path: str | Path, job: dict, resume: bool = False):
        self.path = check_output_path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.errors_path = Path(errors_path)
        self.stance_labels, self.frame_labels = stance_labels, frame_labels
        self.journal = self.path.with_name(f".{self.path.name}.journal.jsonl")
        self.errors_journal = self.path.with_name(f".{self.path.name}.errors.journal.jsonl")
        self.checkpoint = self.path.with_name(f".{self.path.name}.checkpoint.json")
        self.state = {"job": job, "bytes": 0, "error_bytes": 0, "consumed": 0,
                      "units_in": 0, "classified": 0, "skipped": {}}
        if resume and self.checkpoint.exists():
            saved = json.loads(self.checkpoint.read_text(encoding="utf-8"))
            if saved.get("job") != job:
                raise StanceframeError(f"{self.checkpoint}: a run with other inputs, model or options was "
                                       f"interrupted here; run without --resume to start over")
            self.state = saved
            for file, size in ((self.journal, saved["bytes"]), (self.errors_journal, saved["error_bytes"])):
                if file.exists():
                    with open(file, "r+b") as handle:
                        handle.truncate(size)
        else:
            for file in (self.journal, self.errors_journal, self.checkpoint):
                file.unlink(missing_ok=True)
            self.journal.touch()

    @property
    def consumed(self) -> int:
        """Input items (units and error records) already accounted for by earlier chunks."""
        return self.state["consumed"]

    def write_chunk(self, rows: list[dict], errors: list[dict], consumed: int) -> None:
        """Append classified rows and error records, and checkpoint: ``consumed`` input items are done.

        A unit-level failure (a bad line or row, which has a line or an id) counts as a unit that came
        in; a whole unreadable file does not. Skips are counted by reason (the message before " (").
        """
        if rows:
            self.state["bytes"] = fsync_append(
                self.journal, [json.dumps(r, ensure_ascii=False) + "\n" for r in rows])
        if errors:
            self.state["error_bytes"] = fsync_append(
                self.errors_journal, [json.dumps(e, ensure_ascii=False) + "\n" for e in errors])
        unit_errors = sum(1 for e in errors if e.get("line") is not None or e.get("id") is not None)
        self.state["consumed"] += consumed
        self.state["units_in"] += len(rows) + unit_errors
        self.state["classified"] += len(rows)
        for error in errors:
            reason = error["error"].split(" (")[0]
            self.state["skipped"][reason] = self.state["skipped"].get(reason, 0) + 1
        _atomic_json(self.checkpoint, self.state)

    def close(self) -> None:
        """Convert the journal into the output file and remove the run's bookkeeping files."""
        suffix = self.path.suffix.lower()
        tmp = self.path.with_name(f".{self.path.name}.partial")
        if suffix == ".jsonl":
            os.replace(self.journal, tmp)
        else:
            columns = self._columns()
            if suffix == ".csv":
                self._to_csv(tmp, columns)
            else:
                self._to_parquet(tmp, columns)
            self.journal.unlink()
        os.replace(tmp, self.path)
        if self.errors_journal.exists() and self.errors_journal.stat().st_size:
            os.replace(self.errors_journal, self.errors_path)
        else:  # nothing skipped: an errors file left by an earlier run into this output would now be wrong
            self.errors_journal.unlink(missing_ok=True)
            self.errors_path.unlink(missing_ok=True)
        self.checkpoint.unlink(missing_ok=True)

    def journal_rows(self):
        """The rows written so far (for rebuilding summaries on resume)."""
        return self._rows()

    def _rows(self):
        with open(self.journal, encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)

    def _columns(self) -> list[str]:
        columns = list(BASE_COLUMNS)
        for row in self._rows():
            columns.extend(k for k in row if k not in columns)
        return columns

    def _to_csv(self, tmp: Path, columns: list[str]) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for row in self._rows():
                writer.writerow([json.dumps(row.get(k), ensure_ascii=False) if k in NESTED
                                 else ("" if row.get(k) is None else row.get(k)) for k in columns])

    def _to_parquet(self, tmp: Path, columns: list[str]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        def scores(labels):
            return pa.struct([(name, pa.float32()) for name in labels])

        types = {"id": pa.string(), "doc_id": pa.string(), "unit_index": pa.int64(), "kind": pa.string(),
                 "author": pa.string(), "text": pa.string(), "stance": pa.string(),
                 "stance_scores": scores(self.stance_labels), "frames": pa.list_(pa.string()),
                 "frame_scores": scores(self.frame_labels), "truncated": pa.bool_(),
                 "warnings": pa.list_(pa.string()), "stance_set": pa.list_(pa.string()), "ambiguous": pa.bool_()}
        schema = pa.schema([(c, types.get(c, pa.string())) for c in columns])

        def table(rows):
            return pa.Table.from_pydict(
                {c: [r.get(c) if c in types or r.get(c) is None else str(r.get(c)) for r in rows] for c in columns},
                schema=schema)

        with pq.ParquetWriter(tmp, schema) as writer:
            batch = []
            for row in self._rows():
                batch.append(row)
                if len(batch) >= CONVERT_BATCH:
                    writer.write_table(table(batch))
                    batch = []
            writer.write_table(table(batch))


def read_predictions(path: str | Path) -> list[dict]:
    """Read a predictions file back into rows (nested CSV fields decoded)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        with open(path, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    if suffix == ".csv":
        with open(path, encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        for row in rows:
            for key in NESTED:
                if row.get(key):
                    row[key] = json.loads(row[key])
            row["unit_index"] = int(row["unit_index"]) if row.get("unit_index") else None
            row["truncated"] = row.get("truncated") == "True"
            if "ambiguous" in row:
                row["ambiguous"] = row["ambiguous"] == "True"
            row["author"] = row.get("author") or None
        return rows
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()
