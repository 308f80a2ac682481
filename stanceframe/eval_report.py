"""``stanceframe evaluate --report DIR``: a Markdown report with a confusion matrix and per-frame F1 chart."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from stanceframe.jsonl import write_jsonl  # noqa: E402
from stanceframe.scoring import FIGURE_NAMES, HEADLINE  # noqa: E402

CONFUSION_PNG = "confusion.png"
FRAME_F1_PNG = "frame_f1.png"
REPORT_MD = "report.md"
PREDICTIONS_JSONL = "predictions.jsonl"


def plot_confusion(matrix, labels: list[str], path: Path) -> None:
    matrix = np.asarray(matrix)
    fig, ax = plt.subplots(figsize=(1.4 * len(labels) + 2, 1.2 * len(labels) + 1.5))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted stance")
    ax.set_ylabel("gold stance")
    for i in range(len(labels)):
        for j in range(len(labels)):
            value = int(matrix[i, j])
            ax.text(j, i, str(value), ha="center", va="center",
                    color="white" if value > matrix.max() / 2 else "black")
    ax.set_title("Stance confusion matrix")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_frame_f1(per_label: dict, path: Path) -> None:
    labels = list(per_label)
    f1 = [per_label[k]["f1"] for k in labels]
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(labels) + 1.5))
    ax.barh(labels, f1, color="#4c72b0")
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_xlabel("F1")
    ax.set_title("Per-frame F1")
    for y, value in enumerate(f1):
        ax.text(min(value + 0.01, 0.93), y, f"{value:.2f}", va="center")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _fmt(value) -> str:
    return "–" if value is None else f"{value:.3f}"


def comparison_lines(compared: dict) -> list[str]:
    """The paired comparison with a second model, as a Markdown section."""
    diff, level = compared["difference"], compared["difference"]["level"]
    lines = ["## Against another model", "",
             f"`{compared['model']}` (run in {compared['precision']}) on the same units. Differences are this model "
             f"minus it, with paired {level:.0%} bootstrap intervals: an interval that spans zero means these units "
             "cannot tell the two apart.", "",
             "| figure | other model | difference | interval |", "|---|---|---|---|"]
    for key in HEADLINE:
        lines.append(f"| {FIGURE_NAMES[key]} | {compared['other'][key]:.3f} | {diff[key]['difference']:+.3f} | "
                     f"{diff[key]['ci'][0]:+.3f} to {diff[key]['ci'][1]:+.3f} |")
    return lines + [""]


def write_report(metrics: dict, out_dir: str | Path, predictions: list[dict] | None = None) -> Path:
    """report.md with its two charts in ``out_dir`` (and the per-unit ``predictions.jsonl`` when given)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stance, frames, ci = metrics["stance"], metrics["frames"], metrics.get("intervals", {})
    plot_confusion(stance["confusion"], stance["labels"], out / CONFUSION_PNG)
    plot_frame_f1(frames["per_label"], out / FRAME_F1_PNG)

    def interval(key):
        return f" ({ci[key][0]:.3f}–{ci[key][1]:.3f})" if key in ci else ""

    lines = [f"# Evaluation of `{metrics.get('model')}`", "",
             f"Gold file: `{metrics.get('data')}`, {metrics['n']} units; model run in {metrics.get('precision', '?')}.",
             "", "| figure | model (95% bootstrap interval) | majority | TF-IDF + logistic regression |",
             "|---|---|---|---|"]
    base = metrics["baselines"]
    values = dict(zip(HEADLINE, (stance["accuracy"], stance["macro_f1"], frames["micro_f1"], frames["macro_f1"])))
    for key in HEADLINE:
        lines.append(f"| {FIGURE_NAMES[key]} | {values[key]:.3f}{interval(key)} | {_fmt(base['majority'].get(key))} | "
                     f"{_fmt(base['tfidf_logreg'].get(key))} |")
    lines += ["", "## Stance", "", "| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    lines += [f"| `{k}` | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | {v['support']} |"
              for k, v in stance["per_label"].items()]
    lines += ["", f"![confusion matrix]({CONFUSION_PNG})", "", "## Frames", "",
              "| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    lines += [f"| `{k}` | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | {v['support']} |"
              for k, v in frames["per_label"].items()]
    lines += ["", f"![per-frame F1]({FRAME_F1_PNG})", ""]
    if metrics.get("groups"):
        lines += ["## By group", "", "The same figures within each kind of unit and for units a second reader marked "
                  "`hard` (could still dispute):", "", *group_lines(metrics["groups"]), ""]
    if metrics.get("calibration"):
        lines += calibration_lines(metrics["calibration"], predictions, metrics["stance"]["labels"], out)
    if "comparison" in metrics:
        lines += comparison_lines(metrics["comparison"])
    path = out / REPORT_MD
    path.write_text("\n".join(lines), encoding="utf-8")
    if predictions is not None:
        write_jsonl(out / PREDICTIONS_JSONL, predictions)
    return path


