"""The report's "Corrected shares" section: raw and corrected shares with 95% intervals, overall and by group."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from stanceframe.shares import CorpusShares, group_shares  # noqa: E402

SECTION = "Corrected shares"
CSV_NAME = "shares.csv"
COLUMNS = ["grouping", "group", "n", "labels", "label", "raw", "corrected", "low", "high"]


def plot_shares(records: list[dict], labels: list[str], groups: list[str], colours: dict, title: str,
                path: Path) -> Path:
    """Corrected stance shares per group with their intervals as error bars, raw shares as open markers."""
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(groups) * len(labels) / 2 + 2.5))
    height = 0.8 / len(labels)
    by = {(r["group"], r["label"]): r for r in records}
    for i, label in enumerate(labels):
        y = np.arange(len(groups)) + i * height
        corrected = np.array([by[(g, label)]["corrected"] for g in groups])
        low = np.array([by[(g, label)]["low"] for g in groups])
        high = np.array([by[(g, label)]["high"] for g in groups])
        ax.barh(y, corrected, height, color=colours.get(label, "#888888"), label=label,
                xerr=[np.clip(corrected - low, 0, None), np.clip(high - corrected, 0, None)], capsize=2)
        ax.plot([by[(g, label)]["raw"] for g in groups], y, "k|", markersize=9)
    ax.set_yticks(np.arange(len(groups)) + 0.4 - height / 2, groups)
    ax.invert_yaxis()
    ax.set_xlabel("share of units (bar: corrected, whiskers: 95% interval, |: raw count share)")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=len(labels))
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def shares_section(rows: list[dict], shares: CorpusShares, out: Path, figure, table, note, colours: dict) -> None:
    """Figures, the overall table and shares.csv (every grouping) for the report."""
    has_source = any(r.get("source") for r in rows)
    from stanceframe.inference.report import _period

    groupings = {"all units": (lambda r: "all units", True),
                 "kind": (lambda r: "comment" if r["kind"] == "comment" else "article text", True),
                 # frames (one correction each) only overall and by kind: per source, date and document they would
                 # cost ten times as long, and those groups are small
                 "source": ((lambda r: str(r.get("source") or "(none)")) if has_source else (lambda r: None), False),
                 "date": (lambda r: _period(r.get("date")), False),
                 "document": (lambda r: r["doc_id"], False)}
    try:
        records = group_shares(shares, rows, groupings)
    except ValueError as exc:
        note(SECTION, f"Not computed: {exc}")
        return
    table(SECTION, COLUMNS, [[r[c] for c in COLUMNS] for r in records if r["grouping"] == "all units"], None)
    from stanceframe.inference.report import write_csv

    write_csv(out / CSV_NAME, COLUMNS, [[r[c] for c in COLUMNS] for r in records])
    for grouping in ("all units", "kind", "source", "date"):
        chosen = [r for r in records if r["grouping"] == grouping and r["labels"] == "stance"]
        if chosen:
            groups = list(dict.fromkeys(r["group"] for r in chosen))
            path = plot_shares(chosen, shares.stance_labels, groups, colours, f"Corrected stance shares by {grouping}",
                               out / f"shares_{grouping.replace(' ', '_')}.png")
            figure(SECTION, path, f"Corrected stance shares ({grouping}) with 95% intervals")
    note(SECTION, f"Corrected with {shares.method} (quapy) on {shares.gold} ({shares.stance.gold_n} gold units); the "
         "intervals resample the gold units and the corpus units. Every grouping (stance and frames overall and by "
         f"kind; stance by source, date and document of at least 10 units): {CSV_NAME}. With your own gold units (--gold) the correction follows "
         "your material.")
