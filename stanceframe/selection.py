"""`stanceframe select`: pick the units most worth labelling next and write them as an annotation queue.

Inputs are read and segmented exactly as `classify` reads them (``stanceframe.inputs.iter_inputs``); the model
scores every unit, units already labelled are dropped, and ``n`` are picked by one of three strategies:

- ``uncertainty``: the units the model is least sure of first. A unit's uncertainty is the mean of
  - stance uncertainty: 1 − (top stance probability − second stance probability), i.e. one minus the margin
    (1 when the two leading stances tie, near 0 when one stance takes all the probability), and
  - frame uncertainty: the largest closeness of a frame probability to that frame's threshold, over the frames:
    1 − |p − t| / t below the threshold, 1 − (p − t) / (1 − t) above it (1 at the threshold, 0 at 0 or 1).
  Both parts are in [0, 1], so the sum weighs the single stance decision and the closest frame decision alike.
  The scores are the ``Classifier``'s own ``stance_scores`` and ``frame_scores`` (calibrated where the model is).
- ``random``: a seeded shuffle.
- ``diverse``: round-robin over the predicted stance labels (schema order); within a stance the next pick is the
  most uncertain unit of the documents picked least so far, so the queue spreads over documents and labels.

The queue is JSON Lines, one unit a line: ``id, doc_id, kind, author, text``, the model's ``stance``, ``frames``,
``stance_scores``, ``frame_scores``, and ``uncertainty``, ``rank`` (1 = first to label), ``strategy`` and
``context`` (``{"before": [...], "after": [...]}``: up to two neighbouring units' texts of the same document).
Units already in the queue file are skipped as well, and new picks are appended after them.
"""

from __future__ import annotations

import random
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from stanceframe.data import read_jsonl_rows
from stanceframe.errors import InputError, LabelFileError, StanceframeError
from stanceframe.inputs import describe_error, iter_inputs
from stanceframe.jsonl import fsync_append

STRATEGIES = ("uncertainty", "random", "diverse")
CONTEXT = 2        # neighbouring units on each side shown with a queued unit
CHUNK = 256        # units scored per call of the classifier
QUEUE_KEYS = ("id", "doc_id", "kind", "author", "text")


