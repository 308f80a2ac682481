"""The training loop: length-bucketed batches, weighted losses, early stopping, threshold tuning."""

from __future__ import annotations

import copy
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path

import datasets
import numpy as np
import torch
from datasets import Dataset
from tqdm.auto import tqdm
from transformers import get_linear_schedule_with_warmup

from stanceframe.calibration import fit_on_rows
from stanceframe.card import model_card
from stanceframe.data import label_counts, load_splits
from stanceframe.errors import StanceframeError
from stanceframe.modeling import (
    THRESHOLDS_INT8_NAME,
    StanceFrameModel,
    check_output_dir,
    model_input_text,
    save_model,
    staged_directory,
    write_json,
)
from stanceframe.precision import REDUCED, accepted_precisions, in_precision, training_precision
from stanceframe.predict import decide, predict_probs
from stanceframe.provenance import provenance
from stanceframe.resources import schema_file
from stanceframe.schema import LabelSchema
from stanceframe.scoring import multi_label_scores, single_label_scores, tune_thresholds
from stanceframe.training.checkpoint import checkpoint_path, epoch_state, load_checkpoint, resume_from, save_checkpoint
from stanceframe.training.config import OptimSettings, TrainConfig
from stanceframe.training.extra import start_model, training_set
from stanceframe.training.losses import frame_pos_weights, soft_target_loss, stance_class_weights


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def multi_hot(rows: list[dict], frame_names: list[str]) -> np.ndarray:
    index = {name: j for j, name in enumerate(frame_names)}
    out = np.zeros((len(rows), len(frame_names)), dtype=np.float32)
    for i, row in enumerate(rows):
        for frame in row["frames"]:
            out[i, index[frame]] = 1.0
    return out


def epoch_batches(lengths: list[int], batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffle, then sort within pools of 50 batches by length so padding stays small; shuffle batches."""
    order = rng.permutation(len(lengths))
    pool = batch_size * 50
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start:start + pool], key=lambda i: lengths[i])
        batches.extend(np.array(chunk[k:k + batch_size]) for k in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def score_split(model, tokenizer, rows, schema: LabelSchema, thresholds, max_length: int, max_tokens: int = 8192):
    """Metrics of a model on annotated rows; frame thresholds are tuned on them when ``thresholds`` is None."""
    stance_p, frame_p, _ = predict_probs(model, tokenizer, [r["text"] for r in rows], [r["kind"] for r in rows],
                                         max_length=max_length, max_tokens=max_tokens)
    return score_probs(stance_p, frame_p, rows, schema, thresholds)


def score_probs(stance_p: np.ndarray, frame_p: np.ndarray, rows: list[dict], schema: LabelSchema, thresholds):
    """Metrics of stance and frame probabilities against annotated rows; frame thresholds are tuned on the
    rows when ``thresholds`` is None. Returns the metrics and the thresholds used."""
    stance_true = np.array([schema.stance_names.index(r["stance"]) for r in rows])
    frames_true = multi_hot(rows, schema.frame_names).astype(bool)
    if thresholds is None:
        thresholds = tune_thresholds(frames_true, frame_p, schema.frame_names)
    stances, frames = decide(stance_p, frame_p, schema.stance_names, schema.frame_names, thresholds)
    frames_pred = multi_hot([{"frames": f} for f in frames], schema.frame_names).astype(bool)
    metrics = {"n": len(rows),
               "stance": single_label_scores(stance_true, [schema.stance_names.index(s) for s in stances],
                                             schema.stance_names),
               "frames": multi_label_scores(frames_true, frames_pred, schema.frame_names)}
    return metrics, thresholds


def selection_score(metrics: dict, mode: str) -> float:
    stance, frames = metrics["stance"]["macro_f1"], metrics["frames"]["micro_f1"]
    return {"stance": stance, "frames": frames, "mean": (stance + frames) / 2}[mode]


@dataclass
class Targets:
    """What each training unit is trained towards: a gold label, or a teacher's probabilities."""

    stance: np.ndarray                      # (n,) stance index; -1 marks a teacher-scored unit
    frames: np.ndarray                      # (n, F) gold multi-hot (zeros for teacher-scored units)
    soft_stance: np.ndarray | None = None   # (n, S) teacher stance probabilities (used where stance == -1)
    soft_frames: np.ndarray | None = None   # (n, F) teacher frame probabilities (used where stance == -1)

    @classmethod
    def gold(cls, rows: list[dict], schema: LabelSchema) -> Targets:
        return cls(np.array([schema.stance_names.index(r["stance"]) for r in rows]), multi_hot(rows, schema.frame_names))


def make_batch_loss(targets: Targets, schema: LabelSchema, config: OptimSettings, soft_weight: float = 0.0,
                    temperature: float = 1.0):
    """loss(idx, stance_logits, frame_logits) for a batch of unit indices: the weighted cross-entropies on
    labelled units plus ``soft_weight`` × the soft-target loss on teacher-scored units, each by its share."""
    gold = targets.stance >= 0
    stance_loss_fn = torch.nn.CrossEntropyLoss(
        weight=stance_class_weights(targets.stance[gold], len(schema.stance_names), config.class_weighting),
        label_smoothing=config.label_smoothing)
    frame_loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=frame_pos_weights(targets.frames[gold], config.frame_pos_weight))

    def batch_loss(idx: np.ndarray, stance_logits: torch.Tensor, frame_logits: torch.Tensor) -> torch.Tensor:
        hard = torch.from_numpy(gold[idx])
        loss = stance_logits.new_zeros(())
        if hard.any():
            loss = loss + hard.float().mean() * (
                stance_loss_fn(stance_logits[hard], torch.from_numpy(targets.stance[idx])[hard])
                + config.frame_loss_weight * frame_loss_fn(frame_logits[hard], torch.from_numpy(targets.frames[idx])[hard]))
        soft = ~hard
        if soft.any() and soft_weight > 0:
            loss = loss + soft.float().mean() * soft_weight * soft_target_loss(
                stance_logits[soft], frame_logits[soft], torch.from_numpy(targets.soft_stance[idx])[soft],
                torch.from_numpy(targets.soft_frames[idx])[soft], temperature)
        return loss

    return batch_loss


