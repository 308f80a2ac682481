"""Counts of a model's sorted stance errors on a real gold set, by type, kind and `hard`.

    python benchmarks/error_types.py labels/error_analysis/realdev2_default_v2.jsonl \
        --gold ../shared/realdev2/gold.jsonl

The types file holds one line per stance error: {"id", "type", "rule"} (no text: the gold units stay in
../shared). With the gold file the table also splits each type by the unit's kind and `hard` flag; without
it (no ../shared beside the clone) only the counts by type and codebook rule are printed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path


def error_table(types: list[dict], gold: dict[str, dict] | None = None) -> list[dict]:
    """One row per error type, most frequent first: count, share of errors, deciding rules, and by kind/hard."""
    by_type = Counter(t["type"] for t in types)
    rows = []
    for name, count in by_type.most_common():
        mine = [t for t in types if t["type"] == name]
        row = {"type": name, "count": count, "share": count / len(types),
               "rules": dict(Counter(int(t["rule"]) for t in mine).most_common())}
        if gold is not None:
            units = [gold[t["id"]] for t in mine if t["id"] in gold]
            row["kinds"] = dict(Counter(u["kind"] for u in units))
            row["hard"] = sum(bool(u.get("hard")) for u in units)
        rows.append(row)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("types", help="sorted errors: JSON Lines of id, type, rule")
    parser.add_argument("--gold", default="../shared/realdev2/gold.jsonl", help="the gold file the errors come from")
    args = parser.parse_args(argv)
    types = [json.loads(line) for line in Path(args.types).read_text(encoding="utf-8").splitlines() if line.strip()]
    gold = None
    if Path(args.gold).is_file():
        lines = Path(args.gold).read_text(encoding="utf-8").splitlines()
        gold = {g["id"]: g for g in map(json.loads, filter(str.strip, lines))}
    else:
        print(f"({args.gold} not found: counts by type only)")
    print(f"{len(types)} stance errors")
    print("| type | errors | share | deciding rule(s) |" + (" paragraph / headline / comment | hard |" if gold else ""))
    print("|---|---|---|---|" + ("---|---|" if gold else ""))
    for row in error_table(types, gold):
        rules = ", ".join(f"{r} ({n})" if r else f"none ({n})" for r, n in row["rules"].items())
        line = f"| {row['type']} | {row['count']} | {row['share']:.0%} | {rules} |"
        if gold:
            k = row["kinds"]
            line += f" {k.get('paragraph', 0)} / {k.get('headline', 0)} / {k.get('comment', 0)} | {row['hard']} |"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
