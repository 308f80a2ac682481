"""The annotation-loop commands of ``stanceframe``: select, annotate, labels export / import, and the double
annotation of new labels: labels blind / disagreements / adjudicate (thin handlers)."""

from __future__ import annotations

import sys
from pathlib import Path

from stanceframe.errors import StanceframeError
from stanceframe.precision import DEFAULT_PRECISION, PRECISIONS
from stanceframe.resources import DEFAULT_SCHEMA

DEFAULT_CODEBOOK = "../shared/codebook.md"


def cmd_labels_export(args) -> int:
    from stanceframe.annotation.exchange import export_units
    from stanceframe.schema import LabelSchema

    written = export_units(args.units, args.out, args.format, LabelSchema.load(args.schema), labels=args.labels)
    print(f"{written['units']} units written ({args.labels}): {', '.join(written['files'])}")
    if written.get("categories"):
        print(f"doccano categories to create: {' '.join(written['categories'])}")
    return 0


def cmd_labels_import(args) -> int:
    from stanceframe.annotation.exchange import import_units, write_imported
    from stanceframe.schema import LabelSchema

    _not_an_input(args.out, args.file)
    units, problems, unlabelled = import_units(args.file, args.format, LabelSchema.load(args.schema))
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) found; nothing written", file=sys.stderr)
        return 1
    print(f"{write_imported(units, args.out)} labelled units written to {args.out}"
          + (f" ({unlabelled} not labelled, left out)" if unlabelled else ""))
    return 0


def _not_an_input(out, *inputs) -> None:
    """Refuse an ``--out`` that is one of the command's inputs: writing it would destroy what is being read."""
    for path in inputs:
        if path is not None and Path(out).resolve() == Path(path).resolve():
            raise StanceframeError(f"--out {out} is also an input of this command; writing it would overwrite "
                                   "the labels being read (choose another file)")


def _units(path, schema):
    from stanceframe.data import load_annotated

    return load_annotated(path, schema)[0]  # rows keep their "_line"; what is written leaves it out


def cmd_labels_blind(args) -> int:
    from stanceframe.double_annotation import blind_units
    from stanceframe.jsonl import write_jsonl
    from stanceframe.schema import LabelSchema

    _not_an_input(args.out, args.first)
    n = write_jsonl(args.out, blind_units(_units(args.first, LabelSchema.load(args.schema))))
    print(f"{n} units without labels written to {args.out}: give them to a second annotator who has not seen the "
          "first labels")
    return 0


def cmd_labels_disagreements(args) -> int:
    from stanceframe.corpus_stats import agreement
    from stanceframe.double_annotation import disagreements, load_labelling
    from stanceframe.jsonl import write_jsonl
    from stanceframe.schema import LabelSchema

    _not_an_input(args.out, args.first, args.second)
    schema = LabelSchema.load(args.schema)
    first, second = _units(args.first, schema), load_labelling(args.second, schema)
    rows = disagreements(first, second, args.second, seed=args.seed)
    figures = agreement(schema, first, [second[u["id"]] for u in first])
    write_jsonl(args.out, rows)
    print(f"{len(first)} units; stance Cohen's kappa {figures['stance_cohen_kappa']:.3f}, frames Krippendorff's "
          f"alpha (MASI) {figures['frames_krippendorff_alpha_masi']:.3f}; {len(rows)} disagreement(s) written to "
          f"{args.out} (the two labellings as A and B in random order)")
    return 0


def cmd_labels_adjudicate(args) -> int:
    from stanceframe.double_annotation import adjudicate, drop_near_duplicates, load_decisions, load_labelling
    from stanceframe.jsonl import write_jsonl
    from stanceframe.schema import LabelSchema

    _not_an_input(args.out, args.first, args.second, args.decisions, *args.against)
    schema = LabelSchema.load(args.schema)
    first, second = _units(args.first, schema), load_labelling(args.second, schema)
    final, counts = adjudicate(first, second, load_decisions(args.decisions, schema), args.decisions, args.second)
    existing = [row for path in args.against for row in _units(path, schema)]
    final, dropped = drop_near_duplicates(final, existing)
    for new_id, kept_id, jaccard in dropped:
        print(f"near-duplicate left out: {new_id} ~ {kept_id} (Jaccard {jaccard:.2f})")
    write_jsonl(args.out, final)
    print(f"{len(final)} units written to {args.out} ({counts['agreed']} agreed; decisions: {counts['keep']} keep, "
          f"{counts['rewrite']} rewrite, {counts['drop']} drop; {len(dropped)} near-duplicate(s) left out); "
          "'stanceframe labels split' puts them into train/dev/test by document")
    return 0


def cmd_annotate(args) -> int:
    from stanceframe.annotation.server import AnnotationSession, serve
    from stanceframe.schema import LabelSchema

    _not_an_input(args.out, args.queue)  # the queue's suggestions would be read back as answers
    session = AnnotationSession(args.queue, args.out, LabelSchema.load(args.schema), codebook=args.codebook,
                                warn=lambda m: print(f"warning: {m}", file=sys.stderr))
    serve(session, port=args.port, open_browser=not args.no_browser, log=lambda m: print(m, flush=True))
    return 0


def cmd_select(args) -> int:
    from stanceframe.classifier import Classifier
    from stanceframe.selection import select_units

    classifier = Classifier(args.model, num_threads=args.threads, precision=args.precision)
    rows = select_units(args.paths, classifier, args.n, args.strategy, out=args.out, seed=args.seed,
                        labelled=args.labelled, documents=args.documents, text_column=args.text_column,
                        on_error=args.on_error)
    docs = len({row["doc_id"] for row in rows})
    print(f"{len(rows)} units from {docs} documents queued in {args.out} ({args.strategy})")
    return 0


