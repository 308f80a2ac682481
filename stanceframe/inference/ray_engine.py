"""`stanceframe classify --engine ray`: the same job on Ray Data, on a local instance or a cluster.

The driver lists the input files; Ray workers read and segment them (the same code as the local
engine), an actor pool holding the classifier scores the units in batches, and the driver streams
the rows, in input order, through the same checkpointed writer. Output rows are the local engine's.
Rows travel between stages as JSON strings, so no column schema has to be inferred across blocks.
"""

from __future__ import annotations

import json
from pathlib import Path

from stanceframe.classifier import Classifier, check_schema, model_schema
from stanceframe.errors import InputError
from stanceframe.inference.classify import RunCounts, default_errors_path
from stanceframe.inference.outputs import JournaledWriter
from stanceframe.inputs import discover, iter_file
from stanceframe.schema import LabelSchema

# Ray resource requests: readers take a slice of a CPU and actors most of one per torch thread, so that
# actors holding every core never starve the readers that feed them (a deadlock on small machines).
READER_CPUS = 0.5
ACTOR_CPU_SHARE = 0.75


class ClassifierActor:
    """Holds one loaded classifier per actor; scores a batch of JSON-encoded items."""

    def __init__(self, model_dir: str, precision: str, max_length: int | None, threads: int):
        self.classifier = Classifier(model_dir, precision=precision, max_length=max_length, num_threads=threads)

    def __call__(self, batch: dict) -> dict:
        items = [json.loads(s) for s in batch["item"]]
        units = [item for item in items if "error" not in item]
        rows = iter(self.classifier.predict(units) if units else [])
        return {"item": [json.dumps(item if "error" in item else next(rows), ensure_ascii=False) for item in items]}


def _read_file(row: dict, documents: bool, text_column: str) -> list[dict]:
    return [{"item": json.dumps(item, ensure_ascii=False)}
            for item in iter_file(Path(row["path"]), row["doc_name"], documents, text_column)]


def classify_with_ray(paths: list[str], model_dir: str, out: str | Path, precision: str = "auto",
                      documents: bool = False, text_column: str = "text", errors_path: str | Path | None = None,
                      ray_address: str | None = None, num_cpus: int | None = None, actors: int = 2,
                      batch_size: int = 256, max_length: int | None = None, summary: str | Path | None = None,
                      on_error: str = "skip", expect_schema: str | Path | None = None) -> RunCounts:
    """Classify ``paths`` on Ray into ``out``; skips, counts and ``on_error`` behave as in ``classify_paths``."""
    try:
        import ray
    except ImportError:
        raise SystemExit("the Ray engine needs the optional extra: pip install 'stanceframe[ray]'") from None
    from stanceframe.inference.classify import DocumentSummary

    schema = model_schema(model_dir)  # fail fast on a bad model directory, before starting Ray
    if expect_schema is not None:
        check_schema(schema, LabelSchema.load(expect_schema), Path(model_dir), expect_schema)
    if not ray.is_initialized():
        init = {"address": ray_address} if ray_address else {"num_cpus": num_cpus, "include_dashboard": False}
        ray.init(ignore_reinit_error=True, log_to_driver=False, configure_logging=False, **init)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    files = [{"path": str(p.resolve()), "doc_name": name} for p, name in discover(paths)]
    threads = max(1, (num_cpus or 2) // max(actors, 1)) if not ray_address else 1
    dataset = (ray.data.from_items(files, override_num_blocks=max(1, len(files)))
               .flat_map(_read_file, fn_kwargs={"documents": documents, "text_column": text_column},
                         num_cpus=READER_CPUS)
               .map_batches(ClassifierActor, batch_size=batch_size, concurrency=actors, num_cpus=ACTOR_CPU_SHARE * threads,
                            fn_constructor_kwargs={"model_dir": str(Path(model_dir).resolve()), "precision": precision,
                                                   "max_length": max_length, "threads": threads}))
    errors_path = Path(errors_path) if errors_path else default_errors_path(out)
    job = {"engine": "ray", "paths": [f["path"] for f in files], "model": str(Path(model_dir).resolve()),
           "precision": precision, "documents": documents, "text_column": text_column}
    writer = JournaledWriter(out, schema.stance_names, schema.frame_names, errors_path, job)
    doc_summary = DocumentSummary(schema.stance_names, schema.frame_names)
    for batch in dataset.iter_batches(batch_size=batch_size, batch_format="numpy"):
        items = [json.loads(s) for s in batch["item"]]
        rows = [i for i in items if "error" not in i]
        errors = [i for i in items if "error" in i]
        if errors and on_error == "fail":
            raise InputError(errors[0]["path"], errors[0]["error"], errors[0].get("line"))
        writer.write_chunk(rows, errors, consumed=len(items))
        doc_summary.add(rows)
    writer.close()
    if summary:
        doc_summary.write(summary)
    return RunCounts.from_state(writer.state)
