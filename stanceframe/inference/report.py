"""`stanceframe report`: what a researcher looks at after a batch run, as one self-contained HTML page.

Figures are written as PNG files and embedded in the page (base64), tables as CSV; the page needs no
network to view. Colours follow the label order of the model's schema, the same in every chart.
"""

from __future__ import annotations

import base64
import csv
import html
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from stanceframe.errors import StanceframeError  # noqa: E402
from stanceframe.inference.classify import default_errors_path  # noqa: E402
from stanceframe.inference.outputs import read_predictions  # noqa: E402
from stanceframe.modeling import SCHEMA_NAME, TRAINING_ARGS_NAME, read_model_json  # noqa: E402

PAGE = "report.html"
REVIEW_QUEUE = "review_queue.csv"
SECTIONS = ("Run facts", "Stance overall", "Corrected shares", "Stance by document", "Stance by source", "Stance over time",
            "Frames overall and by stance", "Frames that travel together", "Comments versus article text",
            "Most confident units", "Least confident units")
PALETTE = ["#1f77b4", "#d62728", "#ff7f0e", "#7f7f7f", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#bcbd22",
           "#17becf"]


def label_colours(labels: list[str]) -> dict[str, str]:
    return {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(labels)}


def confidence(row: dict) -> float:
    return max(row["stance_scores"].values()) if row.get("stance_scores") else 0.0


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def stacked_share(groups: dict[str, Counter], stances: list[str], title: str, xlabel: str, path: Path,
                  colours: dict[str, str], horizontal: bool = True) -> Path:
    names = list(groups)
    totals = np.array([max(sum(groups[g].values()), 1) for g in names], dtype=float)
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.35 * len(names) + 1.5)) if horizontal else (9, 4.5))
    left = np.zeros(len(names))
    for stance in stances:
        share = np.array([groups[g][stance] for g in names]) / totals
        if horizontal:
            ax.barh(names, share, left=left, color=colours[stance], label=stance)
        else:
            ax.bar(names, share, bottom=left, color=colours[stance], label=stance)
        left += share
    if horizontal:
        ax.set_xlabel("share of units")
        ax.set_ylabel(xlabel)
        ax.set_xlim(0, 1)
        ax.invert_yaxis()
    else:
        ax.set_ylabel("share of units")
        ax.set_xlabel(xlabel)
        ax.set_ylim(0, 1)
        ax.tick_params(axis="x", rotation=45)
    ax.set_title(title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18 if horizontal else -0.3), ncol=len(stances), fontsize=8)
    return _save(fig, path)


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _period(date: str) -> str | None:
    date = str(date or "").strip()
    return date[:7] if len(date) >= 7 and date[:4].isdigit() else (date[:4] if date[:4].isdigit() else None)