def calibration_text(calibration: dict) -> str:
    """One line: stance ECE and Brier, uncalibrated → calibrated (and what the calibration was fitted on)."""
    raw, cal = calibration["uncalibrated"], calibration.get("calibrated")
    text = f"stance ECE {raw['stance_ece']:.3f}, Brier {raw['stance_brier']:.3f}; frames Brier {raw['frames_brier']:.3f}"
    if cal:
        fitted = cal.get("fitted_on", {})
        text = (f"calibration (fitted on {fitted.get('file') or fitted.get('split', '?')}, {fitted.get('units', '?')} "
                f"units): stance ECE {raw['stance_ece']:.3f} → {cal['stance_ece']:.3f}, Brier {raw['stance_brier']:.3f} "
                f"→ {cal['stance_brier']:.3f}; frames Brier {raw['frames_brier']:.3f} → {cal['frames_brier']:.3f}")
    return text


def calibration_lines(calibration: dict, predictions: list[dict] | None, labels: list[str], out: Path) -> list[str]:
    """The report's calibration section, with netcal reliability diagrams when the per-unit predictions are given."""
    from stanceframe.calibration import reliability_diagram

    lines = ["## Calibration", "", calibration_text(calibration) + " (ECE: 15 bins, top label).", ""]
    if predictions:
        truth = np.array([labels.index(p["gold_stance"]) for p in predictions])
        for key, name in (("raw_stance_scores", "uncalibrated"), ("stance_scores", "calibrated")):
            if key == "stance_scores" and "calibrated" not in calibration:
                continue
            probs = np.array([[p[key][label] for label in labels] for p in predictions])
            png = f"reliability_{name}.png"
            reliability_diagram(probs, truth, out / png, name)
            lines += [f"![reliability diagram, {name}]({png})", ""]
    return lines


def group_lines(groups: dict) -> list[str]:
    """The group figures as Markdown table rows (one per group value), for the console and the report."""
    lines = ["| group | n | " + " | ".join(FIGURE_NAMES[k] for k in HEADLINE) + " |",
             "|---|---|" + "---|" * len(HEADLINE)]
    for key, values in groups.items():
        for name, fig in values.items():
            lines.append(f"| {key}={name} | {fig['n']} | " + " | ".join(f"{fig[k]:.3f}" for k in HEADLINE) + " |")
    return lines


def console_summary(metrics: dict) -> str:
    """What `stanceframe evaluate` prints: the headline figures with intervals, the baselines, the comparison."""
    ci, base = metrics["intervals"], metrics["baselines"]
    lines = [f"n={metrics['n']} ({metrics['precision']})  stance macro-F1 {metrics['stance']['macro_f1']:.3f} "
             f"[{ci['stance_macro_f1'][0]:.3f}, {ci['stance_macro_f1'][1]:.3f}]  accuracy {metrics['stance']['accuracy']:.3f}  "
             f"frames micro-F1 {metrics['frames']['micro_f1']:.3f} [{ci['frames_micro_f1'][0]:.3f}, "
             f"{ci['frames_micro_f1'][1]:.3f}]  macro-F1 {metrics['frames']['macro_f1']:.3f}"]
    lines += [f"baseline {name}: stance macro-F1 {_fmt(base[name].get('stance_macro_f1'))}  "
              f"frames micro-F1 {_fmt(base[name].get('frames_micro_f1'))}" for name in ("majority", "tfidf_logreg")]
    lines.append("stance F1 per label: " + "  ".join(f"{k} {v['f1']:.3f} (n={v['support']})"
                                                      for k, v in metrics["stance"]["per_label"].items()))
    if metrics.get("calibration"):
        lines.append(calibration_text(metrics["calibration"]))
    if metrics.get("groups"):
        lines += group_lines(metrics["groups"])
    if "comparison" in metrics:
        compared = metrics["comparison"]
        diff = compared["difference"]
        lines.append(f"{compared['model']} ({compared['precision']}): stance macro-F1 "
                     f"{compared['other']['stance_macro_f1']:.3f}  frames micro-F1 {compared['other']['frames_micro_f1']:.3f}")
        lines.append("difference (this model minus it, paired 95% interval): " + "  ".join(
            f"{FIGURE_NAMES[key]} {diff[key]['difference']:+.3f} [{diff[key]['ci'][0]:+.3f}, {diff[key]['ci'][1]:+.3f}]"
            for key in ("stance_macro_f1", "frames_micro_f1")))
    return "\n".join(lines)
