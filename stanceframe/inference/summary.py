"""`stanceframe summary`: stance × unit kind and frame counts of a predictions file, as a console table."""

from __future__ import annotations

from collections import Counter


def summary_table(rows: list[dict]) -> str:
    """The table `stanceframe summary` prints: units per stance and kind with shares, then units per frame."""
    kinds = sorted({r["kind"] for r in rows})
    stances = list(rows[0]["stance_scores"]) if rows else []
    frames = list(rows[0]["frame_scores"]) if rows else []
    by = Counter((r["stance"], r["kind"]) for r in rows)
    width = max([len(s) for s in stances + frames] + [10]) + 2
    n = max(len(rows), 1)
    lines = [f"{len(rows)} units in {len({r['doc_id'] for r in rows})} documents",
             "stance".ljust(width) + "".join(k.rjust(11) for k in kinds) + "all".rjust(8) + "share".rjust(8)]
    for stance in stances:
        total = sum(by[(stance, k)] for k in kinds)
        lines.append(stance.ljust(width) + "".join(str(by[(stance, k)]).rjust(11) for k in kinds)
                     + str(total).rjust(8) + f"{total / n:8.0%}")
    frame_counts = Counter(f for r in rows for f in r["frames"])
    lines.append("frame".ljust(width) + "units".rjust(11) + "share".rjust(8))
    lines += [frame.ljust(width) + str(frame_counts[frame]).rjust(11) + f"{frame_counts[frame] / n:8.0%}"
              for frame in frames]
    return "\n".join(lines)


def shares_table(figures: dict) -> str:
    """Raw and corrected shares with their 95% intervals, as `stanceframe summary` prints them."""
    lines = [f"{figures['n']} units; corrected shares: {figures['method']}; gold: {figures['gold']} "
             f"({figures['gold_n']} units)"]
    for group in ("stance", "frames"):
        values = figures.get(group) or {}
        width = max([len(k) for k in values] + [10]) + 2
        lines.append(group.rstrip("s").ljust(width) + "raw".rjust(8) + "corrected".rjust(11) + "95% interval".rjust(16))
        lines += [label.ljust(width) + f"{v['raw']:8.1%}" + (f"{v['corrected']:11.1%}"
                  + f"{v['low']:9.1%}–{v['high']:.1%}".rjust(16) if v["corrected"] is not None
                  else "  (not in the gold set: not corrected)") for label, v in values.items()]
    return "\n".join(lines)
