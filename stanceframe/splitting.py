"""Split annotated units into train/dev/test by document (never splitting a document)."""

from __future__ import annotations

import hashlib
from collections import defaultdict

SPLIT_NAMES = ("train", "dev", "test")


def _order_key(doc_id: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{doc_id}".encode()).hexdigest()


def split_by_document(rows: list[dict], ratios=(0.70, 0.15, 0.15), seed: int = 13,
                      group_key=lambda doc_id: doc_id.rstrip("0123456789")) -> dict[str, list[dict]]:
    """Assign whole documents to splits, stratified by document group (default: the id prefix, which
    the team uses for genre batches), so that each split gets the ratio of each group's units."""
    docs: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        docs[row["doc_id"]].append(row)
    groups: dict[str, list[str]] = defaultdict(list)
    for doc_id in docs:
        groups[group_key(doc_id)].append(doc_id)
    out: dict[str, list[dict]] = {name: [] for name in SPLIT_NAMES}
    for group in sorted(groups):
        taken = dict.fromkeys(SPLIT_NAMES, 0)
        for doc_id in sorted(groups[group], key=lambda d: _order_key(d, seed)):
            total = sum(taken.values()) + len(docs[doc_id])
            # the split furthest below its share of this group's units takes the document
            name = max(SPLIT_NAMES, key=lambda s: ratios[SPLIT_NAMES.index(s)] * total - taken[s])
            taken[name] += len(docs[doc_id])
            out[name].extend(docs[doc_id])
    return out


def missing_labels(splits: dict[str, list[dict]], stance_names: list[str], frame_names: list[str]) -> dict:
    """Labels absent from a split (every label should be present in each split)."""
    gaps = {}
    for name, rows in splits.items():
        stances = {r["stance"] for r in rows}
        frames = {f for r in rows for f in r["frames"]}
        absent = [s for s in stance_names if s not in stances] + [f for f in frame_names if f not in frames]
        if absent:
            gaps[name] = absent
    return gaps