def make_optimizer(model: StanceFrameModel, config: OptimSettings, total_steps: int):
    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight")
    groups = [
        {"params": [p for n, p in model.encoder.named_parameters() if not n.endswith(no_decay)],
         "lr": config.learning_rate, "weight_decay": config.weight_decay},
        {"params": [p for n, p in model.encoder.named_parameters() if n.endswith(no_decay)],
         "lr": config.learning_rate, "weight_decay": 0.0},
        {"params": list(model.stance_head.parameters()) + list(model.frame_head.parameters()),
         "lr": config.head_learning_rate, "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(config.warmup_ratio * total_steps), total_steps)
    return optimizer, scheduler


def fit(model: StanceFrameModel, tokenizer, units: list[dict], batch_loss, dev_rows: list[dict], schema: LabelSchema,
        config: OptimSettings, max_length: int, log=print, checkpoint: Path | None = None, resume: bool = False) -> dict:
    """The epoch loop: length-bucketed batches, early stopping on dev. Leaves the best epoch's weights in
    ``model``; returns the best epoch, epochs run and per-epoch history. With ``checkpoint`` each epoch's state is
    saved there, and ``resume`` continues from the one saved (see ``stanceframe.training.checkpoint``)."""
    kind_prefix = bool(getattr(model.config, "kind_prefix", False))

    def tokenize(batch):
        texts = [model_input_text(t, k, kind_prefix) for t, k in zip(batch["text"], batch["kind"])]
        return tokenizer(texts, truncation=True, max_length=max_length)

    if not config.progress:
        datasets.disable_progress_bars()
    dataset = Dataset.from_list([{"text": u["text"], "kind": u.get("kind")} for u in units])
    dataset = dataset.map(tokenize, batched=True, remove_columns=["text", "kind"])
    lengths = [len(ids) for ids in dataset["input_ids"]]
    optimizer, scheduler = make_optimizer(model, config, math.ceil(len(units) / config.batch_size) * config.epochs)
    rng = np.random.default_rng(config.seed)
    bf16 = training_precision(config.train_precision) == "bf16"

    best = {"score": -1.0, "epoch": 0, "state": None}
    history, first = [], 1
    if checkpoint and resume and checkpoint.exists():
        saved = load_checkpoint(checkpoint, config.to_dict())
        best, history = resume_from(saved, model, optimizer, scheduler, rng)
        first = config.epochs + 1 if saved["stopped"] else saved["epoch"] + 1  # an early-stopped run only finishes
        log(f"resumed from {checkpoint} after epoch {saved['epoch']}")
    elif resume:
        log(f"no checkpoint at {checkpoint}: starting from the first epoch")
    for epoch in range(first, config.epochs + 1):
        model.train()
        batches = epoch_batches(lengths, config.batch_size, rng)
        total = 0.0
        bar = tqdm(batches, desc=f"epoch {epoch}/{config.epochs}", disable=not config.progress, leave=False)
        for idx in bar:
            features = [{k: dataset[int(i)][k] for k in dataset.column_names} for i in idx]
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                stance_logits, frame_logits = model(**tokenizer.pad(features, return_tensors="pt"))
            loss = batch_loss(idx, stance_logits.float(), frame_logits.float())
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            total += loss.item()
            bar.set_postfix(loss=f"{loss.item():.3f}")
        dev_metrics, _ = score_split(model, tokenizer, dev_rows, schema, None, max_length, config.eval_max_tokens)
        score = selection_score(dev_metrics, config.selection_metric)
        history.append({"epoch": epoch, "train_loss": total / max(len(batches), 1),
                        "dev_stance_macro_f1": dev_metrics["stance"]["macro_f1"],
                        "dev_frames_micro_f1": dev_metrics["frames"]["micro_f1"], "dev_score": score})
        log(f"epoch {epoch}: train loss {history[-1]['train_loss']:.4f}, dev stance macro-F1 "
            f"{dev_metrics['stance']['macro_f1']:.3f}, frames micro-F1 {dev_metrics['frames']['micro_f1']:.3f}")
        if score > best["score"]:
            best = {"score": score, "epoch": epoch, "state": copy.deepcopy(model.state_dict())}
        stopped = best["epoch"] < epoch and epoch - best["epoch"] >= config.early_stopping_patience
        if stopped:
            log(f"early stop: no better dev score for {config.early_stopping_patience} epochs")
        if checkpoint:
            save_checkpoint(checkpoint, epoch_state(epoch, model, optimizer, scheduler, rng, best, history,
                                                    config.to_dict(), stopped))
        if stopped:
            break
    model.load_state_dict(best["state"])
    return {"best_epoch": best["epoch"], "epochs_run": len(history), "history": history,
            "train_precision": "bf16" if bf16 else "fp32"}



def finish(model: StanceFrameModel, tokenizer, splits: dict, schema: LabelSchema, settings: dict, metrics: dict,
           counts: dict, output_dir: str | Path, max_length: int, max_tokens: int = 8192,
           card_extra: dict | None = None, log=print, precisions: bool = True) -> dict:
    """Tune frame thresholds on dev (fp32 and int8), score test, write the model directory. Returns metrics.
    Without ``precisions`` bf16 and int8 are not measured and the model is recorded as fp32-only."""
    dev_metrics, thresholds = score_split(model, tokenizer, splits["dev"], schema, None, max_length, max_tokens)
    metrics["dev"] = dev_metrics
    if splits.get("test"):
        metrics["test"], _ = score_split(model, tokenizer, splits["test"], schema, thresholds, max_length, max_tokens)
    int8_thresholds = thresholds
    if precisions:
        int8_thresholds = measure_precisions(model, tokenizer, splits, schema, metrics, thresholds, max_length,
                                             max_tokens)
    else:
        model.config.inference_precisions = metrics["inference_precisions"] = ["fp32"]
    calibration = fit_calibration(model, tokenizer, splits["dev"], schema, settings.get("dev_file"), max_length,
                                  max_tokens)
    card = model_card(schema, settings, metrics, counts, thresholds, extra=card_extra)
    with staged_directory(output_dir) as staging:  # built beside output_dir, then swapped in
        save_model(staging, model, tokenizer, thresholds, schema, settings, metrics, card)
        write_json(staging / THRESHOLDS_INT8_NAME, int8_thresholds)
        calibration.save(staging)
    log(f"saved {output_dir} (best epoch {metrics.get('best_epoch')}; dev stance macro-F1 "
        f"{dev_metrics['stance']['macro_f1']:.3f}, frames micro-F1 {dev_metrics['frames']['micro_f1']:.3f}"
        + (f"; test {metrics['test']['stance']['macro_f1']:.3f} / {metrics['test']['frames']['micro_f1']:.3f}"
           if "test" in metrics else "") + f"; precisions within bound: {', '.join(metrics['inference_precisions'])})")
    return metrics


def fit_calibration(model, tokenizer, dev_rows: list[dict], schema: LabelSchema, dev_file: str | None,
                    max_length: int, max_tokens: int):
    """Temperature (stance) and per-frame scaling fitted on dev (see ``stanceframe.calibration``)."""
    stance_p, frame_p, _ = predict_probs(model, tokenizer, [r["text"] for r in dev_rows], [r["kind"] for r in dev_rows],
                                         max_length=max_length, max_tokens=max_tokens)
    return fit_on_rows(stance_p, frame_p, dev_rows, schema.stance_names, schema.frame_names,
                       {"split": "dev", "file": dev_file})


def measure_precisions(model, tokenizer, splits, schema, metrics: dict, thresholds: dict[str, float],
                       max_length: int, max_tokens: int) -> dict[str, float]:
    """Score each reduced precision on dev and test into ``metrics[precision]`` and record the ones accepted on dev,
    fastest first, in ``model.config.inference_precisions`` (what "auto" reads). int8 gets its own frame thresholds,
    tuned on dev, which are returned; bf16 rounds the fp32 model and keeps ``thresholds``."""
    int8_thresholds = thresholds
    for precision in REDUCED:
        reduced = in_precision(model, precision, copy_model=True)
        own = None if precision == "int8" else thresholds
        metrics[precision] = {}
        metrics[precision]["dev"], tuned = score_split(reduced, tokenizer, splits["dev"], schema, own, max_length,
                                                       max_tokens)
        if splits.get("test"):
            metrics[precision]["test"], _ = score_split(reduced, tokenizer, splits["test"], schema, tuned, max_length,
                                                        max_tokens)
        if precision == "int8":
            int8_thresholds = tuned
        del reduced
    model.config.inference_precisions = accepted_precisions(metrics)
    metrics["inference_precisions"] = model.config.inference_precisions
    return int8_thresholds


def load_labelled(files: dict[str, str], schema: LabelSchema, limit: int = 0, log=print):
    """The annotated splits (validated; the first label-file error raises) and their label counts."""
    splits, _ = load_splits(files, schema)
    splits["train"] = splits["train"][: limit or None]
    if not splits["train"] or not splits["dev"]:
        raise StanceframeError("the training and dev files must each hold at least one unit")
    log(f"data: {len(splits['train'])} train / {len(splits['dev'])} dev"
        + (f" / {len(splits['test'])} test" if splits.get("test") else "") + " units")
    return splits, {name: label_counts(rows, schema) for name, rows in splits.items()}


def train(config: TrainConfig, log=print, resume: bool = False) -> dict:
    """Train, select the best epoch on dev, tune frame thresholds, score test, save. Returns metrics.
    Each epoch is checkpointed under ``config.output_dir``; ``resume`` continues a killed run from there.
    With ``extra_train`` / ``init_model`` the user's labels join the team corpus (``training.extra``)."""
    started = time.time()
    check_output_dir(config.output_dir, [config.schema, config.train_file, config.dev_file, config.test_file,
                                         *config.extra_train, config.init_model])
    set_seed(config.seed)
    if config.num_threads:
        torch.set_num_threads(config.num_threads)
    schema = LabelSchema.load(config.schema)
    files = {"train": config.train_file, "dev": config.dev_file} | ({"test": config.test_file} if config.test_file else {})
    splits, counts = load_labelled(files, schema, config.max_train_units, log)
    team_units = len(splits["train"])
    data = training_set(config, splits, schema, log)
    counts["train"] = label_counts(data.units, schema)

    model, tokenizer, max_length, inherited = start_model(config, schema)
    batch_loss = make_batch_loss(Targets.gold(data.rows, schema), schema, config)
    metrics = fit(model, tokenizer, data.rows, batch_loss, splits["dev"], schema, config, max_length, log,
                  checkpoint=checkpoint_path(config.output_dir), resume=resume)
    metrics["train_seconds"] = time.time() - started
    extra_files = {f"train_extra{i}": entry["path"] for i, entry in enumerate(data.files, 1)}
    settings = config.to_dict() | inherited | {
        f"{split}_file_resolved": str(Path(path).resolve()) for split, path in files.items()} | {
        "extra_train_files": data.files,
        "provenance": provenance({"schema": schema_file(config.schema), **files, **extra_files})}
    return finish(model, tokenizer, splits, schema, settings, metrics, counts, config.output_dir, max_length,
                  config.eval_max_tokens, card_extra=data.card(config, team_units), log=log,
                  precisions=config.reduced_precisions)
