"""The committed default corpus: valid, split by document, big and varied enough, double-annotated."""

from __future__ import annotations

import pytest
from conftest import REPO

from stanceframe.corpus_stats import corpus_stats
from stanceframe.data import load_annotated, load_splits

DATA = REPO / "labels" / "data"
SPLITS = {name: DATA / f"{name}.jsonl" for name in ("train", "dev", "test")}


@pytest.fixture(scope="module")
def stats():
    return corpus_stats(REPO / "labels/schema.yaml", SPLITS, REPO / "labels/agreement")


def test_corpus_validates_and_splits_by_document(schema):
    splits, errors = load_splits(SPLITS, schema, strict=False)
    assert errors == []
    total = sum(len(rows) for rows in splits.values())
    shares = {name: len(rows) / total for name, rows in splits.items()}
    assert 0.65 <= shares["train"] <= 0.75 and 0.12 <= shares["dev"] <= 0.18 and 0.12 <= shares["test"] <= 0.18
    for rows in splits.values():
        assert {r["stance"] for r in rows} == set(schema.stance_names)
        assert {f for r in rows for f in r["frames"]} == set(schema.frame_names)


def test_corpus_meets_every_target(stats):
    low = {name: t for name, t in stats["targets"].items() if not t["met"]}
    assert low == {}


def test_no_near_duplicates_across_splits(stats):
    assert stats["near_duplicates"]["cross_split_pairs"] == 0


def test_units_have_real_lengths(stats):
    assert stats["paragraph_share_30_120_words"] >= 0.75
    assert stats["lengths"]["paragraph"]["median_words"] >= 30


def test_double_annotation_covers_400_units_and_was_adjudicated(stats, schema):
    agreement = stats["agreement"]
    assert agreement["units"] >= 400
    adjudicated, _ = load_annotated(REPO / "labels/agreement/adjudicated.jsonl", schema)
    corpus = {r["id"]: r for split in load_splits(SPLITS, schema)[0].values() for r in split}
    first = {r["id"]: r for r in load_annotated(REPO / "labels/agreement/pass1.jsonl", schema)[0]}
    second = {r["id"]: r for r in load_annotated(REPO / "labels/agreement/pass2.jsonl", schema)[0]}
    # the project's kappa against scikit-learn's on the same pairs of passes
    from sklearn.metrics import cohen_kappa_score

    both = [i for i in first if i in second]
    assert agreement["stance_cohen_kappa"] == pytest.approx(
        cohen_kappa_score([first[i]["stance"] for i in both], [second[i]["stance"] for i in both]))
    assert set(first) == set(second)
    disagreements = {i for i in first if first[i]["stance"] != second[i]["stance"]
                     or set(first[i]["frames"]) != set(second[i]["frames"])}
    assert {r["id"] for r in adjudicated} == disagreements
    for row in adjudicated:  # the adjudicated label is the one in the corpus
        assert corpus[row["id"]]["stance"] == row["stance"]
        assert set(corpus[row["id"]]["frames"]) == set(row["frames"])
