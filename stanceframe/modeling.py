"""The model and its saved format: one encoder, a stance head (softmax) and a frame head (sigmoid).

A saved model is one self-describing directory; loading it needs nothing else:

    config.json         HF encoder config; stance names in id2label, frame names in frame_labels
    model.safetensors   all weights (encoder and heads)
    tokenizer files
    thresholds.json     per-frame decision thresholds, tuned on dev
    thresholds_int8.json  the same, tuned on dev for the int8-quantized model
    label_schema.json   the label schema the model was trained on
    training_args.json  the training settings
    metrics.json        dev/test metrics measured at training time
    README.md           the generated model card
"""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from transformers import AutoConfig, AutoModel, AutoTokenizer

from stanceframe.errors import ModelDirError, StanceframeError
from stanceframe.schema import LabelSchema

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
THRESHOLDS_NAME = "thresholds.json"
THRESHOLDS_INT8_NAME = "thresholds_int8.json"  # optional: frame thresholds tuned for the int8 model
SCHEMA_NAME = "label_schema.json"
TRAINING_ARGS_NAME = "training_args.json"
METRICS_NAME = "metrics.json"
MODEL_CARD_NAME = "README.md"
REQUIRED_FILES = (CONFIG_NAME, WEIGHTS_NAME, THRESHOLDS_NAME, SCHEMA_NAME)


class StanceFrameModel(nn.Module):
    """Encoder + pooling + two linear heads. ``config`` is the encoder's HF config, extended with
    ``id2label``/``label2id`` (stance), ``frame_labels``, ``pooling`` and ``kind_prefix``."""

    def __init__(self, config, encoder: nn.Module | None = None):
        super().__init__()
        self.config = config
        self.encoder = encoder if encoder is not None else AutoModel.from_config(config)
        hidden = config.hidden_size
        self.dropout = nn.Dropout(getattr(config, "head_dropout", 0.1))
        self.stance_head = nn.Linear(hidden, len(config.id2label))
        self.frame_head = nn.Linear(hidden, len(config.frame_labels))

    @property
    def stance_labels(self) -> list[str]:
        return [self.config.id2label[i] for i in range(len(self.config.id2label))]

    @property
    def frame_labels(self) -> list[str]:
        return list(self.config.frame_labels)

    @classmethod
    def from_base(cls, base_path: str, schema: LabelSchema, pooling: str = "mean",
                  head_dropout: float = 0.1, kind_prefix: bool = True) -> StanceFrameModel:
        """A new model on a pretrained encoder, with heads sized by the schema."""
        config = AutoConfig.from_pretrained(base_path)
        config.id2label = dict(enumerate(schema.stance_names))
        config.label2id = {name: i for i, name in enumerate(schema.stance_names)}
        config.frame_labels = schema.frame_names
        config.pooling = pooling
        config.head_dropout = head_dropout
        config.kind_prefix = kind_prefix
        config.architectures = ["StanceFrameModel"]
        encoder = AutoModel.from_pretrained(base_path, config=config)
        return cls(config, encoder)

    def pool(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        if self.config.pooling == "cls":
            return hidden[:, 0]
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None:
            kwargs["token_type_ids"] = token_type_ids
        hidden = self.encoder(**kwargs).last_hidden_state
        pooled = self.dropout(self.pool(hidden, attention_mask))
        return self.stance_head(pooled), self.frame_head(pooled)


def model_input_text(text: str, kind: str | None, kind_prefix: bool) -> str:
    """The string the encoder sees: the unit kind as a prefix when the model was trained so."""
    return f"{kind or 'paragraph'}: {text}" if kind_prefix else text


def save_model(directory: str | Path, model: StanceFrameModel, tokenizer, thresholds: dict[str, float],
               schema: LabelSchema, training_args: dict, metrics: dict, card: str) -> None:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model.config.save_pretrained(directory)
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(directory / WEIGHTS_NAME), metadata={"format": "pt"})
    tokenizer.save_pretrained(directory)
    write_json(directory / THRESHOLDS_NAME, thresholds)
    schema.save(directory / SCHEMA_NAME)
    write_json(directory / TRAINING_ARGS_NAME, training_args)
    write_json(directory / METRICS_NAME, metrics)
    (directory / MODEL_CARD_NAME).write_text(card, encoding="utf-8")


