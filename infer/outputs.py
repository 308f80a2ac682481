"""Write prediction rows as a stream to JSONL, CSV or Parquet, atomically (temp file + rename)."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

OUTPUT_SUFFIXES = (".jsonl", ".csv", ".parquet")
BASE_COLUMNS = ("id", "doc_id", "unit_index", "kind", "author", "text", "stance", "stance_scores",
                "frames", "frame_scores", "truncated")
NESTED = ("stance_scores", "frames", "frame_scores")


def check_output_path(path: str | Path) -> Path:
    path = Path(path)
    if path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise ValueError(f"{path}: output must end in {', '.join(OUTPUT_SUFFIXES)}")
    return path


class RowWriter:
    """Chunked writer; rows become visible at ``path`` only when ``close`` succeeds."""

    def __init__(self, path: str | Path, stance_labels: list[str], frame_labels: list[str]):
        self.path = check_output_path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.path.with_name(f".{self.path.name}.partial")
        self.stance_labels, self.frame_labels = stance_labels, frame_labels
        self.suffix = self.path.suffix.lower()
        self.columns: list[str] | None = None
        self._handle = None
        self._csv = None
        self._parquet = None
        self.count = 0

    def write(self, rows: list[dict]) -> None:
        if not rows:
            return
        if self.columns is None:
            self.columns = list(BASE_COLUMNS) + [k for k in rows[0] if k not in BASE_COLUMNS]
        self._open()
        if self.suffix == ".jsonl":
            for row in rows:
                self._handle.write(json.dumps({k: row.get(k) for k in self.columns}, ensure_ascii=False) + "\n")
        elif self.suffix == ".csv":
            for row in rows:
                self._csv.writerow([json.dumps(row.get(k), ensure_ascii=False) if k in NESTED
                                    else ("" if row.get(k) is None else row.get(k)) for k in self.columns])
        else:
            self._parquet.write_table(self._arrow_table(rows))
        self.count += len(rows)

    def _open(self) -> None:
        if self._handle is not None or self._parquet is not None:
            return
        if self.suffix == ".parquet":
            import pyarrow.parquet as pq

            self._parquet = pq.ParquetWriter(self.tmp, self._arrow_table([]).schema)
        else:
            self._handle = open(self.tmp, "w", encoding="utf-8", newline="")  # noqa: SIM115 (kept open across write calls)
            if self.suffix == ".csv":
                self._csv = csv.writer(self._handle)
                self._csv.writerow(self.columns)

    def _arrow_table(self, rows: list[dict]):
        import pyarrow as pa

        def scores(labels):
            return pa.struct([(name, pa.float32()) for name in labels])

        fields = {"id": pa.string(), "doc_id": pa.string(), "unit_index": pa.int64(), "kind": pa.string(),
                  "author": pa.string(), "text": pa.string(), "stance": pa.string(),
                  "stance_scores": scores(self.stance_labels), "frames": pa.list_(pa.string()),
                  "frame_scores": scores(self.frame_labels), "truncated": pa.bool_()}
        schema = pa.schema([(c, fields.get(c, pa.string())) for c in self.columns])
        data = {c: [row.get(c) if c in fields or row.get(c) is None else str(row.get(c)) for row in rows]
                for c in self.columns}
        return pa.Table.from_pydict(data, schema=schema)

    def close(self) -> None:
        """Finish the file and move it into place (an empty run still writes a valid, empty file)."""
        if self.columns is None:
            self.columns = list(BASE_COLUMNS)
        self._open()
        if self._parquet is not None:
            self._parquet.close()
        if self._handle is not None:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        for closer in (self._parquet, self._handle):
            if closer is not None:
                closer.close()
        self.tmp.unlink(missing_ok=True)


def read_predictions(path: str | Path) -> list[dict]:
    """Read a predictions file written by ``RowWriter`` back into rows (nested fields decoded)."""
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
            row["author"] = row.get("author") or None
        return rows
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()