def build_report(rows: list[dict], out_dir: str | Path, facts: dict | None = None, top: int = 5,
                 review_size: int = 200, shares=None) -> Path:
    """Write the page, its PNG figures and CSV tables into ``out_dir``; return the page's path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stances = list(rows[0]["stance_scores"]) if rows else []
    frames = list(rows[0]["frame_scores"]) if rows else []
    colours = label_colours(stances)
    sections: dict[str, list[str]] = {name: [] for name in SECTIONS}

    def figure(section: str, path: Path, alt: str) -> None:
        data = base64.b64encode(path.read_bytes()).decode()
        sections[section].append(f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
                                 f'<figcaption>{html.escape(alt)} ({path.name})</figcaption></figure>')

    def table(section: str, header: list[str], body: list[list], csv_name: str | None = None) -> None:
        if csv_name:
            write_csv(out / csv_name, header, body)
        head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
        cells = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in body)
        link = f' <a href="{csv_name}">{csv_name}</a>' if csv_name else ""
        sections[section].append(f"<table><tr>{head}</tr>{cells}</table><p class=note>{link}</p>")

    def note(section: str, text: str) -> None:
        sections[section].append(f"<p class=note>{html.escape(text)}</p>")

    n = len(rows)
    # run facts
    facts = dict(facts or {})
    facts.setdefault("units classified", n)
    facts.setdefault("documents", len({r["doc_id"] for r in rows}))
    facts.setdefault("stance labels", ", ".join(stances))
    facts.setdefault("frame labels", ", ".join(frames))
    flagged = Counter(w for r in rows for w in (r.get("warnings") or []))
    facts.setdefault("unit warnings", ", ".join(f"{k}: {v}" for k, v in flagged.most_common()) or "none")
    table("Run facts", ["fact", "value"], [[k, v] for k, v in facts.items()], "run_facts.csv")

    # stance overall
    overall = Counter(r["stance"] for r in rows)
    figure("Stance overall", stacked_share({"all units": overall}, stances, "Stance share, all units", "",
                                           out / "stance_overall.png", colours), "Stance share of all units")
    table("Stance overall", ["stance", "units", "share"],
          [[s, overall[s], f"{overall[s] / max(n, 1):.1%}"] for s in stances], "stance_overall.csv")

    if shares is not None:
        from stanceframe.inference.shares_report import shares_section

        shares_section(rows, shares, out, figure, table, note, colours)
    else:
        note("Corrected shares", "Not computed: give the model (--model) to correct the raw shares for the "
             "classifier's errors, with intervals.")

    # per document
    by_doc: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        by_doc[r["doc_id"]][r["stance"]] += 1
    biggest = sorted(by_doc, key=lambda d: -sum(by_doc[d].values()))[:30]
    figure("Stance by document", stacked_share({d: by_doc[d] for d in biggest}, stances,
                                               f"Stance share in the {len(biggest)} largest documents", "document",
                                               out / "stance_by_document.png", colours), "Stance share by document")
    write_csv(out / "stance_by_document.csv", ["doc_id", "units", *stances],
              [[d, sum(c.values()), *[c[s] for s in stances]] for d, c in by_doc.items()])
    note("Stance by document", f"All {len(by_doc)} documents: stance_by_document.csv")

    def stance_by(section: str, key, column: str, horizontal: bool = True) -> None:
        """Stance shares grouped by ``key(row)`` (rows where it is None are left out) as figure and table."""
        groups: dict[str, Counter] = defaultdict(Counter)
        for r in rows:
            value = key(r)
            if value is not None:
                groups[value][r["stance"]] += 1
        if not groups:
            note(section, f"No '{column}' column in the predictions.")
            return
        groups = dict(sorted(groups.items()))
        stem = section.lower().replace(" ", "_")
        figure(section, stacked_share(groups, stances, f"Stance share by {column}", column, out / f"{stem}.png",
                                      colours, horizontal=horizontal), f"Stance share by {column}")
        table(section, [column, "units", *stances],
              [[k, sum(c.values()), *[c[s] for s in stances]] for k, c in groups.items()], f"{stem}.csv")

    has_source = any(r.get("source") for r in rows)
    stance_by("Stance by source", lambda r: str(r.get("source") or "(none)") if has_source else None, "source")
    stance_by("Stance over time", lambda r: _period(r.get("date")), "date", horizontal=False)

    # frames overall and by stance
    prevalence = np.array([[sum(1 for r in rows if r["stance"] == s and f in r["frames"]) /
                            max(sum(1 for r in rows if r["stance"] == s), 1) for f in frames] for s in stances])
    overall_frames = [sum(1 for r in rows if f in r["frames"]) / max(n, 1) for f in frames]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(frames) + 2))
    height = 0.8 / (len(stances) + 1)
    y = np.arange(len(frames))
    ax.barh(y, overall_frames, height, color="#444444", label="all units")
    for i, stance in enumerate(stances):
        ax.barh(y + (i + 1) * height, prevalence[i], height, color=colours[stance], label=stance)
    ax.set_yticks(y + 0.4 - height / 2, frames)
    ax.invert_yaxis()
    ax.set_xlabel("share of units carrying the frame")
    ax.set_title("Frame prevalence, overall and by stance")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=len(stances) + 1)
    figure("Frames overall and by stance", _save(fig, out / "frames_by_stance.png"), "Frame prevalence by stance")
    table("Frames overall and by stance", ["frame", "all", *stances],
          [[f, f"{overall_frames[j]:.1%}", *[f"{prevalence[i, j]:.1%}" for i in range(len(stances))]]
           for j, f in enumerate(frames)], "frames_by_stance.csv")

    # co-occurrence
    matrix = np.zeros((len(frames), len(frames)), dtype=int)
    index = {f: j for j, f in enumerate(frames)}
    for r in rows:
        js = [index[f] for f in r["frames"] if f in index]
        for a in js:
            for b in js:
                matrix[a, b] += 1
    fig, ax = plt.subplots(figsize=(8.5, 7.5))
    shown = ax.imshow(matrix, cmap="viridis")
    ax.set_xticks(range(len(frames)), frames, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(frames)), frames, fontsize=8)
    ax.set_title("Frame co-occurrence (units carrying both)")
    fig.colorbar(shown, ax=ax, label="units")
    figure("Frames that travel together", _save(fig, out / "frame_cooccurrence.png"), "Frame co-occurrence heatmap")
    write_csv(out / "frame_cooccurrence.csv", ["frame", *frames], [[f, *matrix[j].tolist()] for j, f in enumerate(frames)])
    note("Frames that travel together", "Diagonal: units carrying the frame. Table: frame_cooccurrence.csv")

    # comments vs article text
    kinds = {"comment": [r for r in rows if r["kind"] == "comment"],
             "article text": [r for r in rows if r["kind"] != "comment"]}
    figure("Comments versus article text",
           stacked_share({k: Counter(r["stance"] for r in v) for k, v in kinds.items()}, stances,
                         "Stance share: reader comments versus headlines and paragraphs", "",
                         out / "comments_vs_articles.png", colours), "Stance share, comments versus article text")
    table("Comments versus article text", ["", *kinds],
          [["units", *[len(v) for v in kinds.values()]]]
          + [[f"stance: {s}", *[f"{sum(r['stance'] == s for r in v) / max(len(v), 1):.1%}" for v in kinds.values()]]
             for s in stances]
          + [[f"frame: {f}", *[f"{sum(f in r['frames'] for r in v) / max(len(v), 1):.1%}" for v in kinds.values()]]
             for f in frames], "comments_vs_articles.csv")

    # confident examples and review queue
    body = []
    for stance in stances:
        best = sorted((r for r in rows if r["stance"] == stance), key=confidence, reverse=True)[:top]
        body += [[stance, f"{confidence(r):.3f}", r["id"], r["text"][:300]] for r in best]
    table("Most confident units", ["stance", "confidence", "id", "text"], body, "most_confident.csv")
    # units whose conformal stance set holds several labels (classify --coverage) first, then the least confident
    queue = sorted(rows, key=lambda r: (not r.get("ambiguous", False), confidence(r)))[:review_size]
    write_csv(out / REVIEW_QUEUE, ["id", "doc_id", "kind", "author", "text", "predicted_stance", "confidence",
                                   "predicted_frames", "stance", "frames"],
              [[r["id"], r["doc_id"], r["kind"], r.get("author") or "", r["text"], r["stance"], f"{confidence(r):.3f}",
                json.dumps(r["frames"]), "", ""] for r in queue])
    table("Least confident units", ["confidence", "predicted", "id", "text"],
          [[f"{confidence(r):.3f}", r["stance"], r["id"], r["text"][:300]] for r in queue[:top * 4]])
    note("Least confident units", f"The {len(queue)} least confident units are in {REVIEW_QUEUE}: fill in the "
         "'stance' and 'frames' columns (frames as a JSON list) and convert to labels/ with "
         "'stanceframe labels from-review'.")

    legend = "".join(f'<span class=key style="background:{c}"></span>{html.escape(s)} ' for s, c in colours.items())
    nav = "".join(f'<li><a href="#s{i}">{html.escape(name)}</a></li>' for i, name in enumerate(SECTIONS))
    content = "".join(f'<section id="s{i}"><h2>{html.escape(name)}</h2>{"".join(parts)}</section>'
                      for i, (name, parts) in enumerate(sections.items()))
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>stanceframe report</title>
<style>body{{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;margin:.5em 0;font-size:13px}}td,th{{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}}
img{{max-width:100%}}.note{{color:#555;font-size:13px}}.key{{display:inline-block;width:12px;height:12px;margin:0 4px 0 10px}}</style>
</head><body><h1>stanceframe report</h1><p>{n} units. Stance colours: {legend}</p><ul>{nav}</ul>{content}</body></html>
"""
    path = out / PAGE
    path.write_text(page, encoding="utf-8")
    return path


