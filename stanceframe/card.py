"""The generated model card (README.md inside a saved model directory)."""

from __future__ import annotations

from stanceframe.provenance import card_lines
from stanceframe.schema import LabelSchema


def _metric_rows(metrics: dict) -> list[str]:
    rows = []
    for split, m in [(s, metrics.get(s)) for s in ("dev", "test")] + \
            [(f"{s} (int8)", metrics.get("int8", {}).get(s)) for s in ("dev", "test")]:
        if m:
            rows.append(f"| {split} | {m['n']} | {m['stance']['accuracy']:.3f} | {m['stance']['macro_f1']:.3f} | "
                        f"{m['frames']['micro_f1']:.3f} | {m['frames']['macro_f1']:.3f} |")
    return rows


def model_card(schema: LabelSchema, settings: dict, metrics: dict, data_counts: dict,
               thresholds: dict[str, float], extra: dict | None = None) -> str:
    lines = [
        f"# stanceframe model: {schema.name} v{schema.version}",
        "",
        "A fine-tuned encoder with two heads: **stance** (one label per unit, softmax) and "
        "**frames** (zero or more labels, sigmoid with per-label thresholds tuned on dev).",
        "",
        f"- Base encoder: `{settings.get('base_model')}` (pooling: {settings.get('pooling')}, "
        f"max length {settings.get('max_length')} tokens, kind prefix: {settings.get('kind_prefix')})",
        f"- Trained on: {data_counts.get('train', {}).get('units', '?')} units in "
        f"{data_counts.get('train', {}).get('documents', '?')} documents, from `{settings.get('train_file')}`"
        f"{' and the extra labels below' if settings.get('extra_train') else ''}; dev `{settings.get('dev_file')}`",
        f"- Seed {settings.get('seed')}, {metrics.get('epochs_run', '?')} epochs run, best epoch "
        f"{metrics.get('best_epoch', '?')}, training time {metrics.get('train_seconds', 0):.0f} s "
        f"({metrics.get('train_precision', 'fp32')} arithmetic)",
    ]
    if metrics.get("inference_precisions"):
        lines.append(f"- Precisions within a point of fp32's F1 on dev: "
                     f"{', '.join(metrics['inference_precisions'])}; `--precision auto` runs the first of them this CPU "
                     "runs natively (bf16 needs AMX or AVX512-BF16), `--precision` overrides")
    for key, value in (extra or {}).items():
        lines.append(f"- {key}: {value}")
    lines += card_lines(settings.get("provenance", {}))
    return "\n".join(lines + _labels_scores_use(schema, metrics, thresholds))


def _labels_scores_use(schema: LabelSchema, metrics: dict, thresholds: dict[str, float],
                       extra_rows: list[str] = ()) -> list[str]:
    lines = ["", "## Labels", "", "Stance: " + ", ".join(f"`{x}`" for x in schema.stance_names) + ".",
             "", "| frame | threshold | dimension |", "|---|---|---|"]
    lines += [f"| `{f.name}` | {thresholds.get(f.name, 0.5):.3f} | {f.dimension or ''} |" for f in schema.frames]
    lines += ["", "## Scores at training time", "",
              "| split | n | stance accuracy | stance macro-F1 | frames micro-F1 | frames macro-F1 |",
              "|---|---|---|---|---|---|", *_metric_rows(metrics), *extra_rows, "",
              "These are scores on team-written data. Real coverage is longer, messier and more "
              "many-voiced; measure on your own gold units with `stanceframe evaluate` before you "
              "rely on the numbers.", "",
              "## Use", "", "```", "stanceframe classify docs/ --model THIS_DIR --out predictions.jsonl",
              "stanceframe evaluate --model THIS_DIR --data gold.jsonl --json metrics.json", "```", ""]
    return lines


def ensemble_card(schema: LabelSchema, settings: dict, metrics: dict, thresholds: dict[str, float]) -> str:
    """The card of an ensemble: its members and weights, and the scores of the ensemble and of each member."""
    lines = [
        f"# stanceframe ensemble: {schema.name} v{schema.version}",
        "",
        "Several trained models (under `members/`) whose stance and frame probabilities are averaged with the "
        "weights below; frames are cut at thresholds tuned on dev for the averaged probabilities.",
        "",
        f"- Weights chosen on `{settings.get('dev_file')}` by {settings.get('selection_metric')} "
        f"(grid step {settings.get('weight_step')}; members in precision `{settings.get('precision')}`)",
    ]
    for name, weight in metrics["weights"].items():
        member = metrics["members"][name]
        lines.append(f"- `members/{name}` (from `{member['dir']}`, run in {member['precision']}): weight {weight:.2f}")
    lines += card_lines(settings.get("provenance", {}))
    extra_rows = []
    for name, member in metrics["members"].items():
        for split in ("dev", "test"):
            if member.get(split):
                m = member[split]
                extra_rows.append(f"| {split} ({name} alone) | {m['n']} | {m['stance']['accuracy']:.3f} | "
                                  f"{m['stance']['macro_f1']:.3f} | {m['frames']['micro_f1']:.3f} | "
                                  f"{m['frames']['macro_f1']:.3f} |")
    return "\n".join(lines + _labels_scores_use(schema, metrics, thresholds, extra_rows))