def check_output_dir(output_dir: str | Path, inputs=()) -> Path:
    """Refuse, before any work, an ``output_dir`` that saving a model would wrongly replace: an empty name or the
    current folder, a file, a folder with other things in it than a model or a killed run's checkpoint, or one
    that holds any of ``inputs`` (label files, a schema, a model read from). Saving replaces the whole folder."""
    from stanceframe.ensemble import ENSEMBLE_NAME

    raw = str(output_dir).strip()
    path = Path(raw)
    if raw in ("", ".", "..") or path.resolve() in (Path.cwd(), *Path.cwd().parents):
        raise StanceframeError(f"output_dir {raw!r}: name a folder of its own for the model (say models/mine)")
    if path.is_file():
        raise StanceframeError(f"output_dir {path}: is a file, not a model folder")
    for item in inputs:
        if item and (path.resolve() == Path(item).resolve() or path.resolve() in Path(item).resolve().parents):
            raise StanceframeError(f"output_dir {path}: holds {item}, an input of this run; saving the model "
                                   "replaces the whole folder (choose another output_dir)")
    if path.is_dir():
        names = {p.name for p in path.iterdir()}
        is_model = {CONFIG_NAME, WEIGHTS_NAME} <= names or ENSEMBLE_NAME in names
        if names and not is_model and names != {"checkpoint"}:
            raise StanceframeError(f"output_dir {path}: is a folder that holds other files than a model "
                                   f"({', '.join(sorted(names)[:3])}{', ...' if len(names) > 3 else ''}); saving "
                                   "the model replaces the whole folder (choose another output_dir)")
    return path


@contextlib.contextmanager
def staged_directory(output_dir: str | Path):
    """Yield a fresh folder beside ``output_dir`` to build a model directory in; on success it replaces
    ``output_dir`` (whatever was there, a run's checkpoint included), so a killed save never leaves a half-written
    model. On an error the staging folder is left for inspection and ``output_dir`` is untouched."""
    output_dir = Path(output_dir)
    staging = output_dir.with_name(output_dir.name + ".building")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    yield staging
    if output_dir.exists():
        old = output_dir.with_name(output_dir.name + ".replaced")
        shutil.rmtree(old, ignore_errors=True)
        output_dir.rename(old)
        staging.rename(output_dir)
        shutil.rmtree(old)
    else:
        staging.rename(output_dir)


def load_model(directory: str | Path):
    """Load (model, tokenizer, thresholds, schema) from a saved directory, offline."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ModelDirError(f"{directory}: no such model directory (train one with 'stanceframe train')")
    missing = [name for name in REQUIRED_FILES if not (directory / name).is_file()]
    if missing:
        raise ModelDirError(f"{directory}: not a complete stanceframe model, missing {', '.join(missing)}")
    config = AutoConfig.from_pretrained(directory)
    if not hasattr(config, "frame_labels"):
        raise ModelDirError(f"{directory}/{CONFIG_NAME}: not a stanceframe model config (no frame_labels)")
    model = StanceFrameModel(config)
    state = load_file(str(directory / WEIGHTS_NAME))
    problems = model.load_state_dict(state, strict=False)
    if problems.missing_keys or problems.unexpected_keys:
        raise ModelDirError(f"{directory}/{WEIGHTS_NAME}: weights do not fit the config "
                            f"(missing {problems.missing_keys[:3]}, unexpected {problems.unexpected_keys[:3]})")
    model.eval()
    try:
        tokenizer = AutoTokenizer.from_pretrained(directory)
    except (OSError, ValueError) as exc:
        raise ModelDirError(f"{directory}: cannot load the tokenizer ({exc})") from None
    thresholds = json.loads((directory / THRESHOLDS_NAME).read_text(encoding="utf-8"))
    schema = LabelSchema.load(directory / SCHEMA_NAME)
    if schema.stance_names != model.stance_labels or schema.frame_names != model.frame_labels:
        raise ModelDirError(f"{directory}: {SCHEMA_NAME} and {CONFIG_NAME} disagree on the labels")
    return model, tokenizer, thresholds, schema


def read_model_json(directory: str | Path, name: str) -> dict:
    path = Path(directory) / name
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def recorded_data_file(training_args: dict, split: str) -> str | None:
    """The ``split`` ('train', 'dev', 'test') file a model was trained with, as recorded in its training
    settings, where it can still be found (as given, or at the absolute path recorded beside it)."""
    for candidate in (training_args.get(f"{split}_file"), training_args.get(f"{split}_file_resolved")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def model_gold_file(model_dir: str | Path, split: str, given: str | Path | None = None) -> str:
    """``given`` when set, else the ``split`` file the model was trained with (for calibration, prediction sets
    and share corrections); a clear error when neither can be found."""
    if given:
        return str(given)
    found = recorded_data_file(read_model_json(model_dir, TRAINING_ARGS_NAME), split)
    if not found:
        from stanceframe.errors import StanceframeError

        raise StanceframeError(f"{model_dir}: the {split} file it was trained with cannot be found; "
                               f"pass your own gold units instead")
    return found


def write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
