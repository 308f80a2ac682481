"""`stanceframe train --extra-train FILE`: train with a user's own labels, from the encoder or continuing a model.

Two recipes, both chosen by settings of ``TrainConfig``:

- from the encoder (``init_model: ''``): the team corpus plus the extra labels, as a full training run;
- continuing a trained model (``init_model: models/default``, the ``extra`` preset): the extra labels, each seen
  ``extra_weight`` times an epoch, mixed with a seeded ``replay`` sample of the team corpus so the model keeps
  what it learnt there. The learning-curve benchmark (``benchmarks/learning_curve.py``) measured this one.

Extra label files are read with the validated loader (errors name the file and line); the model card and
``training_args.json`` name each file with its SHA-256, unit count and weight.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from transformers import AutoTokenizer

from stanceframe.data import load_annotated
from stanceframe.encoders import resolve_base_model
from stanceframe.errors import LabelFileError, StanceframeError
from stanceframe.modeling import TRAINING_ARGS_NAME, StanceFrameModel, load_model, read_model_json
from stanceframe.provenance import sha256_file
from stanceframe.schema import LabelSchema
from stanceframe.training.config import TrainConfig

INHERITED = ("base_model", "pooling", "kind_prefix", "head_dropout", "max_length")


@dataclass
class TrainingSet:
    """What one training run trains on: ``rows`` per epoch (extra units repeated), ``units`` each once."""

    rows: list[dict]
    units: list[dict]
    files: list[dict] = field(default_factory=list)   # {"path", "sha256", "units", "weight"} per extra file
    replayed: int | None = None                       # team units sampled when continuing a model

    def card(self, config: TrainConfig, team_units: int) -> dict:
        lines = {}
        if config.init_model:
            lines["Continued from"] = f"`{config.init_model}` (its weights are the starting point)"
            lines["Team units replayed"] = f"{self.replayed} of {team_units} (seed {config.seed})"
        for i, entry in enumerate(self.files, 1):
            lines[f"Extra labels {i}"] = (f"`{entry['path']}` ({entry['units']} units, weight {entry['weight']:g}, "
                                          f"SHA-256 `{entry['sha256'][:12]}`)")
        return lines


def load_extra(paths: list[str], schema: LabelSchema, splits: dict[str, list[dict]]) -> tuple[list[dict], list[dict]]:
    """The units of the extra label files (validated: the first error raises, naming file and line) and a record
    per file. An id used twice (in two extra files, or also in a split of the team corpus) is an error, and so is
    a unit of a document in the dev or test split: training on it would leak into model selection or the test
    score (the corpus is split by document)."""
    ids = {row["id"]: name for name, rows in splits.items() for row in rows}
    held_out_docs = {row["doc_id"]: name for name, rows in splits.items() if name != "train" for row in rows}
    rows, files, seen = [], [], {}
    for path in paths:
        units, _ = load_annotated(path, schema)
        for unit in units:
            if unit["id"] in ids or unit["id"] in seen:
                where = f"{seen[unit['id']]}" if unit["id"] in seen else f"the team corpus ({ids[unit['id']]} split)"
                raise LabelFileError(path, f"id {unit['id']!r} is also in {where}", unit["_line"])
            if unit["doc_id"] in held_out_docs:
                raise LabelFileError(path, f"document {unit['doc_id']!r} is in the team corpus's "
                                           f"{held_out_docs[unit['doc_id']]} split: training on it would leak into "
                                           "what the model is selected and scored on (rename its doc_id if it is "
                                           "another document)", unit["_line"])
            seen[unit["id"]] = f"{path}:{unit['_line']}"
        rows.extend(units)
        files.append({"path": str(path), "sha256": sha256_file(path), "units": len(units)})
    if paths and not rows:
        raise StanceframeError(f"no labelled units in {', '.join(map(str, paths))}")
    return rows, files


def training_set(config: TrainConfig, splits: dict[str, list[dict]], schema: LabelSchema, log=print) -> TrainingSet:
    """The team units (all, or a replay sample when continuing a model) plus the extra units, repeated by weight."""
    team = splits["train"]
    if not config.extra_train and not config.init_model:
        return TrainingSet(rows=team, units=team)
    extra, files = load_extra(config.extra_train, schema, splits)
    rng = random.Random(config.seed)
    replayed = team
    if config.init_model and config.replay and config.replay < len(team):
        replayed = [team[i] for i in sorted(rng.sample(range(len(team)), config.replay))]
    whole, share = divmod(config.extra_weight, 1)
    repeated = [unit for unit in extra for _ in range(int(whole))]
    repeated += [unit for unit in extra if rng.random() < share]
    for entry in files:
        entry["weight"] = config.extra_weight
    log(f"training set: {len(replayed)} team units + {len(extra)} extra units from {len(files)} file(s) "
        f"(seen {len(repeated)} times an epoch)")
    return TrainingSet(rows=replayed + repeated, units=replayed + extra, files=files,
                       replayed=len(replayed) if config.init_model else None)


def start_model(config: TrainConfig, schema: LabelSchema):
    """(model, tokenizer, max_length, inherited settings): a new model on ``base_model``, or the trained model at
    ``init_model`` (whose base encoder, pooling, kind prefix, dropout and max length are kept)."""
    if not config.init_model:
        base = resolve_base_model(config.base_model)
        model = StanceFrameModel.from_base(base, schema, pooling=config.pooling, head_dropout=config.head_dropout,
                                           kind_prefix=config.kind_prefix)
        return model, AutoTokenizer.from_pretrained(base), config.max_length, {}
    model, tokenizer, _, init_schema = load_model(config.init_model)
    if (init_schema.stance_names, init_schema.frame_names) != (schema.stance_names, schema.frame_names):
        raise StanceframeError(f"{config.init_model} was trained on other labels than {config.schema}")
    trained = read_model_json(Path(config.init_model), TRAINING_ARGS_NAME)
    inherited = {key: trained[key] for key in INHERITED if key in trained}
    return model, tokenizer, int(inherited.get("max_length", config.max_length)), inherited
