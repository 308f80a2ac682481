"""Training settings: one typed dataclass, loadable from YAML and overridable from the command line."""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from stanceframe.errors import StanceframeError


def _setting(default, help: str):
    return field(default=default, metadata={"help": help})


@dataclass
class TrainConfig:
    # --- data ---
    schema: str = _setting("labels/schema.yaml", "Label schema (YAML or JSON): the ordered stance and frame labels.")
    train_file: str = _setting("labels/data/train.jsonl", "Annotated units to train on (JSON Lines).")
    dev_file: str = _setting("labels/data/dev.jsonl", "Annotated units for early stopping and frame thresholds.")
    test_file: str = _setting("labels/data/test.jsonl", "Held-out annotated units scored once at the end ('' to skip).")
    max_train_units: int = _setting(0, "Use only the first N training units (0 = all); for quick runs.")
    # --- model ---
    base_model: str = _setting("all-MiniLM-L6-v2", "Encoder: a local folder, a known offline name, or a hub id.")
    output_dir: str = _setting("models/default", "Where the trained model directory is written.")
    max_length: int = _setting(256, "Tokens per unit; longer units are truncated (and flagged at inference).")
    pooling: str = _setting("mean", "Sentence vector from token states: 'mean' or 'cls'.")
    kind_prefix: bool = _setting(True, "Prefix the unit kind ('comment: ...') so the model can tell comments from reporting.")
    head_dropout: float = _setting(0.1, "Dropout before the two heads.")
    # --- optimisation ---
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
    # --- run ---
    seed: int = _setting(42, "Seed for weights, shuffling and dropout: same data + seed => same metrics.")
    num_threads: int = _setting(0, "torch threads (0 = torch's default, one per core).")
    eval_max_tokens: int = _setting(8192, "Token budget per batch when scoring dev/test.")
    progress: bool = _setting(True, "Show progress bars.")

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides) -> TrainConfig:
        path = Path(path)
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise StanceframeError(f"{path}: cannot read the training config ({exc.strerror})") from None
        except yaml.YAMLError as exc:
            raise StanceframeError(f"{path}: not valid YAML ({exc})") from None
        if not isinstance(raw, dict):
            raise StanceframeError(f"{path}: the training config must be a mapping of settings")
        return cls.from_dict({**raw, **{k: v for k, v in overrides.items() if v is not None}}, str(path))

    @classmethod
    def from_dict(cls, raw: dict, source: str = "<config>") -> TrainConfig:
        names = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(raw) - set(names))
        if unknown:
            raise StanceframeError(f"{source}: unknown setting(s): {', '.join(unknown)}")
        values = {}
        for key, value in raw.items():
            kind = type(names[key].default)
            try:
                values[key] = _coerce(value, kind)
            except (TypeError, ValueError):
                raise StanceframeError(f"{source}: setting {key!r} must be {kind.__name__}, got {value!r}") from None
        config = cls(**values)
        config.check(source)
        return config

    def check(self, source: str) -> None:
        choices = {"pooling": ("mean", "cls"), "class_weighting": ("inverse", "sqrt_inverse", "none"),
                   "frame_pos_weight": ("sqrt", "none"), "selection_metric": ("stance", "frames", "mean")}
        for key, allowed in choices.items():
            if getattr(self, key) not in allowed:
                raise StanceframeError(f"{source}: {key} must be one of {', '.join(allowed)}")
        if self.epochs < 1 or self.batch_size < 1 or self.max_length < 8:
            raise StanceframeError(f"{source}: epochs, batch_size and max_length must be positive")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _coerce(value, kind):
    if kind is bool:
        if isinstance(value, str):
            if value.lower() in ("true", "yes", "1"):
                return True
            if value.lower() in ("false", "no", "0"):
                return False
            raise ValueError(value)
        return bool(value)
    if kind is str and value is None:
        return ""
    return kind(value)


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """One --option per setting (its help text from the dataclass), overriding the YAML file."""
    parser.add_argument("--config", default="train/configs/default.yaml", help="YAML file of settings.")
    for f in dataclasses.fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        kind = type(f.default)
        parser.add_argument(flag, dest=f.name, default=None, type=str if kind is bool else kind,
                            help=f"{f.metadata['help']} (default {f.default!r})")


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    overrides = {f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)}
    return TrainConfig.from_yaml(args.config, **overrides)
