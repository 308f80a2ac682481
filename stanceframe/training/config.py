"""Settings as typed dataclasses, loadable from YAML and overridable from the command line.

``TrainConfig`` trains a model from an encoder; ``AdaptConfig`` adapts a trained model (the student) to a
user's corpus with a teacher's soft labels. Both share the optimisation settings of ``OptimSettings``.
``EnsembleConfig`` combines trained models into one. All load the same way (``Settings``).
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from stanceframe.errors import StanceframeError
from stanceframe.precision import PRECISIONS
from stanceframe.resources import DEFAULT_CONFIG, DEFAULT_SCHEMA, config_file


def _setting(default, help: str):
    return field(default=default, metadata={"help": help})


# Allowed values of the settings that are choices, checked when a config is built.
CHOICES = {"pooling": ("mean", "cls"), "class_weighting": ("inverse", "sqrt_inverse", "none"),
           "frame_pos_weight": ("sqrt", "none"), "selection_metric": ("stance", "frames", "mean"),
           "teacher_precision": PRECISIONS, "train_precision": ("auto", "bf16", "fp32"), "precision": PRECISIONS}


def _kind(f: dataclasses.Field) -> type:
    """The type a setting's values are coerced to: its default's (list for list-valued settings)."""
    return type(f.default_factory()) if f.default is dataclasses.MISSING else type(f.default)


def _default(f: dataclasses.Field):
    return f.default_factory() if f.default is dataclasses.MISSING else f.default


@dataclass
class Settings:
    """Loading from YAML and the command line, validation, and export of a settings dataclass."""

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides):
        path = config_file(path)
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise StanceframeError(f"{path}: cannot read the config ({exc.strerror})") from None
        except yaml.YAMLError as exc:
            raise StanceframeError(f"{path}: not valid YAML ({exc})") from None
        if not isinstance(raw, dict):
            raise StanceframeError(f"{path}: the config must be a mapping of settings")
        return cls.from_dict({**raw, **{k: v for k, v in overrides.items() if v is not None}}, str(path))

    @classmethod
    def from_dict(cls, raw: dict, source: str = "<config>"):
        names = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(raw) - set(names))
        if unknown:
            raise StanceframeError(f"{source}: unknown setting(s): {', '.join(unknown)}")
        values = {}
        for key, value in raw.items():
            kind = _kind(names[key])
            try:
                values[key] = _coerce(value, kind)
            except (TypeError, ValueError):
                raise StanceframeError(f"{source}: setting {key!r} must be {kind.__name__}, got {value!r}") from None
        config = cls(**values)
        config.check(source)
        return config

    def check(self, source: str) -> None:
        for key, allowed in CHOICES.items():
            if hasattr(self, key) and getattr(self, key) not in allowed:
                raise StanceframeError(f"{source}: {key} must be one of {', '.join(allowed)}")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class OptimSettings(Settings):
    """The optimisation and run settings every training loop shares."""

    epochs: int = _setting(10, "Maximum passes over the training data.")
    batch_size: int = _setting(16, "Units per optimisation step (batches are bucketed by length).")
    learning_rate: float = _setting(8e-5, "Peak learning rate of the encoder (AdamW).")
    head_learning_rate: float = _setting(1e-3, "Peak learning rate of the two heads.")
    weight_decay: float = _setting(0.01, "AdamW weight decay (not applied to biases and LayerNorm).")
    warmup_ratio: float = _setting(0.1, "Share of steps with linear warm-up; linear decay after.")
    class_weighting: str = _setting("sqrt_inverse", "Stance loss weights: 'inverse', 'sqrt_inverse' or 'none' (imbalance).")
    frame_pos_weight: str = _setting("sqrt", "Frame loss weight of positives: 'sqrt' of neg/pos (capped at 10) or 'none'.")
    frame_loss_weight: float = _setting(1.0, "Weight of the frame loss against the stance loss.")
    label_smoothing: float = _setting(0.05, "Label smoothing of the stance loss.")
    early_stopping_patience: int = _setting(3, "Stop after this many epochs without a better dev score.")
    selection_metric: str = _setting("mean", "Dev score for early stopping: 'stance' (stance macro-F1), 'frames' (frames micro-F1) or 'mean' of both.")
    train_precision: str = _setting("fp32", "Training arithmetic: 'fp32'; 'bf16' (autocast to bfloat16, fp32 master "
                                    "weights: ~2.3x faster for mpnet, 1.2x for MiniLM on CPUs with AMX/AVX512-BF16, slow "
                                    "on others); 'auto' (bf16 where the CPU runs it natively, else fp32).")
    seed: int = _setting(42, "Seed for weights, shuffling and dropout: same data + seed => same metrics.")
    num_threads: int = _setting(0, "torch threads (0 = torch's default, one per core).")
    eval_max_tokens: int = _setting(8192, "Token budget per batch when scoring dev/test.")
    progress: bool = _setting(True, "Show progress bars.")

    def check(self, source: str) -> None:
        super().check(source)
        if self.epochs < 1 or self.batch_size < 1:
            raise StanceframeError(f"{source}: epochs and batch_size must be positive")
        ranges = {"learning_rate": (0, None), "head_learning_rate": (0, None),   # (above, below): open bounds
                  "warmup_ratio": (-1e-12, 1), "label_smoothing": (-1e-12, 1), "weight_decay": (-1e-12, None),
                  "frame_loss_weight": (-1e-12, None)}
        for name, (above, below) in ranges.items():
            value = getattr(self, name)
            if not value > above or (below is not None and not value < below):
                wanted = ("> 0" if above == 0 else ">= 0") + (f" and < {below}" if below is not None else "")
                raise StanceframeError(f"{source}: {name} must be {wanted} (got {value})")
        if self.early_stopping_patience < 1:
            raise StanceframeError(f"{source}: early_stopping_patience must be at least 1")


@dataclass
class TrainConfig(OptimSettings):
    # --- data ---
    schema: str = _setting(DEFAULT_SCHEMA, "Label schema (YAML or JSON): the ordered stance and frame labels.")
    train_file: str = _setting("labels/data/train.jsonl", "Annotated units to train on (JSON Lines).")
    dev_file: str = _setting("labels/data/dev.jsonl", "Annotated units for early stopping and frame thresholds.")
    test_file: str = _setting("labels/data/test.jsonl", "Held-out annotated units scored once at the end ('' to skip).")
    max_train_units: int = _setting(0, "Use only the first N training units (0 = all); for quick runs.")
    extra_train: list = field(default_factory=list, metadata={
        "help": "Your own labelled units (annotated JSON Lines, e.g. from 'stanceframe select' + the annotate page), "
                "trained on beside the team corpus; repeat the flag (or list them) for several files."})
    extra_weight: float = _setting(1.0, "Times each extra-train unit is seen per epoch, at least 1 (2 = twice as often "
                                   "as a team unit; a fraction above 1 gives the last repeat to that share of the "
                                   "units, seeded).")
    replay: int = _setting(0, "With init_model: a seeded sample of this many team training units is mixed in with "
                           "the extra units, so the model does not forget the corpus (0 = all team units).")
    # --- model ---
    base_model: str = _setting("all-MiniLM-L6-v2", "Encoder: a local folder, a known offline name, or a hub id.")
    init_model: str = _setting("", "A trained stanceframe model directory to continue training ('' = start from "
                               "base_model); its encoder, pooling, kind prefix, max length and labels are kept.")
    output_dir: str = _setting("models/default", "Where the trained model directory is written.")
    max_length: int = _setting(256, "Tokens per unit; longer units are truncated (and flagged at inference).")
    pooling: str = _setting("mean", "Sentence vector from token states: 'mean' or 'cls'.")
    kind_prefix: bool = _setting(True, "Prefix the unit kind ('comment: ...') so the model can tell comments from reporting.")
    head_dropout: float = _setting(0.1, "Dropout before the two heads.")
    reduced_precisions: bool = _setting(True, "At the end, score bf16 and int8 on dev to record which precisions "
                                        "'--precision auto' may use (false skips it: the model then runs in fp32).")

    def check(self, source: str) -> None:
        super().check(source)
        if self.max_length < 8:
            raise StanceframeError(f"{source}: max_length must be at least 8")
        if self.extra_weight < 1 or self.replay < 0 or self.max_train_units < 0:
            raise StanceframeError(f"{source}: extra_weight must be at least 1 (below 1 some of your units would "
                                   "never be trained on), replay and max_train_units at least 0")


@dataclass
class AdaptConfig(OptimSettings):
    # --- models ---
    teacher: str = _setting("models/accurate", "Teacher model directory: scores the sample of the corpus.")
    student: str = _setting("models/default", "Student model directory: the fast model that is adapted (its "
                            "weights are the starting point; its tokenizer, max length and labels are kept).")
    output_dir: str = _setting("models/adapted", "Where the adapted model directory is written.")
    # --- the teacher-scored sample ---
    sample: int = _setting(2000, "Units of the corpus drawn at random (seeded) for the teacher to score; 0 = all.")
    cache: str = _setting("", "Teacher score cache (JSON Lines, resumable); '' = OUTPUT_DIR.teacher-cache.jsonl.")
    teacher_precision: str = _setting("auto", "Teacher precision while scoring: 'auto' (the fastest its model "
                                      "directory accepts on this CPU), 'bf16', 'int8' or 'fp32'.")
    soft_weight: float = _setting(1.0, "Weight of a teacher-scored unit's soft-target loss against a labelled unit's loss.")
    temperature: float = _setting(2.0, "Softens teacher and student distributions in the soft-target loss (loss is scaled by T²).")
    confidence_floor: float = _setting(0.5, "Teacher-scored units whose top stance probability is below this are left out.")
    # --- labelled data: '' = the student's own files (from its training_args.json) ---
    schema: str = _setting("", "Label schema; '' = the student's.")
    train_file: str = _setting("", "Labelled units trained on beside the sample; '' = the student's training file.")
    dev_file: str = _setting("", "Labelled units for early stopping and frame thresholds; '' = the student's.")
    test_file: str = _setting("", "Held-out labelled units scored at the end; '' = the student's ('none' to skip).")
    # --- optimisation: a short, gentle continuation of the student's training ---
    epochs: int = _setting(2, "Passes over labelled units + sample.")
    learning_rate: float = _setting(3e-5, "Peak learning rate of the encoder (lower than training from scratch).")
    head_learning_rate: float = _setting(3e-4, "Peak learning rate of the two heads.")
    early_stopping_patience: int = _setting(2, "Stop after this many epochs without a better dev score.")

    def check(self, source: str) -> None:
        super().check(source)
        if self.temperature <= 0 or self.soft_weight < 0 or not 0 <= self.confidence_floor < 1 or self.sample < 0:
            raise StanceframeError(f"{source}: temperature must be > 0, soft_weight >= 0, sample >= 0 and "
                                   "confidence_floor in [0, 1)")


@dataclass
class EnsembleConfig(Settings):
    members: list = field(default_factory=lambda: ["models/accurate-mpnet", "models/default"], metadata={
        "help": "Trained model directories to combine (two or more, trained on the same labels)."})
    output_dir: str = _setting("models/accurate", "Where the ensemble directory is written (members are copied in).")
    dev_file: str = _setting("labels/data/dev.jsonl", "Annotated units the weights and frame thresholds are chosen on.")
    test_file: str = _setting("labels/data/test.jsonl", "Held-out annotated units scored once at the end ('' to skip).")
    weight_step: float = _setting(0.1, "Step of the grid of member weights searched on dev (weights sum to 1).")
    selection_metric: str = _setting("mean", "Dev score the weights are chosen by: 'stance', 'frames' or 'mean' of both.")
    precision: str = _setting("auto", "Precision the members run in while the weights are chosen (as for classify).")

    def check(self, source: str) -> None:
        super().check(source)
        if len(self.members) < 2:
            raise StanceframeError(f"{source}: an ensemble needs at least two members")
        if not 0 < self.weight_step <= 0.5 or abs(round(1 / self.weight_step) * self.weight_step - 1) > 1e-9:
            raise StanceframeError(f"{source}: weight_step must divide 1 (0.05, 0.1, 0.25, ...)")


def _coerce(value, kind):
    if kind is list:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            return [str(v) for v in value]
        raise ValueError(value)
    if kind is bool:
        if isinstance(value, str):
            if value.lower() in ("true", "yes", "1"):
                return True
            if value.lower() in ("false", "no", "0"):
                return False
            raise ValueError(value)
        return bool(value)
    if kind is str:
        if value is None:
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ValueError(value)  # a list or a yes/no where a name or path belongs
        return str(value)
    if isinstance(value, bool):
        raise ValueError(value)  # yes/no where a number belongs
    if kind is int and isinstance(value, float) and not value.is_integer():
        raise ValueError(value)  # 2.5 epochs is not 2
    return kind(value)


def add_config_arguments(parser: argparse.ArgumentParser, cls=TrainConfig,
                         default_config: str | None = DEFAULT_CONFIG,
                         aliases: dict[str, str] | None = None) -> None:
    """One --option per setting (its help text from the dataclass), overriding the YAML file.
    ``aliases`` adds a second flag for a setting (``{"output_dir": "--out"}``)."""
    parser.add_argument("--config", default=default_config,
                        help="YAML file of settings, or a packaged preset's name (default, accurate, adapt, ...).")
    for f in dataclasses.fields(cls):
        flags = ["--" + f.name.replace("_", "-")] + ([aliases[f.name]] if aliases and f.name in aliases else [])
        kind = _kind(f)
        many = {"nargs": "+", "action": "extend"} if kind is list else {}  # --x a b, or --x a --x b
        parser.add_argument(*flags, dest=f.name, default=None, type=str if kind in (bool, list) else kind, **many,
                            help=f"{f.metadata['help']} (default {_default(f)!r})")


def add_resume_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--resume", action="store_true",
                        help="continue a killed run from the checkpoint of its last finished epoch "
                             "(OUTPUT_DIR/checkpoint/; the settings must be the same)")


def config_from_args(args: argparse.Namespace, cls=TrainConfig):
    overrides = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls)}
    if args.config:
        return cls.from_yaml(args.config, **overrides)
    return cls.from_dict({k: v for k, v in overrides.items() if v is not None}, "<command line>")
