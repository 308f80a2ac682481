"""Batch classification: read units as a stream, score them in length-sorted batches, write rows."""

from __future__ import annotations

import itertools
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from stanceframe.classifier import Classifier
from stanceframe.data import load_gold
from stanceframe.errors import InputError, StanceframeError
from stanceframe.inference.outputs import JournaledWriter, check_output_path
from stanceframe.inputs import iter_inputs
from stanceframe.modeling import model_gold_file
from stanceframe.precision import DEFAULT_PRECISION


@dataclass
class RunCounts:
    units_in: int = 0
    classified: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason → count

    @classmethod
    def from_state(cls, state: dict) -> RunCounts:
        """The counts a ``JournaledWriter`` kept (across resumes)."""
        return cls(units_in=state["units_in"], classified=state["classified"], skipped=Counter(state["skipped"]))

    def closing_line(self) -> str:
        total = sum(self.skipped.values())
        reasons = f" ({', '.join(f'{n} {r}' for r, n in self.skipped.most_common())})" if total else ""
        return f"{self.units_in} units in, {self.classified} classified, {total} skipped{reasons}"


def chunks(items: Iterable[dict], size: int) -> Iterator[list[dict]]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class DocumentSummary:
    """Per-document stance and frame counts, accumulated while rows stream past."""

    def __init__(self, stance_labels: list[str], frame_labels: list[str]):
        self.stance_labels, self.frame_labels = stance_labels, frame_labels
        self.docs: dict[str, Counter] = defaultdict(Counter)

    def add(self, rows: list[dict]) -> None:
        for row in rows:
            counts = self.docs[row["doc_id"]]
            counts["units"] += 1
            counts[f"stance:{row['stance']}"] += 1
            for frame in row["frames"]:
                counts[f"frame:{frame}"] += 1

    def rows(self) -> list[dict]:
        out = []
        for doc_id, counts in self.docs.items():
            row = {"doc_id": doc_id, "units": counts["units"]}
            row.update({s: counts[f"stance:{s}"] for s in self.stance_labels})
            row.update({f: counts[f"frame:{f}"] for f in self.frame_labels})
            out.append(row)
        return out

    def write(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = self.rows()
        if path.suffix.lower() == ".json":
            path.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            return
        import csv

        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["doc_id", "units", *self.stance_labels, *self.frame_labels])
            writer.writeheader()
            writer.writerows(rows)


def classify_paths(paths: list[str], classifier: Classifier, out: str | Path, summary: str | Path | None = None,
                   documents: bool = False, text_column: str = "text", chunk_size: int = 512,
                   errors_path: str | Path | None = None, progress: bool = True, resume: bool = False,
                   on_error: str = "skip") -> RunCounts:
    """Classify every unit of ``paths`` into ``out``; skipped inputs are listed in ``errors_path``.

    With ``resume`` an interrupted run of the same job continues where its last checkpoint left off.
    ``on_error="fail"`` stops at the first unreadable input instead of skipping and reporting it.
    """
    errors_path = Path(errors_path) if errors_path else default_errors_path(out)
    job = {"paths": [str(Path(p).resolve()) for p in paths], "model": str(classifier.model_dir.resolve()),
           "precision": classifier.precision, "documents": documents, "text_column": text_column}
    if classifier.conformal is not None:
        job["coverage"] = [classifier.conformal.coverage, classifier.conformal.source]
    writer = JournaledWriter(out, classifier.stance_labels, classifier.frame_labels, errors_path, job, resume=resume)
    doc_summary = DocumentSummary(classifier.stance_labels, classifier.frame_labels)
    items = iter_inputs(paths, documents=documents, text_column=text_column)
    already = writer.consumed
    if already:
        items = itertools.islice(items, already, None)
        if summary:  # rebuild the per-document counts of what is already written
            for rows in chunks(writer.journal_rows(), chunk_size):
                doc_summary.add(rows)
    bar = tqdm(desc="classify", unit=" units", disable=not progress, file=sys.stderr, initial=already)
    try:
        for chunk in chunks(items, chunk_size):
            units = [item for item in chunk if "error" not in item]
            errors = [item for item in chunk if "error" in item]
            if errors and on_error == "fail":
                first = errors[0]
                raise InputError(first["path"], first["error"], first.get("line"))
            rows = classifier.predict(units) if units else []
            writer.write_chunk(rows, errors, consumed=len(chunk))
            doc_summary.add(rows)
            bar.update(len(chunk))
    finally:
        bar.close()
    writer.close()
    if summary:
        doc_summary.write(summary)
    return RunCounts.from_state(writer.state)


def default_errors_path(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(out.name.rsplit(".", 1)[0] + ".errors.jsonl")


def classify_command(paths: list[str], model: str | Path, out: str | Path, engine: str = "local", resume: bool = False,
                     precision: str = DEFAULT_PRECISION, documents: bool = False, text_column: str = "text",
                     errors_path: str | Path | None = None, summary: str | Path | None = None,
                     max_length: int | None = None, on_error: str = "skip", expect_schema: str | Path | None = None,
                     threads: int = 0, chunk_size: int = 512, progress: bool = True,
                     ray: dict | None = None, coverage: float | None = None,
                     calibration_data: str | Path | None = None) -> tuple[RunCounts, Path | None]:
    """`stanceframe classify`: on the local engine or on Ray (``ray``: ``ray_address``, ``num_cpus``, ``actors``).
    With ``coverage``, each row gets a conformal stance set calibrated on ``calibration_data`` (default: the model's
    dev split). Returns the counts and, for the local engine, the errors file."""
    check_output_path(out)
    if coverage is not None and engine == "ray":
        raise StanceframeError("--coverage works with the local engine only")
    if engine == "ray":
        from stanceframe.inference.ray_engine import classify_with_ray

        if resume:
            raise StanceframeError("--resume works with the local engine only")
        return classify_with_ray(paths, model, out, precision=precision, documents=documents, text_column=text_column,
                                 errors_path=errors_path, max_length=max_length, summary=summary, on_error=on_error,
                                 expect_schema=expect_schema, **(ray or {})), None
    classifier = Classifier(model, max_length=max_length, num_threads=threads, precision=precision,
                            expect_schema=expect_schema)
    if coverage is not None:
        gold_file = model_gold_file(model, "dev", calibration_data)
        classifier.with_coverage(coverage, load_gold(gold_file, classifier.schema), gold_file)
    counts = classify_paths(paths, classifier, out, summary=summary, documents=documents, text_column=text_column,
                            chunk_size=chunk_size, errors_path=errors_path, progress=progress, resume=resume,
                            on_error=on_error)
    return counts, Path(errors_path) if errors_path else default_errors_path(out)
