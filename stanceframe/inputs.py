"""Read inputs lazily: documents to segment, or tables of units (JSONL, CSV, Parquet).

Every input yields either units or error records, so nothing is lost silently:

    {"id", "doc_id", "unit_index", "kind", "author", "text", **extra columns}
    {"error": reason, "path": file, "line": line or None, "id": unit id or None}
"""

from __future__ import annotations

import csv
import datetime
import decimal
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from stanceframe.errors import InputError
from stanceframe.jsonl import iter_json_objects
from stanceframe.schema import UNIT_KINDS
from stanceframe.segment import segment_text
from stanceframe.textio import read_document, text_table_encoding

TABLE_SUFFIXES = {".jsonl", ".ndjson", ".csv", ".tsv", ".parquet"}
UNIT_KEYS = ("id", "doc_id", "unit_index", "kind", "author", "text")
# Fields the classifier writes into each output row (stanceframe.classifier.Classifier.rows). An input column of
# the same name is passed through as input_<name>, so a gold file's own labels survive beside the predictions.
PREDICTION_FIELDS = ("stance", "stance_scores", "frames", "frame_scores", "truncated", "warnings", "stance_set",
                     "ambiguous")

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def discover(paths: list[str | Path]) -> Iterator[tuple[Path, str]]:
    """(file, document id) for every input file; directories are walked in sorted order.

    The document id is the file's path relative to the folder given (a file given by itself: its name). Where that
    id was already used in the run (two folders with an ``a.txt``, two ``comments.csv`` given by path), the path as
    given is used instead, so no two inputs share a document id."""
    used: set[str] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = ((c, c.relative_to(path).as_posix(), c.as_posix())
                     for c in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")))
        else:
            found = [(path, path.name, path.as_posix())]
        for file, name, full in found:
            name = full if name in used else name
            used.add(name)
            yield file, name


def _csv_reader(handle, suffix: str):
    """CSV with its quoting rules, strictly (malformed quoting is an error, not rows run together); TSV as plain
    tab-separated fields, where a quote mark is text."""
    if suffix == ".tsv":
        return csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
    return csv.DictReader(handle, strict=True)


def iter_table_rows(path: Path, encoding: str = "utf-8-sig") -> Iterator[tuple[int, dict]]:
    """(line or row number, row) pairs; a malformed JSONL line yields an InputError in place of the row, and
    malformed CSV quoting one InputError that ends the file (the rows after it cannot be told apart)."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        with open(path, encoding=encoding, errors="replace") as handle:
            for lineno, row in iter_json_objects(handle):
                yield lineno, InputError(path, row, lineno) if isinstance(row, str) else row
    elif suffix in (".csv", ".tsv"):
        with open(path, encoding=encoding, errors="replace", newline="") as handle:
            reader = _csv_reader(handle, suffix)
            try:
                for row in reader:
                    yield reader.line_num, row
            except csv.Error as exc:
                yield reader.line_num, InputError(path, f"malformed CSV ({exc}); the rest of the file is not read",
                                                  reader.line_num)
    elif suffix == ".parquet":
        import pyarrow.parquet as pq

        number = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):
            for row in batch.to_pylist():
                number += 1
                yield number, row
    else:
        raise InputError(path, f"unknown table format {suffix!r}")


def table_columns(path: Path, encoding: str = "utf-8-sig") -> list[str] | None:
    """Column names where the format declares them up front (CSV header, Parquet schema)."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        with open(path, encoding=encoding, errors="replace", newline="") as handle:
            return list(_csv_reader(handle, suffix).fieldnames or [])
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).schema_arrow.names
    return None


def _error(exc: InputError, unit_id: str | None = None) -> dict:
    return {"error": exc.reason, "path": exc.path, "line": exc.line, "id": unit_id}


def _segment_units(text: str, doc_id: str, extra: dict, warnings: list[str], path: Path,
                   line: int | None = None) -> Iterator[dict]:
    units = segment_text(text, doc_id).units
    if not units:
        yield _error(InputError(path, "no text units (only boilerplate or blank lines)", line))
    for unit in units:
        yield {"id": f"{doc_id}:{unit.unit_index}", "doc_id": doc_id, "unit_index": unit.unit_index,
               "kind": unit.kind, "author": unit.author, "text": unit.text, **extra, "warnings": list(warnings)}


def iter_inputs(paths: list[str | Path], documents: bool = False, text_column: str = "text") -> Iterator[dict]:
    """Units (and error records) from every input, in order."""
    for path, doc_name in discover(paths):
        yield from iter_file(path, doc_name, documents, text_column)


