"""Agreement statistics and the near-duplicate check, against hand-computed values."""

from __future__ import annotations

import math

import pytest

from stanceframe.corpus_stats import cohen_kappa, distinct_n, krippendorff_alpha, masi_distance, near_duplicates


def test_cohen_kappa_by_hand():
    a = ["x", "x", "y", "y", "x", "y"]
    b = ["x", "y", "y", "y", "x", "x"]
    # observed 4/6; expected: x .5*.5 + y .5*.5 = .5 → kappa (2/3 - 1/2) / (1/2) = 1/3
    assert cohen_kappa(a, b) == pytest.approx(1 / 3)
    assert cohen_kappa(a, a) == 1.0


def test_masi_distance():
    assert masi_distance(frozenset(), frozenset()) == 0.0
    assert masi_distance(frozenset("ab"), frozenset("a")) == pytest.approx(1 - 0.5 * 2 / 3)
    assert masi_distance(frozenset("ab"), frozenset("bc")) == pytest.approx(1 - (1 / 3) * (1 / 3))
    assert masi_distance(frozenset("a"), frozenset("b")) == 1.0


def test_krippendorff_alpha_nominal_by_hand():
    # two coders, nominal: units (a,a) (a,b) (b,b) (b,b); values a:3 b:5, N=8
    pairs = [("a", "a"), ("a", "b"), ("b", "b"), ("b", "b")]
    nominal = lambda x, y: float(x != y)  # noqa: E731
    observed = 1 / 4
    expected = (3 * 5 + 5 * 3) / (8 * 7)
    assert krippendorff_alpha(pairs, nominal) == pytest.approx(1 - observed / expected)
    assert krippendorff_alpha([("a", "a"), ("b", "b")], nominal) == 1.0
    assert math.isnan(krippendorff_alpha([], nominal))


def test_near_duplicates_flags_light_edits_only():
    base = "Japan and the United States agreed on Thursday to upgrade the command of US forces in Japan."
    rows = [{"text": base}, {"text": base.replace("Thursday", "Friday")},
            {"text": "Okinawa's governor vowed to keep fighting the Henoko landfill in court and at the ballot box."}]
    pairs = near_duplicates(rows)
    assert [(i, j) for i, j, _ in pairs] == [(0, 1)]
    assert pairs[0][2] >= 0.6


def test_distinct_n():
    assert distinct_n(["a b a b"], 1) == 0.5
    assert distinct_n(["a b a b"], 2) == pytest.approx(2 / 3)


def test_agreement_rounds_and_corpus_versions(tmp_path, tiny_data, schema):
    from conftest import SCHEMA_PATH, make_rows, write_jsonl

    from stanceframe.corpus_stats import corpus_stats

    first = make_rows("train-")
    second = [dict(r) for r in first]
    second[0] = {**second[0], "stance": "critical" if second[0]["stance"] != "critical" else "neutral"}
    write_jsonl(tmp_path / "agreement" / "pass1.jsonl", first)
    write_jsonl(tmp_path / "agreement" / "pass2.jsonl", first)  # round '.': full agreement
    write_jsonl(tmp_path / "agreement" / "v2" / "pass1.jsonl", first)
    write_jsonl(tmp_path / "agreement" / "v2" / "pass2.jsonl", second)  # round 'v2': one stance differs
    train = [dict(r, corpus="v2") if i < 3 else r for i, r in enumerate(make_rows("train-"))]
    files = {"train": write_jsonl(tmp_path / "train.jsonl", train), "dev": tiny_data["dev"], "test": tiny_data["test"]}
    stats = corpus_stats(SCHEMA_PATH, files, tmp_path / "agreement")
    assert set(stats["agreement_rounds"]) == {".", "v2"}
    assert stats["agreement"] == stats["agreement_rounds"]["."]
    assert stats["agreement_rounds"]["."]["stance_agreement"] == 1.0
    assert stats["agreement_rounds"]["v2"]["stance_disagreements"] == 1
    assert stats["agreement_rounds"]["v2"]["stance_agreement"] == pytest.approx(1 - 1 / len(first))
    total = sum(stats["splits"].values())
    assert stats["versions"]["v2"]["units"] == 3 and stats["versions"]["v1"]["units"] == total - 3
    # a second pass over other units is an error naming it, not a kappa over whatever ids happen to overlap
    from stanceframe.errors import LabelFileError

    write_jsonl(tmp_path / "agreement" / "v2" / "pass2.jsonl", make_rows("other-"))
    with pytest.raises(LabelFileError, match=r"v2/pass2\.jsonl: \d+ unit\(s\) of the first pass have no second label"):
        corpus_stats(SCHEMA_PATH, files, tmp_path / "agreement")
