"""Double annotation: a blind second pass over newly labelled units, and adjudication of where the two disagree.

The team's corpus rounds (``labels/agreement/``) and a researcher's own gold set go through the same three steps:

1. ``blind_units``: the units without their labels, for a second annotator who never sees the first labels;
2. ``disagreements``: the units whose two labellings differ (stance, or the set of frames), each shown with the two
   labellings as ``annotation_A`` / ``annotation_B`` in a seeded random order, so the adjudicator cannot tell
   which pass is which;
3. ``adjudicate``: the first pass's units with every disagreement settled by a decision line
   (``{"id", "action": "keep" | "rewrite" | "drop", "stance", "frames", "text" (rewrite only), "hard", "reason"}``).
   A unit on which both passes agree keeps its labels. Near-duplicates of units already in the corpus can be
   dropped with ``drop_near_duplicates`` (``corpus_stats.near_duplicates``).

Agreement figures (Cohen's kappa, Krippendorff's alpha) come from ``corpus_stats.agreement``. Every file is read
with errors that name the file and line; nothing is written unless every input is sound.
"""

from __future__ import annotations

import random
from pathlib import Path

from stanceframe.corpus_stats import near_duplicates
from stanceframe.data import read_jsonl_rows, without_line
from stanceframe.errors import LabelFileError
from stanceframe.schema import LabelSchema

BLIND_KEYS = ("id", "doc_id", "kind", "author", "text")
ACTIONS = ("keep", "rewrite", "drop")


def blind_units(units: list[dict]) -> list[dict]:
    """What the second annotator sees: each unit's id, document, kind, author and text; no labels."""
    return [{key: unit.get(key) for key in BLIND_KEYS} for unit in units]


def _labels_problem(obj: dict, schema: LabelSchema) -> str | None:
    if obj.get("stance") not in schema.stance_names:
        return f"stance {obj.get('stance')!r} is not a label of the schema ({', '.join(schema.stance_names)})"
    frames = obj.get("frames")
    if not isinstance(frames, list):
        return "'frames' must be a list of frame labels"
    unknown = [f for f in frames if f not in schema.frame_names]
    if unknown:
        return f"unknown frame label(s) {', '.join(map(repr, unknown))}"
    return None


def _read_by_id(path: str | Path, problem_of, what: str) -> dict[str, dict]:
    """The lines of a JSON Lines file by their ``id``; ``problem_of(line)`` names what is wrong with one (or None).
    The first bad line raises an error naming the file and line."""
    path, out = Path(path), {}
    for lineno, obj in read_jsonl_rows(path):
        if not isinstance(obj.get("id"), str) or not obj["id"].strip():
            raise LabelFileError(path, "'id' must be a non-empty string", lineno)
        problem = problem_of(obj) or (f"is {what} twice" if obj["id"] in out else None)
        if problem:
            raise LabelFileError(path, f"unit {obj['id']!r}: {problem}", lineno)
        out[obj["id"]] = obj | {"_line": lineno}
    return out


def load_labelling(path: str | Path, schema: LabelSchema) -> dict[str, dict]:
    """A pass's labels by unit id (``id``, ``stance``, ``frames``, optional ``hard`` and ``note``)."""
    return _read_by_id(path, lambda obj: _labels_problem(obj, schema), "labelled")


def _differ(a: dict, b: dict) -> bool:
    return a["stance"] != b["stance"] or set(a["frames"]) != set(b["frames"])


def _check_ids(first: list[dict], lines: dict[str, dict], path: str | Path, wanted: list[str], what: str) -> None:
    """Every id in ``wanted`` has a line in ``lines`` (read from ``path``), and every line is a first-pass unit."""
    missing = [i for i in wanted if i not in lines]
    if missing:
        raise LabelFileError(path, f"{len(missing)} {what}, e.g. {', '.join(map(repr, missing[:3]))}")
    known = {u["id"] for u in first}
    stray = [i for i in lines if i not in known]
    if stray:
        raise LabelFileError(path, f"unit {stray[0]!r} is not in the first pass", lines[stray[0]]["_line"])


