"""`stanceframe labels stats`: corpus size targets, double-annotation agreement, near-duplicates, diversity."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np

from stanceframe.data import label_counts, load_annotated, load_splits
from stanceframe.schema import LabelSchema

# The corpus issue's minimums for the default corpus (per label where a label is named).
TARGETS = {"units": 2400, "documents": 300, "per_stance": 400, "per_frame": 150,
           "comment_share": 0.20, "headline_share": 0.10, "hard_share": 0.15}
NEAR_DUPLICATE_JACCARD = 0.6  # character 5-gram Jaccard at or above this is flagged
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def cohen_kappa(a: list, b: list) -> float:
    """Cohen's kappa of two coders over the same units (scikit-learn); 1 when both give one same label throughout."""
    if not a:
        return float("nan")
    if list(a) == list(b):
        return 1.0  # scikit-learn's kappa is undefined (0/0) when chance agreement is 1
    from sklearn.metrics import cohen_kappa_score

    return float(cohen_kappa_score(a, b))


def masi_distance(a: frozenset, b: frozenset) -> float:
    """MASI distance between two label sets (Passonneau 2006; NLTK's): 0 for two equal sets, two empty ones too."""
    if a == b:
        return 0.0  # NLTK's divides by the size of the union, which is 0 for two empty sets
    from nltk.metrics.distance import masi_distance as nltk_masi

    return float(nltk_masi(set(a), set(b)))


def krippendorff_alpha(pairs: list[tuple], distance) -> float:
    """Krippendorff's alpha of two coders with no missing values, under any distance (NLTK's AnnotationTask)."""
    values = [v for pair in pairs for v in pair]
    if len(values) < 2:
        return float("nan")
    if all(distance(a, b) == 0 for a, b in pairs):
        return 1.0  # no observed disagreement (NLTK's alpha is 0/0 when every value is the same)
    from nltk.metrics.agreement import AnnotationTask

    data = [(coder, str(item), value) for item, pair in enumerate(pairs) for coder, value in zip(("1", "2"), pair)]
    return float(AnnotationTask(data=data, distance=distance).alpha())


def agreement(schema: LabelSchema, first: list[dict], second: list[dict]) -> dict:
    """Agreement of two independent annotation passes over the same unit ids."""
    by_id = {r["id"]: r for r in second}
    pairs = [(r, by_id[r["id"]]) for r in first if r["id"] in by_id]
    stance_kappa = cohen_kappa([a["stance"] for a, _ in pairs], [b["stance"] for _, b in pairs])
    per_frame = {f: cohen_kappa([f in a["frames"] for a, _ in pairs], [f in b["frames"] for _, b in pairs])
                 for f in schema.frame_names}
    alpha = krippendorff_alpha([(frozenset(a["frames"]), frozenset(b["frames"])) for a, b in pairs], masi_distance)
    return {"units": len(pairs),
            "stance_agreement": float(np.mean([a["stance"] == b["stance"] for a, b in pairs])) if pairs else None,
            "stance_cohen_kappa": stance_kappa, "frames_per_label_kappa": per_frame,
            "frames_krippendorff_alpha_masi": alpha,
            "stance_disagreements": sum(a["stance"] != b["stance"] for a, b in pairs),
            "frame_set_disagreements": sum(set(a["frames"]) != set(b["frames"]) for a, b in pairs)}


def near_duplicates(rows: list[dict], threshold: float = NEAR_DUPLICATE_JACCARD) -> list[tuple[int, int, float]]:
    """Pairs of units whose character 5-gram sets have Jaccard similarity ≥ threshold."""
    from sklearn.feature_extraction.text import HashingVectorizer

    texts = [re.sub(r"\s+", " ", r["text"].lower()).strip() for r in rows]
    vectorizer = HashingVectorizer(analyzer="char", ngram_range=(5, 5), n_features=2**22, binary=True,
                                   norm=None, alternate_sign=False)
    x = vectorizer.transform(texts).astype(np.float32)
    sizes = np.asarray(x.sum(1)).ravel()
    inter = (x @ x.T).tocoo()
    out = []
    for i, j, shared in zip(inter.row, inter.col, inter.data):
        if i < j:
            jaccard = shared / (sizes[i] + sizes[j] - shared)
            if jaccard >= threshold:
                out.append((int(i), int(j), float(jaccard)))
    return out


def distinct_n(texts: list[str], n: int) -> float:
    grams, total = set(), 0
    for text in texts:
        tokens = _TOKEN.findall(text.lower())
        ngrams = list(zip(*(tokens[k:] for k in range(n))))
        grams.update(ngrams)
        total += len(ngrams)
    return len(grams) / total if total else 0.0