def iter_file(path: Path, doc_name: str, documents: bool = False, text_column: str = "text") -> Iterator[dict]:
    """Units (and error records) of one input file; ``doc_name`` is the id of a plain-text document."""
    path = Path(path)
    try:
        if path.suffix.lower() in TABLE_SUFFIXES:
            yield from _table_units(path, doc_name, documents, text_column)
        elif not path.exists():
            raise InputError(path, "no such file or directory")
        else:
            text, warnings = read_document(path)
            yield from _segment_units(text, doc_name, {}, warnings, path)
    except InputError as exc:
        yield _error(exc)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        yield _error(InputError(path, f"cannot read ({exc})"))


def _table_units(path: Path, doc_name: str, documents: bool, text_column: str) -> Iterator[dict]:
    """Units of a table; a row without ``doc_id`` belongs to the document ``doc_name`` (see ``discover``)."""
    if not path.exists():
        raise InputError(path, "no such file or directory")
    encoding = text_table_encoding(path) if path.suffix.lower() != ".parquet" else "utf-8-sig"
    base_warnings = [] if encoding == "utf-8-sig" else [f"encoding:{encoding}"]
    columns = table_columns(path, encoding)
    if columns is not None and text_column not in columns:
        raise InputError(path, f"no {text_column!r} column (columns: {', '.join(columns) or 'none'})")
    next_index: dict[str, int] = {}
    seen_ids: dict[str, int] = {}
    for number, row in iter_table_rows(path, encoding):
        if isinstance(row, InputError):
            yield _error(row)
            continue
        text = row.get(text_column)
        if text is None or (isinstance(text, float) and text != text):
            yield _error(InputError(path, f"no {text_column!r} value", number), _str(row.get("id")))
            continue
        text = str(text)
        extra = passed_through(row, text_column)
        if documents:
            doc_id = _str(row.get("doc_id")) or _str(row.get("id")) or f"{doc_name}:{number}"
            yield from _segment_units(text, doc_id, extra, base_warnings, path, number)
            continue
        doc_id = _str(row.get("doc_id")) or doc_name
        index = row.get("unit_index")
        if index is None or index == "":
            index = next_index.get(doc_id, 0)
        try:
            index = int(index)
        except (TypeError, ValueError):
            yield _error(InputError(path, f"unit_index {index!r} is not a whole number", number), _str(row.get("id")))
            continue
        next_index[doc_id] = index + 1
        unit_id = _str(row.get("id")) or f"{doc_id}:{index}"
        warnings = list(base_warnings)
        if unit_id in seen_ids:  # keep both units; the later one gets a suffix so ids stay unique
            seen_ids[unit_id] += 1
            unit_id, warnings = f"{unit_id}#{seen_ids[unit_id]}", [*warnings, "duplicate_id"]
        else:
            seen_ids[unit_id] = 1
        if not text.strip():
            yield _error(InputError(path, f"empty {text_column!r} value", number), unit_id)
            continue
        kind = row.get("kind") or "paragraph"
        if kind not in UNIT_KINDS:
            kind, warnings = "paragraph", [*warnings, "unknown_kind"]
        yield {"id": unit_id, "doc_id": doc_id, "unit_index": index, "kind": kind,
               "author": _str(row.get("author")), "text": text, **extra, "warnings": warnings}


def passed_through(row: dict, text_column: str) -> dict:
    """A row's other columns, as written to the output: JSON-safe (dates and times as ISO 8601 text, decimals and
    bytes as text) and, where a column has the name of a prediction field, renamed ``input_<name>``."""
    return {f"input_{k}" if k in PREDICTION_FIELDS else k: _json_safe(v)
            for k, v in row.items() if k not in UNIT_KEYS and k != text_column}


def _json_safe(value):
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def _str(value) -> str | None:
    if value is None or (isinstance(value, float) and value != value) or value == "":
        return None
    return str(value)


def write_units(paths: list[str], out: str | Path, documents: bool = False, text_column: str = "text") -> tuple[int, int]:
    """`stanceframe segment`: every unit of ``paths`` as JSON Lines in ``out`` (written under a temporary name,
    then moved into place); skipped inputs are reported on stderr. Returns (units written, inputs skipped)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    n = skipped = 0
    tmp = out.with_name(f".{out.name}.partial")
    with open(tmp, "w", encoding="utf-8") as handle:
        for item in iter_inputs(paths, documents=documents, text_column=text_column):
            if "error" in item:
                skipped += 1
                print(f"skipped: {describe_error(item)}", file=sys.stderr)
                continue
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")
            n += 1
    os.replace(tmp, out)
    return n, skipped


def describe_error(item: dict) -> str:
    """``path[:line]: reason`` of an error item from ``iter_inputs``."""
    where = f"{item['path']}:{item['line']}" if item.get("line") else item["path"]
    return f"{where}: {item['error']}"