def run_facts(predictions: str | Path, model: str | Path | None = None, errors: str | Path | None = None) -> dict:
    """The report's run facts: the predictions file, the model's encoder and schema, and skipped inputs by reason
    (from the run's errors file, by default the one beside the predictions)."""
    facts = {"predictions": str(predictions)}
    if model:
        settings = read_model_json(model, TRAINING_ARGS_NAME)
        schema = read_model_json(model, SCHEMA_NAME)
        facts |= {"model": str(model), "base encoder": settings.get("base_model", "?"),
                  "label schema": f"{schema.get('name', '?')} v{schema.get('version', '?')}"}
    errors_path = Path(errors) if errors else default_errors_path(predictions)
    skipped = []
    if errors_path.exists():
        with open(errors_path, encoding="utf-8") as handle:
            skipped = [json.loads(line) for line in handle if line.strip()]
    reasons = Counter(e["error"].split(" (")[0] for e in skipped)
    facts["skipped inputs"] = ", ".join(f"{k}: {v}" for k, v in reasons.most_common()) or "none"
    return facts


def report_predictions(predictions: str | Path, out_dir: str | Path, model: str | Path | None = None,
                       errors: str | Path | None = None, gold: str | Path | None = None, gold_only: bool = False,
                       method: str = "kdey", precision: str = "fp32") -> Path:
    """`stanceframe report`: the HTML report of a predictions file (with its run facts); returns the page.
    With ``model``, shares are corrected on its test split (pooled with ``gold`` when given; see stanceframe.shares)."""
    rows = read_predictions(predictions)
    if not rows:
        raise StanceframeError(f"{predictions}: no predictions to report on")
    shares = None
    if model:
        from stanceframe.classifier import Classifier
        from stanceframe.shares import corpus_shares_for

        try:
            shares = corpus_shares_for(Classifier(model, precision=precision), gold, not gold_only, method)
        except (ValueError, StanceframeError) as exc:  # no test split recorded, a stance missing from the gold ...
            print(f"corrected shares not computed: {exc}", file=sys.stderr)
    return build_report(rows, out_dir, facts=run_facts(predictions, model, errors), shares=shares)