def check_same_units(first: list[dict], second: dict[str, dict], second_path: str | Path) -> None:
    """The second pass (by id, read from ``second_path``) labels exactly the first pass's units."""
    _check_ids(first, second, second_path, [u["id"] for u in first], "unit(s) of the first pass have no second label")


def disagreements(first: list[dict], second: dict[str, dict], second_path: str | Path = "second pass",
                  seed: int = 0) -> list[dict]:
    """The units whose two labellings differ, each with the two as A and B in a seeded random order."""
    check_same_units(first, second, second_path)
    rng = random.Random(seed)
    out = []
    for unit in first:
        other = second[unit["id"]]
        if not _differ(unit, other):
            continue
        # both sides carry the same keys (a note each, empty where none), so nothing tells which pass is which
        a = {"stance": unit["stance"], "frames": list(unit["frames"]), "note": unit.get("note") or ""}
        b = {"stance": other["stance"], "frames": list(other["frames"]), "note": other.get("note") or ""}
        if rng.random() < 0.5:
            a, b = b, a
        out.append({**{key: unit.get(key) for key in BLIND_KEYS}, "annotation_A": a, "annotation_B": b})
    return out


def _decision_problem(obj: dict, schema: LabelSchema) -> str | None:
    if obj.get("action") not in ACTIONS:
        return f"action {obj.get('action')!r} is not one of {', '.join(ACTIONS)}"
    if obj["action"] == "rewrite" and not (isinstance(obj.get("text"), str) and obj["text"].strip()):
        return "a rewrite needs the new 'text'"
    return None if obj["action"] == "drop" else _labels_problem(obj, schema)


def load_decisions(path: str | Path, schema: LabelSchema) -> dict[str, dict]:
    """Adjudication decisions by unit id."""
    return _read_by_id(path, lambda obj: _decision_problem(obj, schema), "decided")


def adjudicate(first: list[dict], second: dict[str, dict], decisions: dict[str, dict],
               decisions_path: str | Path = "decisions", second_path: str | Path = "second pass") -> tuple[list, dict]:
    """(final units, counts): the first pass with every disagreement settled by its decision. A unit the second
    annotator marked ``hard`` stays marked; an agreed unit keeps its labels (a decision for it still applies)."""
    check_same_units(first, second, second_path)
    _check_ids(first, decisions, decisions_path, [u["id"] for u in first if _differ(u, second[u["id"]])],
               "disagreement(s) have no decision")
    final, counts = [], {"agreed": 0, **{action: 0 for action in ACTIONS}}
    for unit in first:
        unit = without_line(unit)
        hard = bool(unit.get("hard")) or bool(second[unit["id"]].get("hard"))
        decision = decisions.get(unit["id"])
        if decision is None:
            counts["agreed"] += 1
            final.append(unit | {"hard": hard})
            continue
        counts[decision["action"]] += 1
        if decision["action"] == "drop":
            continue
        unit |= {"stance": decision["stance"], "frames": list(decision["frames"]), "adjudicated": True,
                 "hard": hard or bool(decision.get("hard"))}
        if decision["action"] == "rewrite":
            unit["text"] = decision["text"]
        final.append(unit)
    return final, counts


def drop_near_duplicates(units: list[dict], existing: list[dict]) -> tuple[list[dict], list[tuple[str, str, float]]]:
    """(kept, dropped): a new unit too close to an existing one, or to an earlier new one, is dropped
    (character 5-gram Jaccard ≥ ``corpus_stats.NEAR_DUPLICATE_JACCARD``); dropped pairs as (new id, kept id, J)."""
    pool = existing + units
    dropped, gone = [], set()
    for i, j, jaccard in sorted(near_duplicates(pool), key=lambda pair: (pair[1], pair[0])):
        if j >= len(existing) and j not in gone and i not in gone:  # pairs come by j, so i's fate is settled
            gone.add(j)
            dropped.append((pool[j]["id"], pool[i]["id"], jaccard))
    kept = [u for k, u in enumerate(units, len(existing)) if k not in gone]
    return kept, dropped