def normalise(text: str) -> str:
    """Text compared for "already labelled": Unicode-normalised, case-folded, whitespace collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().casefold()


def stance_uncertainty(scores: dict[str, float]) -> float:
    """1 − (top − second) stance probability."""
    top = sorted(scores.values(), reverse=True) + [0.0]
    return 1.0 - (top[0] - top[1])


def frame_uncertainty(scores: dict[str, float], thresholds: dict[str, float]) -> float:
    """The largest closeness of a frame probability to its threshold (1 at the threshold, 0 at 0 or 1)."""
    closest = 0.0
    for name, p in scores.items():
        t = min(max(thresholds.get(name, 0.5), 1e-6), 1 - 1e-6)
        closeness = 1 - (t - p) / t if p < t else 1 - (p - t) / (1 - t)
        closest = max(closest, closeness)
    return closest


def uncertainty(row: dict, thresholds: dict[str, float]) -> float:
    """The mean of the stance and frame uncertainties of a prediction row (see the module docstring)."""
    return (stance_uncertainty(row["stance_scores"]) + frame_uncertainty(row["frame_scores"], thresholds)) / 2


def labelled_keys(paths: Iterable[str | Path]) -> tuple[set[str], set[str]]:
    """Ids and normalised texts of the units in labelled (or queue) JSON Lines files. A line that is not a JSON
    object, or has neither ``id`` nor ``text``, is an error naming the file and line."""
    ids, texts = set(), set()
    for path in paths:
        for lineno, row in read_jsonl_rows(Path(path)):
            if not isinstance(row, dict) or (row.get("id") is None and not isinstance(row.get("text"), str)):
                raise LabelFileError(path, "a labelled unit needs an 'id' or a 'text'", lineno)
            if row.get("id") is not None:
                ids.add(str(row["id"]))
            if isinstance(row.get("text"), str):
                texts.add(normalise(row["text"]))
    return ids, texts


def read_units(paths: list[str | Path], documents: bool = False, text_column: str = "text",
               on_error: str = "skip") -> list[dict]:
    """Every unit of ``paths``, as `classify` reads them; unreadable inputs are reported on stderr
    (``path:line: reason``) and skipped, or raised with ``on_error="fail"``."""
    units = []
    for item in iter_inputs(paths, documents=documents, text_column=text_column):
        if "error" in item:
            if on_error == "fail":
                raise InputError(item["path"], item["error"], item.get("line"))
            print(f"skipped: {describe_error(item)}", file=sys.stderr)
            continue
        units.append(item)
    return units


def contexts(units: list[dict]) -> dict[str, dict]:
    """``{"before": [...], "after": [...]}`` per unit id: up to ``CONTEXT`` neighbouring texts of its document."""
    by_doc = defaultdict(list)
    for unit in units:
        by_doc[unit.get("doc_id")].append(unit)
    out = {}
    for doc_units in by_doc.values():
        doc_units.sort(key=lambda u: u.get("unit_index") or 0)
        texts = [u["text"] for u in doc_units]
        for i, unit in enumerate(doc_units):
            out[unit["id"]] = {"before": texts[max(0, i - CONTEXT):i], "after": texts[i + 1:i + 1 + CONTEXT]}
    return out


def predict_units(classifier, units: list[dict]) -> list[dict]:
    """Prediction rows of ``units`` with their ``uncertainty``, in input order."""
    rows = []
    for start in range(0, len(units), CHUNK):
        rows.extend(classifier.predict(units[start:start + CHUNK]))
    for row in rows:
        row["uncertainty"] = round(uncertainty(row, classifier.score_thresholds), 5)
    return rows


def order_rows(rows: list[dict], n: int, strategy: str, stance_labels: list[str], seed: int = 0) -> list[dict]:
    """The first ``n`` rows picked by ``strategy`` (prediction rows carrying ``uncertainty``), in pick order."""
    if strategy not in STRATEGIES:
        raise StanceframeError(f"unknown strategy {strategy!r} (expected one of: {', '.join(STRATEGIES)})")
    if strategy == "random":
        picked = list(rows)
        random.Random(seed).shuffle(picked)
        return picked[:n]
    by_uncertainty = sorted(rows, key=lambda r: (-r["uncertainty"], str(r["id"])))
    if strategy == "uncertainty":
        return by_uncertainty[:n]
    queues = {label: [r for r in by_uncertainty if r["stance"] == label] for label in stance_labels}
    doc_picks: Counter = Counter()
    picked = []
    while len(picked) < n and any(queues.values()):
        for label in stance_labels:
            queue = queues[label]
            if not queue or len(picked) >= n:
                continue
            least = min(doc_picks[r["doc_id"]] for r in queue) if doc_picks else 0
            i = next(i for i, r in enumerate(queue) if doc_picks[r["doc_id"]] == least)
            row = queue.pop(i)
            doc_picks[row["doc_id"]] += 1
            picked.append(row)
    return picked


def queue_row(row: dict, rank: int, strategy: str, context: dict) -> dict:
    return {**{k: row.get(k) for k in QUEUE_KEYS}, "stance": row["stance"], "frames": row["frames"],
            "stance_scores": row["stance_scores"], "frame_scores": row["frame_scores"],
            "uncertainty": row["uncertainty"], "rank": rank, "strategy": strategy, "context": context}


def select_from_units(units: list[dict], classifier, n: int, strategy: str = "uncertainty", seed: int = 0,
                      skip_ids: set[str] = frozenset(), skip_texts: set[str] = frozenset(),
                      first_rank: int = 1) -> list[dict]:
    """Queue rows of ``n`` of ``units`` (already read), picked by ``strategy``; units whose id is in ``skip_ids``
    or whose normalised text is in ``skip_texts`` are not picked."""
    if n < 1:
        raise StanceframeError("n must be at least 1")
    around = contexts(units)
    fresh, seen = [], set(skip_texts)
    for unit in units:  # a text repeated in the inputs (or already labelled) is offered once at most
        key = normalise(unit["text"])
        if str(unit["id"]) not in skip_ids and key not in seen:
            seen.add(key)
            fresh.append(unit)
    rows = predict_units(classifier, fresh) if strategy != "random" else [
        {**u, "uncertainty": None} for u in fresh]
    picked = order_rows(rows, n, strategy, classifier.stance_labels, seed)
    if strategy == "random" and picked:  # the model's view of the picked units only
        picked = predict_units(classifier, [{k: v for k, v in r.items() if k != "uncertainty"} for r in picked])
    return [queue_row(row, first_rank + i, strategy, around[row["id"]]) for i, row in enumerate(picked)]


def select_units(paths: list[str | Path], model, n: int, strategy: str = "uncertainty", out: str | Path | None = None,
                 seed: int = 0, labelled: Iterable[str | Path] = (), documents: bool = False,
                 text_column: str = "text", on_error: str = "skip") -> list[dict]:
    """`stanceframe select`: the queue rows picked from the units of ``paths``. ``model`` is a model directory or a
    loaded ``Classifier`` (anything with its ``predict``, ``stance_labels`` and ``score_thresholds``). Units in the ``labelled`` files (by id or normalised text) and in ``out`` (when it
    exists) are skipped; with ``out`` the picks are appended to it, ranked after the ones already there."""
    from stanceframe.classifier import Classifier

    classifier = model if hasattr(model, "predict") else Classifier(model)
    existing = [out] if out and Path(out).is_file() else []
    skip_ids, skip_texts = labelled_keys([*labelled, *existing])
    first_rank = 1 + max((row.get("rank") or 0 for _, row in read_jsonl_rows(Path(out))), default=0) if existing else 1
    units = read_units(paths, documents=documents, text_column=text_column, on_error=on_error)
    rows = select_from_units(units, classifier, n, strategy, seed, skip_ids, skip_texts, first_rank)
    if out:
        import json

        Path(out).parent.mkdir(parents=True, exist_ok=True)
        fsync_append(out, [json.dumps(row, ensure_ascii=False) + "\n" for row in rows])
    return rows