def corpus_stats(schema_path: str | Path, files: dict[str, Path], agreement_dir: Path) -> dict:
    schema = LabelSchema.load(schema_path)
    splits, _ = load_splits(files, schema)
    rows = [r for split_rows in splits.values() for r in split_rows]
    counts = label_counts(rows, schema)
    n = max(counts["units"], 1)
    checks = {"units": (counts["units"], TARGETS["units"]), "documents": (counts["documents"], TARGETS["documents"])}
    checks |= {f"stance:{k}": (v, TARGETS["per_stance"]) for k, v in counts["stance"].items()}
    checks |= {f"frame:{k}": (v, TARGETS["per_frame"]) for k, v in counts["frames"].items()}
    checks |= {"comment share": (round(counts["kinds"]["comment"] / n, 3), TARGETS["comment_share"]),
               "headline share": (round(counts["kinds"]["headline"] / n, 3), TARGETS["headline_share"]),
               "hard share": (round(counts["hard"] / n, 3), TARGETS["hard_share"])}
    split_of = [name for name, split_rows in splits.items() for _ in split_rows]
    dupes = near_duplicates(rows)
    cross = [(i, j, s) for i, j, s in dupes if split_of[i] != split_of[j]]
    words = {kind: [len(r["text"].split()) for r in rows if r["kind"] == kind] for kind in counts["kinds"]}
    paragraphs = words.get("paragraph", [])
    stats = {
        "counts": counts,
        "targets": {k: {"value": v, "minimum": m, "met": v >= m} for k, (v, m) in checks.items()},
        "splits": {name: len(split_rows) for name, split_rows in splits.items()},
        "near_duplicates": {"threshold": NEAR_DUPLICATE_JACCARD, "pairs": len(dupes), "cross_split_pairs": len(cross),
                            "examples": [[rows[i]["id"], rows[j]["id"], round(s, 3)] for i, j, s in dupes[:10]]},
        "diversity": {f"distinct_{k}": distinct_n([r["text"] for r in rows], k) for k in (1, 2, 3)},
        "lengths": {kind: {"median_words": float(np.median(w)) if w else 0.0, "units": len(w)} for kind, w in words.items()},
        "paragraph_share_30_120_words": float(np.mean([30 <= w <= 120 for w in paragraphs])) if paragraphs else 0.0,
    }
    versions = Counter(str(r.get("corpus", "v1")) for r in rows)
    stats["versions"] = {v: {"units": n, "documents": len({r["doc_id"] for r in rows if str(r.get("corpus", "v1")) == v})}
                         for v, n in sorted(versions.items())}
    rounds = agreement_rounds(schema, agreement_dir)
    if rounds:
        stats["agreement_rounds"] = rounds
        stats["agreement"] = rounds.get(".", next(iter(rounds.values())))
    return stats


def agreement_rounds(schema: LabelSchema, agreement_dir: Path) -> dict:
    """Agreement of every double-annotation round: the folder itself ('.') and each subfolder (e.g. 'v2') that
    holds ``pass1.jsonl`` (the writer's labels) and ``pass2.jsonl`` (the blind second pass). The two passes must
    label the same units: an id in one and not the other is an error naming ``pass2.jsonl``."""
    from stanceframe.double_annotation import check_same_units

    rounds = {}
    for folder in [agreement_dir, *sorted(p for p in agreement_dir.glob("*") if p.is_dir())]:
        first, second = folder / "pass1.jsonl", folder / "pass2.jsonl"
        if first.exists() and second.exists():
            a, _ = load_annotated(first, schema)
            b, _ = load_annotated(second, schema)
            check_same_units(a, {u["id"]: u for u in b}, second)
            rounds[folder.relative_to(agreement_dir).as_posix()] = agreement(schema, a, b)
    return rounds


def print_stats(stats: dict) -> None:
    print("targets:")
    for name, t in stats["targets"].items():
        print(f"  {'ok ' if t['met'] else 'LOW'} {name:34} {t['value']:>8}  (minimum {t['minimum']})")
    nd = stats["near_duplicates"]
    print(f"near-duplicates (char 5-gram Jaccard >= {nd['threshold']}): {nd['pairs']} pairs, "
          f"{nd['cross_split_pairs']} across splits")
    for a, b, s in nd["examples"]:
        print(f"  {a} ~ {b}  {s}")
    d = stats["diversity"]
    print(f"diversity: distinct-1 {d['distinct_1']:.3f}, distinct-2 {d['distinct_2']:.3f}, distinct-3 {d['distinct_3']:.3f}")
    lengths = ", ".join(f"{k} {v['median_words']:.0f}" for k, v in stats["lengths"].items())
    print(f"median words per unit: {lengths}; paragraphs of 30-120 words: {stats['paragraph_share_30_120_words']:.0%}")
    if len(stats.get("versions", {})) > 1:
        print("corpus versions: " + ", ".join(f"{v} {c['units']} units in {c['documents']} documents"
                                             for v, c in stats["versions"].items()))
    for name, ag in stats.get("agreement_rounds", {}).items():
        where = "" if name == "." else f" (round {name})"
        print(f"agreement{where} over {ag['units']} double-annotated units: stance {ag['stance_agreement']:.3f} raw, "
              f"Cohen's kappa {ag['stance_cohen_kappa']:.3f}; frames Krippendorff's alpha (MASI) "
              f"{ag['frames_krippendorff_alpha_masi']:.3f}")
        print("  per-frame kappa: " + ", ".join(f"{k} {v:.2f}" for k, v in ag["frames_per_label_kappa"].items()))
        print(f"  disagreements adjudicated: {ag['stance_disagreements']} stance, {ag['frame_set_disagreements']} frame sets")
    if not stats.get("agreement_rounds"):
        print("agreement: no double annotation found (labels/agreement/pass1.jsonl and pass2.jsonl)")
