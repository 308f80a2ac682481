"""The ``stanceframe`` command: labels, segment, train, classify, evaluate."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from stanceframe.errors import InputError, StanceframeError
from stanceframe.precision import DEFAULT_PRECISION, PRECISION_HELP, PRECISIONS
from stanceframe.resources import DEFAULT_SCHEMA


def cmd_labels_check(args) -> int:
    from stanceframe.data import check_labels, counts_table, split_files
    from stanceframe.schema import LabelSchema

    schema = LabelSchema.load(args.schema)
    files = split_files(args.data_dir)
    if not files:
        raise StanceframeError(f"{args.data_dir}: no train/dev/test .jsonl files")
    counts, errors = check_labels(schema, files)
    for err in errors[:50]:
        print(f"error: {err}", file=sys.stderr)
    if len(errors) > 50:
        print(f"error: ... and {len(errors) - 50} more", file=sys.stderr)
    print(counts_table(counts, schema))
    if args.json:
        Path(args.json).write_text(json.dumps(counts, indent=2) + "\n", encoding="utf-8")
    if errors:
        print(f"{len(errors)} problem(s) found", file=sys.stderr)
        return 1
    print(f"ok: {counts['all']['units']} units in {counts['all']['documents']} documents, no problems")
    return 0


def cmd_labels_stats(args) -> int:
    from stanceframe.corpus_stats import corpus_stats, print_stats
    from stanceframe.data import split_files

    stats = corpus_stats(args.schema, split_files(args.data_dir), Path(args.agreement_dir))
    print_stats(stats)
    if args.json:
        Path(args.json).write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    return 0 if stats["near_duplicates"]["cross_split_pairs"] == 0 else 1


def cmd_labels_split(args) -> int:
    from stanceframe.data import load_annotated, without_line
    from stanceframe.jsonl import write_jsonl
    from stanceframe.schema import LabelSchema
    from stanceframe.splitting import missing_labels, split_by_document

    schema = LabelSchema.load(args.schema)
    rows = [row for path in args.files for row in load_annotated(path, schema)[0]]
    splits = split_by_document(rows, ratios=tuple(args.ratios), seed=args.seed)
    out = Path(args.data_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, split_rows in splits.items():
        write_jsonl(out / f"{name}.jsonl", (without_line(row) for row in split_rows))
        print(f"{name}: {len(split_rows)} units, {len({r['doc_id'] for r in split_rows})} documents")
    for name, absent in missing_labels(splits, schema.stance_names, schema.frame_names).items():
        print(f"warning: {name} has no unit with {', '.join(absent)}", file=sys.stderr)
    return 0


def cmd_labels_from_review(args) -> int:
    from stanceframe.jsonl import write_jsonl
    from stanceframe.review import units_from_review
    from stanceframe.schema import LabelSchema

    units, problems = units_from_review(args.review, LabelSchema.load(args.schema))
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"{write_jsonl(args.out, units)} reviewed units written to {args.out}")
    return 0


def cmd_segment(args) -> int:
    from stanceframe.inputs import write_units

    n, skipped = write_units(args.paths, args.out, documents=args.documents, text_column=args.text_column)
    print(f"{n} units written to {args.out}, {skipped} skipped")
    return 0


def cmd_train(args) -> int:
    from stanceframe.training.config import config_from_args
    from stanceframe.training.trainer import train

    train(config_from_args(args), resume=args.resume)
    return 0


def cmd_adapt(args) -> int:
    from stanceframe.training.adapt import adapt
    from stanceframe.training.config import AdaptConfig, config_from_args

    adapt(args.paths, config_from_args(args, AdaptConfig), documents=args.documents, text_column=args.text_column)
    return 0


def cmd_ensemble(args) -> int:
    from stanceframe.training.config import EnsembleConfig, config_from_args
    from stanceframe.training.ensemble import build_ensemble

    build_ensemble(config_from_args(args, EnsembleConfig))
    return 0


def cmd_classify(args) -> int:
    from stanceframe.inference.classify import classify_command

    counts, errors_file = classify_command(
        args.paths, args.model, args.out, engine=args.engine, resume=args.resume, precision=args.precision,
        documents=args.documents, text_column=args.text_column, errors_path=args.errors, summary=args.summary,
        max_length=args.max_length, on_error=args.on_error, expect_schema=args.schema, threads=args.threads,
        chunk_size=args.chunk_size, progress=not args.quiet,
        ray={"ray_address": args.ray_address, "num_cpus": args.ray_cpus, "actors": args.ray_actors},
        coverage=args.coverage, calibration_data=args.calibration_data)
    print(counts.closing_line())
    if counts.skipped and errors_file:
        print(f"skipped inputs are listed in {errors_file}")
    return 0


def cmd_summary(args) -> int:
    from stanceframe.inference.outputs import read_predictions
    from stanceframe.inference.summary import summary_table

    rows = read_predictions(args.predictions)
    print(summary_table(rows))
    if args.raw_only or not rows:
        return 0
    from stanceframe.classifier import Classifier
    from stanceframe.inference.summary import shares_table
    from stanceframe.shares import corpus_shares_for

    model = Classifier(args.model, precision=args.precision)
    figures = corpus_shares_for(model, args.gold, pool_with_test=not args.gold_only, method=args.method).summary(rows)
    print(shares_table(figures))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


def cmd_report(args) -> int:
    from stanceframe.inference.report import report_predictions

    page = report_predictions(args.predictions, args.out, model=args.model, errors=args.errors, gold=args.gold,
                              gold_only=args.gold_only, method=args.method, precision=args.precision)
    print(f"report: {page}")
    return 0


def cmd_calibrate(args) -> int:
    from stanceframe.calibration import CALIBRATION_NAME, calibrate_model
    from stanceframe.eval_report import calibration_text

    measured = calibrate_model(args.model, args.data, precision=args.precision)
    print(f"wrote {Path(args.model) / CALIBRATION_NAME}; on the calibration units: {calibration_text(measured)}")
    return 0


def cmd_evaluate(args) -> int:
    from stanceframe.eval_report import console_summary, write_report
    from stanceframe.evaluation import evaluate_paths

    metrics, predictions = evaluate_paths(args.model, args.data, precision=args.precision, expect_schema=args.schema,
                                          compare=args.compare, train_data=args.train_data, n_boot=args.n_boot)
    for warning in metrics.get("warnings", []):
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    if args.report:
        print(f"report: {write_report(metrics, args.report, predictions)}")
    print(console_summary(metrics))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from stanceframe.training.config import AdaptConfig, EnsembleConfig, add_config_arguments, add_resume_argument

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

    def add_share_options(p, model_default="models/default", model_help="the model that made the predictions"):
        p.add_argument("--model", default=model_default, help=model_help)
        p.add_argument("--gold", help="your own gold units for the share correction (pooled with the model's test "
                                      "split unless --gold-only); your own material is what makes it right")
        p.add_argument("--gold-only", action="store_true", help="correct with --gold alone, not pooled")
        p.add_argument("--method", choices=["kdey", "pacc", "acc", "pcc", "cc"], default="kdey",
                       help="quantification method of the corrected share (quapy; default kdey)")
        p.add_argument("--precision", choices=PRECISIONS, default="fp32", help="precision the gold units are scored in")

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
    add_resume_argument(tr)
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
    cl.add_argument("--coverage", type=float, default=None, metavar="P",
                    help="add per unit the smallest set of stances that holds the true one with probability P "
                         "(split-conformal; 'stance_set', and 'ambiguous' when it has more or fewer than one label)")
    cl.add_argument("--calibration-data", metavar="GOLD",
                    help="gold units the sets are calibrated on (default: the model's dev split; your own gold "
                         "units make the coverage hold on your material)")
    cl.add_argument("--engine", choices=["local", "ray"], default="local",
                    help="local (this process) or ray (Ray Data; pip install 'stanceframe[ray]')")
    cl.add_argument("--ray-address", help="a Ray cluster to join (default: start a local instance)")
    cl.add_argument("--ray-cpus", type=int, default=None, help="CPUs of the local Ray instance (default: all)")
    cl.add_argument("--ray-actors", type=int, default=2, help="classifier actors (each holds one model)")
    cl.set_defaults(func=cmd_classify)

    from stanceframe.cli_annotation import add_annotation_commands

    add_annotation_commands(sub, labels_sub, add_input_options)

    sm = sub.add_parser("summary", help="print stance and frame counts of a predictions file")
    sm.add_argument("predictions", help="output of 'stanceframe classify' (.jsonl, .csv or .parquet)")
    add_share_options(sm)
    sm.add_argument("--json", help="write the overall raw and corrected shares with intervals here")
    sm.add_argument("--raw-only", action="store_true", help="only count the predicted labels (no model needed)")
    sm.set_defaults(func=cmd_summary)

    rp = sub.add_parser("report", help="an HTML report (figures and tables) of a predictions file")
    rp.add_argument("predictions", help="output of 'stanceframe classify' (.jsonl, .csv or .parquet)")
    rp.add_argument("--out", required=True, help="folder for report.html, PNG figures and CSV tables")
    add_share_options(rp, None, "the model that made the predictions: run facts, and shares corrected for its "
                                "errors with 95%% intervals (gold: its test split, pooled with --gold)")
    rp.add_argument("--errors", help="the run's errors file (default: beside the predictions)")
    rp.set_defaults(func=cmd_report)

    ca = sub.add_parser("calibrate", help="refit the model's calibrated scores on gold units (default: its dev split)")
    ca.add_argument("--model", default="models/default", help="trained model directory (calibration.json is replaced)")
    ca.add_argument("--data", help="gold units to fit on: your own labelled units make the scores fit your material")
    ca.add_argument("--precision", choices=PRECISIONS, default="fp32", help="as for classify")
    ca.set_defaults(func=cmd_calibrate)

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
