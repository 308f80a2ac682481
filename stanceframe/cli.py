"""The ``stanceframe`` command: labels, segment, train, classify, evaluate."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from stanceframe.errors import InputError, StanceframeError
from stanceframe.precision import DEFAULT_PRECISION, PRECISION_HELP, PRECISIONS

DEFAULT_SCHEMA = "labels/schema.yaml"
DEFAULT_SPLITS = ("train", "dev", "test")


def _split_files(args) -> dict[str, Path]:
    data_dir = Path(args.data_dir)
    return {name: data_dir / f"{name}.jsonl" for name in DEFAULT_SPLITS if (data_dir / f"{name}.jsonl").exists()}


def cmd_labels_check(args) -> int:
    from stanceframe.data import label_counts, load_splits
    from stanceframe.schema import LabelSchema

    schema = LabelSchema.load(args.schema)
    files = _split_files(args)
    if not files:
        raise StanceframeError(f"{args.data_dir}: no train/dev/test .jsonl files")
    splits, errors = load_splits(files, schema, strict=False)
    for err in errors[:50]:
        print(f"error: {err}", file=sys.stderr)
    if len(errors) > 50:
        print(f"error: ... and {len(errors) - 50} more", file=sys.stderr)
    counts = {name: label_counts(rows, schema) for name, rows in splits.items()}
    counts["all"] = label_counts([r for rows in splits.values() for r in rows], schema)
    print_counts(counts, schema)
    if args.json:
        Path(args.json).write_text(json.dumps(counts, indent=2) + "\n", encoding="utf-8")
    if errors:
        print(f"{len(errors)} problem(s) found", file=sys.stderr)
        return 1
    print(f"ok: {counts['all']['units']} units in {counts['all']['documents']} documents, no problems")
    return 0


def print_counts(counts: dict, schema) -> None:
    names = list(counts)
    rows = [("units", "units"), ("documents", "documents")]
    rows += [(f"stance:{s}", ("stance", s)) for s in schema.stance_names]
    rows += [(f"frame:{f}", ("frames", f)) for f in schema.frame_names]
    rows += [(f"kind:{k}", ("kinds", k)) for k in counts["all"]["kinds"]]
    rows += [("no frame", "no_frame"), ("hard (flagged)", "hard")]
    width = max(len(r[0]) for r in rows) + 2
    print("".ljust(width) + "".join(n.rjust(9) for n in names))
    for title, key in rows:
        values = [counts[n][key[0]][key[1]] if isinstance(key, tuple) else counts[n][key] for n in names]
        print(title.ljust(width) + "".join(str(v).rjust(9) for v in values))


def cmd_labels_stats(args) -> int:
    from stanceframe.corpus_stats import corpus_stats, print_stats

    stats = corpus_stats(args.schema, _split_files(args), Path(args.agreement_dir))
    print_stats(stats)
    if args.json:
        Path(args.json).write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    return 0 if stats["near_duplicates"]["cross_split_pairs"] == 0 else 1


def cmd_labels_split(args) -> int:
    from stanceframe.data import load_annotated
    from stanceframe.schema import LabelSchema
    from stanceframe.splitting import missing_labels, split_by_document

    schema = LabelSchema.load(args.schema)
    rows = []
    for path in args.files:
        loaded, _ = load_annotated(path, schema)
        rows.extend(loaded)
    splits = split_by_document(rows, ratios=tuple(args.ratios), seed=args.seed)
    out = Path(args.data_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, split_rows in splits.items():
        with open(out / f"{name}.jsonl", "w", encoding="utf-8") as handle:
            for row in split_rows:
                handle.write(json.dumps({k: v for k, v in row.items() if k != "_line"}, ensure_ascii=False) + "\n")
        print(f"{name}: {len(split_rows)} units, {len({r['doc_id'] for r in split_rows})} documents")
    for name, absent in missing_labels(splits, schema.stance_names, schema.frame_names).items():
        print(f"warning: {name} has no unit with {', '.join(absent)}", file=sys.stderr)
    return 0


def cmd_segment(args) -> int:
    from infer.inputs import iter_inputs

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    n = skipped = 0
    tmp = out.with_name(f".{out.name}.partial")
    with open(tmp, "w", encoding="utf-8") as handle:
        for item in iter_inputs(args.paths, documents=args.documents, text_column=args.text_column):
            if "error" in item:
                skipped += 1
                where = f"{item['path']}:{item['line']}" if item.get("line") else item["path"]
                print(f"skipped: {where}: {item['error']}", file=sys.stderr)
                continue
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")
            n += 1
    os.replace(tmp, out)
    print(f"{n} units written to {out}, {skipped} skipped")
    return 0


def cmd_train(args) -> int:
    from train.config import config_from_args
    from train.trainer import train

    train(config_from_args(args))
    return 0


def cmd_adapt(args) -> int:
    from train.adapt import adapt
    from train.config import AdaptConfig, config_from_args

    adapt(args.paths, config_from_args(args, AdaptConfig), documents=args.documents, text_column=args.text_column)
    return 0


def cmd_ensemble(args) -> int:
    from train.config import EnsembleConfig, config_from_args
    from train.ensemble import build_ensemble

    build_ensemble(config_from_args(args, EnsembleConfig))
    return 0


def cmd_classify(args) -> int:
    from infer.classify import Classifier, classify_paths, default_errors_path
    from infer.outputs import check_output_path

    check_output_path(args.out)
    if args.engine == "ray":
        from infer.ray_engine import classify_with_ray

        if args.resume:
            raise StanceframeError("--resume works with the local engine only")
        counts = classify_with_ray(args.paths, args.model, args.out, precision=args.precision, documents=args.documents,
                                   text_column=args.text_column, errors_path=args.errors, ray_address=args.ray_address,
                                   num_cpus=args.ray_cpus, actors=args.ray_actors, max_length=args.max_length,
                                   summary=args.summary, on_error=args.on_error, expect_schema=args.schema)
        print(counts.closing_line())
        return 0
    classifier = Classifier(args.model, max_length=args.max_length, num_threads=args.threads, precision=args.precision,
                            expect_schema=args.schema)
    counts = classify_paths(args.paths, classifier, args.out, summary=args.summary, documents=args.documents,
                            text_column=args.text_column, chunk_size=args.chunk_size, errors_path=args.errors,
                            progress=not args.quiet, resume=args.resume, on_error=args.on_error)
    print(counts.closing_line())
    if counts.skipped:
        print(f"skipped inputs are listed in {args.errors or default_errors_path(args.out)}")
    return 0


def cmd_summary(args) -> int:
    from collections import Counter

    from infer.outputs import read_predictions

    rows = read_predictions(args.predictions)
    kinds = sorted({r["kind"] for r in rows})
    stances = list(rows[0]["stance_scores"]) if rows else []
    frames = list(rows[0]["frame_scores"]) if rows else []
    by = Counter((r["stance"], r["kind"]) for r in rows)
    width = max([len(s) for s in stances + frames] + [10]) + 2
    print(f"{len(rows)} units in {len({r['doc_id'] for r in rows})} documents")
    print("stance".ljust(width) + "".join(k.rjust(11) for k in kinds) + "all".rjust(8) + "share".rjust(8))
    for stance in stances:
        total = sum(by[(stance, k)] for k in kinds)
        print(stance.ljust(width) + "".join(str(by[(stance, k)]).rjust(11) for k in kinds)
              + str(total).rjust(8) + f"{total / max(len(rows), 1):8.0%}")
    frame_counts = Counter(f for r in rows for f in r["frames"])
    print("frame".ljust(width) + "units".rjust(11) + "share".rjust(8))
    for frame in frames:
        print(frame.ljust(width) + str(frame_counts[frame]).rjust(11) + f"{frame_counts[frame] / max(len(rows), 1):8.0%}")
    return 0


def cmd_report(args) -> int:
    from collections import Counter

    from infer.classify import default_errors_path
    from infer.outputs import read_predictions
    from stanceframe.modeling import SCHEMA_NAME, TRAINING_ARGS_NAME, read_model_json
    from stanceframe.report import build_report

    rows = read_predictions(args.predictions)
    if not rows:
        raise StanceframeError(f"{args.predictions}: no predictions to report on")
    facts = {"predictions": str(args.predictions)}
    if args.model:
        settings = read_model_json(args.model, TRAINING_ARGS_NAME)
        schema = read_model_json(args.model, SCHEMA_NAME)
        facts |= {"model": str(args.model), "base encoder": settings.get("base_model", "?"),
                  "label schema": f"{schema.get('name', '?')} v{schema.get('version', '?')}"}
    errors_path = Path(args.errors) if args.errors else default_errors_path(args.predictions)
    skipped = []
    if errors_path.exists():
        with open(errors_path, encoding="utf-8") as handle:
            skipped = [json.loads(line) for line in handle if line.strip()]
    reasons = Counter(e["error"].split(" (")[0] for e in skipped)
    facts["skipped inputs"] = ", ".join(f"{k}: {v}" for k, v in reasons.most_common()) or "none"
    page = build_report(rows, args.out, facts=facts)
    print(f"report: {page}")
    return 0


def cmd_labels_from_review(args) -> int:
    import csv

    from stanceframe.data import validate_unit
    from stanceframe.errors import LabelFileError
    from stanceframe.schema import LabelSchema

    schema = LabelSchema.load(args.schema)
    out_rows, problems = [], []
    with open(args.review, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            if not (row.get("stance") or "").strip():
                continue  # not reviewed yet
            raw = (row.get("frames") or "").strip()
            try:
                frames = json.loads(raw) if raw.startswith("[") else [f.strip() for f in raw.split(";") if f.strip()]
            except json.JSONDecodeError:
                problems.append(LabelFileError(args.review, "frames must be a JSON list or ';'-separated", reader.line_num))
                continue
            unit = {"id": row["id"], "doc_id": row["doc_id"], "kind": row["kind"], "author": row.get("author") or None,
                    "text": row["text"], "stance": row["stance"].strip(), "frames": frames, "source": "review_queue"}
            errs = validate_unit(unit, schema, Path(args.review), reader.line_num)
            problems.extend(errs)
            if not errs:
                out_rows.append(unit)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        return 1
    with open(args.out, "w", encoding="utf-8") as handle:
        for unit in out_rows:
            handle.write(json.dumps(unit, ensure_ascii=False) + "\n")
    print(f"{len(out_rows)} reviewed units written to {args.out}")
    return 0


def cmd_evaluate(args) -> int:
    from infer.classify import Classifier, check_schema
    from stanceframe.evaluation import evaluate_model, group_lines
    from stanceframe.scoring import FIGURE_NAMES

    classifier = Classifier(args.model, precision=args.precision, expect_schema=args.schema)
    other = None
    if args.compare:
        other = Classifier(args.compare, precision=args.precision)
        check_schema(other.schema, classifier.schema, other.model_dir, classifier.model_dir)
    metrics, predictions = evaluate_model(classifier, args.data, train_data=args.train_data, n_boot=args.n_boot,
                                          other=other)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    if args.report:
        from stanceframe.eval_report import write_report

        path = write_report(metrics, args.report)
        with open(Path(args.report) / "predictions.jsonl", "w", encoding="utf-8") as handle:
            for row in predictions:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"report: {path}")
    base = metrics["baselines"]

    def fmt(x):
        return "–" if x is None else f"{x:.3f}"

    ci = metrics["intervals"]
    print(f"n={metrics['n']} ({metrics['precision']})  stance macro-F1 {metrics['stance']['macro_f1']:.3f} "
          f"[{ci['stance_macro_f1'][0]:.3f}, {ci['stance_macro_f1'][1]:.3f}]  accuracy {metrics['stance']['accuracy']:.3f}  "
          f"frames micro-F1 {metrics['frames']['micro_f1']:.3f} [{ci['frames_micro_f1'][0]:.3f}, "
          f"{ci['frames_micro_f1'][1]:.3f}]  macro-F1 {metrics['frames']['macro_f1']:.3f}")
    for name in ("majority", "tfidf_logreg"):
        print(f"baseline {name}: stance macro-F1 {fmt(base[name].get('stance_macro_f1'))}  "
              f"frames micro-F1 {fmt(base[name].get('frames_micro_f1'))}")
    per_label = metrics["stance"]["per_label"]
    print("stance F1 per label: " + "  ".join(f"{k} {v['f1']:.3f} (n={v['support']})" for k, v in per_label.items()))
    if metrics.get("groups"):
        print("\n".join(group_lines(metrics["groups"])))
    if "comparison" in metrics:
        compared = metrics["comparison"]
        diff = compared["difference"]
        print(f"{compared['model']} ({compared['precision']}): stance macro-F1 "
              f"{compared['other']['stance_macro_f1']:.3f}  frames micro-F1 {compared['other']['frames_micro_f1']:.3f}")
        print("difference (this model minus it, paired 95% interval): " + "  ".join(
            f"{FIGURE_NAMES[key]} {diff[key]['difference']:+.3f} [{diff[key]['ci'][0]:+.3f}, {diff[key]['ci'][1]:+.3f}]"
            for key in ("stance_macro_f1", "frames_micro_f1")))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from train.config import AdaptConfig, EnsembleConfig, add_config_arguments

    parser = argparse.ArgumentParser(prog="stanceframe", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    labels = sub.add_parser("labels", help="check the label schema and annotated data")
    labels_sub = labels.add_subparsers(dest="labels_command", required=True)
    for name, func, help_text in (("check", cmd_labels_check, "validate and count labels per split"),
                                  ("stats", cmd_labels_stats, "agreement, near-duplicates and diversity")):
        p = labels_sub.add_parser(name, help=help_text)
        p.add_argument("--schema", default=DEFAULT_SCHEMA, help="label schema file")
        p.add_argument("--data-dir", default="labels/data", help="folder with train/dev/test .jsonl")
        p.add_argument("--json", help="also write the figures to this JSON file")
        if name == "stats":
            p.add_argument("--agreement-dir", default="labels/agreement", help="folder of the double annotation")
        p.set_defaults(func=func)
    p = labels_sub.add_parser("split", help="split annotated files into train/dev/test by document")
    p.add_argument("files", nargs="+", help="annotated .jsonl files to pool and split")
    p.add_argument("--schema", default=DEFAULT_SCHEMA, help="label schema file")
    p.add_argument("--data-dir", default="labels/data", help="where train/dev/test .jsonl are written")
    p.add_argument("--ratios", type=float, nargs=3, default=[0.70, 0.15, 0.15], help="train dev test shares")
    p.add_argument("--seed", type=int, default=13, help="seed of the document order")
    p.set_defaults(func=cmd_labels_split)

    p = labels_sub.add_parser("from-review", help="turn a filled-in review_queue.csv into annotated units")
    p.add_argument("review", help="review_queue.csv from 'stanceframe report', with stance/frames filled in")
    p.add_argument("--out", required=True, help="annotated .jsonl to write")
    p.add_argument("--schema", default=DEFAULT_SCHEMA, help="label schema file")
    p.set_defaults(func=cmd_labels_from_review)

    def add_input_options(p):
        p.add_argument("paths", nargs="+", help="documents (.txt), folders, or tables (.jsonl/.csv/.parquet)")
        p.add_argument("--documents", action="store_true", help="table rows are whole documents to segment")
        p.add_argument("--text-column", default="text", help="column holding the text in tables")

    seg = sub.add_parser("segment", help="split documents into units")
    add_input_options(seg)
    seg.add_argument("--out", required=True, help="units .jsonl")
    seg.set_defaults(func=cmd_segment)

    tr = sub.add_parser("train", help="train a model from a YAML config (settings overridable)")
    add_config_arguments(tr)
    tr.set_defaults(func=cmd_train)

    ad = sub.add_parser("adapt", help="adapt the fast model to a corpus with a teacher model's soft labels")
    add_input_options(ad)
    add_config_arguments(ad, AdaptConfig, default_config=None, aliases={"output_dir": "--out"})
    ad.set_defaults(func=cmd_adapt)

    en = sub.add_parser("ensemble", help="combine trained models into one (weights and thresholds chosen on dev)")
    add_config_arguments(en, EnsembleConfig, default_config=None, aliases={"output_dir": "--out"})
    en.set_defaults(func=cmd_ensemble)

    cl = sub.add_parser("classify", help="classify units of documents or tables")
    add_input_options(cl)
    cl.add_argument("--model", default="models/default", help="trained model directory")
    cl.add_argument("--out", required=True, help="output file: .jsonl, .csv or .parquet")
    cl.add_argument("--summary", help="per-document stance and frame counts (.csv or .json)")
    cl.add_argument("--errors", help="where skipped inputs are listed (default: OUT with .errors.jsonl)")
    cl.add_argument("--max-length", type=int, default=None, help="tokens per unit (default: as trained)")
    cl.add_argument("--chunk-size", type=int, default=512, help="units read and written per chunk")
    cl.add_argument("--threads", type=int, default=0, help="torch threads (0 = one per core)")
    cl.add_argument("--quiet", action="store_true", help="no progress bar")
    cl.add_argument("--precision", choices=PRECISIONS, default=DEFAULT_PRECISION, help=PRECISION_HELP)
    cl.add_argument("--resume", action="store_true", help="continue an interrupted run of the same job")
    cl.add_argument("--on-error", choices=["skip", "fail"], default="skip",
                    help="skip unreadable inputs and list them in the errors file (default), or stop at the first")
    cl.add_argument("--schema", help="refuse a model trained on other labels than this schema file")
    cl.add_argument("--engine", choices=["local", "ray"], default="local",
                    help="local (this process) or ray (Ray Data; pip install 'stanceframe[ray]')")
    cl.add_argument("--ray-address", help="a Ray cluster to join (default: start a local instance)")
    cl.add_argument("--ray-cpus", type=int, default=None, help="CPUs of the local Ray instance (default: all)")
    cl.add_argument("--ray-actors", type=int, default=2, help="classifier actors (each holds one model)")
    cl.set_defaults(func=cmd_classify)

    sm = sub.add_parser("summary", help="print stance and frame counts of a predictions file")
    sm.add_argument("predictions", help="output of 'stanceframe classify' (.jsonl, .csv or .parquet)")
    sm.set_defaults(func=cmd_summary)

    rp = sub.add_parser("report", help="an HTML report (figures and tables) of a predictions file")
    rp.add_argument("predictions", help="output of 'stanceframe classify' (.jsonl, .csv or .parquet)")
    rp.add_argument("--out", required=True, help="folder for report.html, PNG figures and CSV tables")
    rp.add_argument("--model", help="the model directory used, for the run facts")
    rp.add_argument("--errors", help="the run's errors file (default: beside the predictions)")
    rp.set_defaults(func=cmd_report)

    ev = sub.add_parser("evaluate", help="score a model on a gold file, with baselines")
    ev.add_argument("--model", default="models/default", help="trained model directory")
    ev.add_argument("--data", required=True, help="gold units in the annotated-data format")
    ev.add_argument("--json", help="write the metrics here")
    ev.add_argument("--report", help="write a Markdown report with charts into this folder")
    ev.add_argument("--train-data", help="training split for the TF-IDF baseline (default: the model's own)")
    ev.add_argument("--precision", choices=PRECISIONS, default=DEFAULT_PRECISION, help="as for classify")
    ev.add_argument("--schema", help="refuse a model trained on other labels than this schema file")
    ev.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples for the intervals")
    ev.add_argument("--compare", metavar="MODEL",
                    help="a second model (same labels) to score on the same units: its figures, and the first "
                         "model's differences from it with paired bootstrap intervals")
    ev.set_defaults(func=cmd_evaluate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except StanceframeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
