"""Batch classification: read units as a stream, score them in length-sorted batches, write rows."""

from __future__ import annotations

import itertools
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import torch
from tqdm.auto import tqdm

from infer.inputs import iter_inputs
from infer.outputs import JournaledWriter
from stanceframe.ensemble import is_ensemble, read_members, weighted_mean
from stanceframe.errors import InputError, ModelDirError
from stanceframe.modeling import (
    SCHEMA_NAME,
    THRESHOLDS_INT8_NAME,
    THRESHOLDS_NAME,
    TRAINING_ARGS_NAME,
    load_model,
    read_model_json,
)
from stanceframe.precision import DEFAULT_PRECISION, in_precision, resolve_precision
from stanceframe.predict import decide, predict_probs, release_memory
from stanceframe.schema import LabelSchema


def check_schema(model_schema: LabelSchema, wanted: LabelSchema, model_dir: Path, wanted_path) -> None:
    """A model trained on other labels than the schema the user asked for is an error, not a surprise."""
    for group in ("stance_names", "frame_names"):
        have, want = getattr(model_schema, group), getattr(wanted, group)
        if have != want:
            raise ModelDirError(f"{model_dir} was trained on other {group.split('_')[0]} labels than {wanted_path}: "
                                f"model has {', '.join(have)}; schema has {', '.join(want)}")


def mostly_latin(text: str) -> bool:
    """False for text whose letters are mostly outside the Latin script (the model reads English only)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return True
    return sum(1 for ch in letters if ch < "\u0250") / len(letters) >= 0.5


class Member:
    """One saved model, loaded in one precision: texts in, stance and frame probabilities out."""

    def __init__(self, model_dir: Path, precision: str, max_length: int | None, max_tokens: int):
        self.model_dir = model_dir
        self.model, self.tokenizer, self.thresholds, self.schema = load_model(model_dir)
        self.precision = resolve_precision(precision, self.model.config)
        self.model = in_precision(self.model, self.precision)
        if self.precision == "int8":
            # thresholds re-tuned on dev for the int8 model at training time, where the model has them;
            # bf16 rounds the fp32 model and keeps its thresholds
            self.thresholds = read_model_json(model_dir, THRESHOLDS_INT8_NAME) or self.thresholds
        trained_length = read_model_json(model_dir, TRAINING_ARGS_NAME).get("max_length", 256)
        self.max_length = max_length or trained_length
        self.max_tokens = max_tokens

    def probs(self, texts: list[str], kinds: list[str | None]):
        return predict_probs(self.model, self.tokenizer, texts, kinds, max_length=self.max_length,
                             max_tokens=self.max_tokens)


class Classifier:
    """A loaded model (or ensemble of models) that turns units into prediction rows."""

    def __init__(self, model_dir: str | Path, max_length: int | None = None, max_tokens: int = 8192,
                 num_threads: int = 0, precision: str = DEFAULT_PRECISION, expect_schema: str | Path | None = None):
        if num_threads:
            torch.set_num_threads(num_threads)
        self.model_dir = Path(model_dir)
        if is_ensemble(self.model_dir):
            self.members = [(Member(path, precision, max_length, max_tokens), weight)
                            for path, weight in read_members(self.model_dir)]
            self.schema = LabelSchema.load(self.model_dir / SCHEMA_NAME)
            self.thresholds = read_model_json(self.model_dir, THRESHOLDS_NAME)
            for member, _ in self.members:
                check_schema(member.schema, self.schema, member.model_dir, self.model_dir / SCHEMA_NAME)
        else:
            member = Member(self.model_dir, precision, max_length, max_tokens)
            self.members = [(member, 1.0)]
            self.schema, self.thresholds = member.schema, member.thresholds
        # e.g. "bf16"; "fp32+int8" when the members of an ensemble run in different precisions
        self.precision = "+".join(dict.fromkeys(member.precision for member, _ in self.members))
        if expect_schema is not None:
            check_schema(self.schema, LabelSchema.load(expect_schema), self.model_dir, expect_schema)

    @property
    def stance_labels(self) -> list[str]:
        return self.schema.stance_names

    @property
    def frame_labels(self) -> list[str]:
        return self.schema.frame_names

    def probs(self, texts: list[str], kinds: list[str | None]):
        """Stance (n × S) and frame (n × F) probabilities, weighted over the members, and a truncated flag each."""
        outputs = [member.probs(texts, kinds) for member, _ in self.members]
        weights = [weight for _, weight in self.members]
        truncated = [any(flags) for flags in zip(*(out[2] for out in outputs))]
        return (weighted_mean([out[0] for out in outputs], weights), weighted_mean([out[1] for out in outputs], weights),
                truncated)

    def predict(self, units: list[dict]) -> list[dict]:
        """One prediction row per unit, in input order."""
        stance_p, frame_p, truncated = self.probs([u["text"] for u in units], [u.get("kind") for u in units])
        release_memory()
        stances, frames = decide(stance_p, frame_p, self.stance_labels, self.frame_labels, self.thresholds)
        rows = []
        for i, unit in enumerate(units):
            warnings = list(unit.get("warnings") or [])
            if truncated[i]:
                warnings.append("truncated")
            if not mostly_latin(unit["text"]):
                warnings.append("not_english")
            rows.append({**unit, "warnings": warnings, "stance": stances[i],
                         "stance_scores": {k: round(float(v), 5) for k, v in zip(self.stance_labels, stance_p[i])},
                         "frames": frames[i],
                         "frame_scores": {k: round(float(v), 5) for k, v in zip(self.frame_labels, frame_p[i])},
                         "truncated": bool(truncated[i])})
        return rows

    def predict_texts(self, texts: list[str], kind: str = "paragraph") -> list[dict]:
        return self.predict([{"id": str(i), "text": t, "kind": kind} for i, t in enumerate(texts)])


def model_schema(model_dir: str | Path) -> LabelSchema:
    """The labels of a saved model or ensemble; loads every model in it, so a broken directory fails here."""
    model_dir = Path(model_dir)
    if is_ensemble(model_dir):
        for member, _ in read_members(model_dir):
            load_model(member)
        return LabelSchema.load(model_dir / SCHEMA_NAME)
    return load_model(model_dir)[3]


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