def add_annotation_commands(sub, labels_sub, add_input_options) -> None:
    """Register select, annotate and labels export / import / blind / disagreements / adjudicate."""
    an = sub.add_parser("annotate", help="label units in a local web page (keyboard first, saves every answer)")
    an.add_argument("queue", help="units to label, .jsonl (a 'select' queue, 'classify' predictions, ...)")
    an.add_argument("--out", required=True, help="annotated .jsonl the answers are appended to (resumed if present)")
    an.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    an.add_argument("--schema", default=DEFAULT_SCHEMA, help="label schema file")
    an.add_argument("--codebook", default=DEFAULT_CODEBOOK,
                    help="codebook text shown with '?' (default: %(default)s, skipped when absent)")
    an.add_argument("--no-browser", action="store_true", help="print the address instead of opening a browser")
    an.set_defaults(func=cmd_annotate)

    p = labels_sub.add_parser("export", help="units for Label Studio or doccano (model suggestions or labels)")
    p.add_argument("units", help=".jsonl of units: a 'select' queue, 'classify' predictions or an annotated file")
    p.add_argument("--format", required=True, choices=["label-studio", "doccano"], help="the tool")
    p.add_argument("--out", required=True, help="tasks .json (Label Studio; its config .xml goes beside) or .jsonl")
    p.add_argument("--labels", choices=["predictions", "annotations"], default="predictions",
                   help="send stance/frames as the model's suggestion (default) or as finished labels")
    p.add_argument("--schema", default=DEFAULT_SCHEMA, help="label schema file")
    p.set_defaults(func=cmd_labels_export)
    p = labels_sub.add_parser("import", help="a Label Studio JSON or doccano JSONL export as annotated units")
    p.add_argument("file", help="the tool's export")
    p.add_argument("--format", required=True, choices=["label-studio", "doccano"], help="the tool")
    p.add_argument("--out", required=True, help="annotated .jsonl to write")
    p.add_argument("--schema", default=DEFAULT_SCHEMA, help="label schema file")
    p.set_defaults(func=cmd_labels_import)

    p = labels_sub.add_parser("blind", help="strip the labels of new units for a blind second annotator")
    p.add_argument("first", help="annotated .jsonl: the first pass (the writer's or first annotator's labels)")
    p.add_argument("--out", required=True, help=".jsonl of id, doc_id, kind, author and text to write")
    p.add_argument("--schema", default=DEFAULT_SCHEMA, help="label schema file")
    p.set_defaults(func=cmd_labels_blind)
    p = labels_sub.add_parser("disagreements", help="agreement of two passes and the units they disagree on")
    p.add_argument("first", help="annotated .jsonl: the first pass")
    p.add_argument("second", help=".jsonl of the blind pass: id, stance, frames (optional hard, note) per unit")
    p.add_argument("--out", required=True, help=".jsonl of the disagreements, labellings as A/B, to adjudicate")
    p.add_argument("--seed", type=int, default=0, help="seed of the A/B order")
    p.add_argument("--schema", default=DEFAULT_SCHEMA, help="label schema file")
    p.set_defaults(func=cmd_labels_disagreements)
    p = labels_sub.add_parser("adjudicate", help="settle the disagreements and write the final units")
    p.add_argument("first", help="annotated .jsonl: the first pass")
    p.add_argument("second", help=".jsonl of the blind pass")
    p.add_argument("--decisions", required=True,
                   help=".jsonl, one line per disagreement: id, action (keep/rewrite/drop), stance, frames, text "
                        "(for a rewrite), hard, reason")
    p.add_argument("--out", required=True, help="annotated .jsonl of the final units")
    p.add_argument("--against", nargs="+", action="extend", default=[], metavar="FILE",
                   help="annotated files already in the corpus: new units too close to one of them are left out")
    p.add_argument("--schema", default=DEFAULT_SCHEMA, help="label schema file")
    p.set_defaults(func=cmd_labels_adjudicate)

    se = sub.add_parser("select", help="pick the units most worth labelling next into an annotation queue")
    add_input_options(se)
    se.add_argument("--model", default="models/default", help="trained model directory")
    se.add_argument("--n", type=int, required=True, help="units to queue")
    se.add_argument("--strategy", choices=["uncertainty", "random", "diverse"], default="uncertainty",
                    help="uncertainty: least sure first (stance margin and frame closeness to threshold); random: "
                         "seeded; diverse: round-robin over predicted stances and documents, least sure first")
    se.add_argument("--out", required=True, help="queue .jsonl (units already in it are skipped; picks are appended)")
    se.add_argument("--seed", type=int, default=0, help="seed of the random strategy")
    se.add_argument("--labelled", nargs="+", action="extend", default=[], metavar="FILE",
                    help="labelled .jsonl files whose units (by id or normalised text) are not picked again")
    se.add_argument("--threads", type=int, default=0, help="torch threads (0 = one per core)")
    se.add_argument("--precision", choices=PRECISIONS, default=DEFAULT_PRECISION, help="as for classify")
    se.add_argument("--on-error", choices=["skip", "fail"], default="skip",
                    help="skip unreadable inputs (listed on stderr with file and line), or stop at the first")
    se.set_defaults(func=cmd_select)
