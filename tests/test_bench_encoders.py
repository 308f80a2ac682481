"""benchmarks/encoders.py: skips cleanly without the real gold file; adapt folds split documents."""

from __future__ import annotations

import pytest
from conftest import load_benchmark


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("encoders")


def test_bench_encoders_skips_cleanly_without_the_real_gold_file(bench, tiny_model, tmp_path, capsys):
    assert bench.main(["--default", str(tiny_model), "--gold", str(tmp_path / "absent.jsonl"),
                       "--out", str(tmp_path / "out")]) == 0
    assert "skipped" in capsys.readouterr().out
    assert not (tmp_path / "out").exists()


def test_bench_encoders_folds_split_documents_not_units(bench):
    gold = [{"doc_id": d, "id": f"{d}-{i}"} for d in ("p1", "p2", "p3") for i in range(3)]
    first, second = bench.document_folds(gold)
    assert first | second == {"p1", "p2", "p3"} and not first & second


def test_error_table_counts_types_rules_and_kinds():
    module = load_benchmark("error_types")
    types = [{"id": "a", "type": "rule8", "rule": 8}, {"id": "b", "type": "sarcasm", "rule": 0},
             {"id": "c", "type": "rule8", "rule": 8}, {"id": "d", "type": "rule8", "rule": 2}]
    gold = {"a": {"kind": "comment", "hard": True}, "b": {"kind": "comment", "hard": False},
            "c": {"kind": "paragraph", "hard": False}, "d": {"kind": "comment", "hard": True}}
    rows = module.error_table(types, gold)
    assert [r["type"] for r in rows] == ["rule8", "sarcasm"]
    assert rows[0] == {"type": "rule8", "count": 3, "share": 0.75, "rules": {8: 2, 2: 1},
                       "kinds": {"comment": 2, "paragraph": 1}, "hard": 2}
    assert "kinds" not in module.error_table(types)[0]  # without the gold file: counts and rules only
