"""The training loop: length-bucketed batches, weighted losses, early stopping, threshold tuning."""

from __future__ import annotations

import copy
import math
import random
import time
from pathlib import Path

import numpy as np
import torch
from datasets import Dataset
from tqdm.auto import tqdm
from transformers import AutoTokenizer, get_linear_schedule_with_warmup

from stanceframe.card import model_card
from stanceframe.data import label_counts, load_splits
from stanceframe.encoders import resolve_base_model
from stanceframe.errors import StanceframeError
from stanceframe.modeling import THRESHOLDS_INT8_NAME, StanceFrameModel, model_input_text, save_model, write_json
from stanceframe.predict import decide, predict_probs
from stanceframe.schema import LabelSchema
from stanceframe.scoring import multi_label_scores, single_label_scores, tune_thresholds
from train.config import TrainConfig


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


def stance_class_weights(labels: np.ndarray, n: int, mode: str) -> torch.Tensor | None:
    if mode == "none":
        return None
    counts = np.bincount(labels, minlength=n).astype(np.float64)
    weights = np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / n, 0.0)
    if mode == "sqrt_inverse":
        weights = np.sqrt(weights)
    return torch.tensor(weights / weights[counts > 0].mean(), dtype=torch.float32)


def frame_pos_weights(targets: np.ndarray, mode: str) -> torch.Tensor | None:
    if mode == "none":
        return None
    pos = targets.sum(0)
    neg = len(targets) - pos
    return torch.tensor(np.clip(np.sqrt(neg / np.maximum(pos, 1)), 1.0, 10.0), dtype=torch.float32)


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


def score_split(model, tokenizer, rows, schema: LabelSchema, thresholds, config: TrainConfig):
    """Probabilities and metrics of a model on annotated rows."""
    stance_p, frame_p, _ = predict_probs(model, tokenizer, [r["text"] for r in rows], [r["kind"] for r in rows],
                                         max_length=config.max_length, max_tokens=config.eval_max_tokens)
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


def tune_int8(model, tokenizer, splits, schema, config: TrainConfig, metrics: dict) -> dict[str, float]:
    """Frame thresholds for the int8-quantized model, tuned on dev; its dev/test scores go into ``metrics``."""
    from infer.classify import quantize_int8

    quantized = quantize_int8(copy.deepcopy(model))
    metrics["int8"] = {}
    metrics["int8"]["dev"], thresholds = score_split(quantized, tokenizer, splits["dev"], schema, None, config)
    if splits.get("test"):
        metrics["int8"]["test"], _ = score_split(quantized, tokenizer, splits["test"], schema, thresholds, config)
    return thresholds


def selection_score(metrics: dict, mode: str) -> float:
    stance, frames = metrics["stance"]["macro_f1"], metrics["frames"]["micro_f1"]
    return {"stance": stance, "frames": frames, "mean": (stance + frames) / 2}[mode]


def train(config: TrainConfig, log=print) -> dict:
    """Train, select the best epoch on dev, tune frame thresholds, score test, save. Returns metrics."""
    started = time.time()
    set_seed(config.seed)
    if config.num_threads:
        torch.set_num_threads(config.num_threads)
    schema = LabelSchema.load(config.schema)
    files = {"train": config.train_file, "dev": config.dev_file}
    if config.test_file:
        files["test"] = config.test_file
    splits, _ = load_splits(files, schema)  # raises on the first label-file error, before any training
    train_rows = splits["train"][: config.max_train_units or None]
    if not train_rows or not splits["dev"]:
        raise StanceframeError("the training and dev files must each hold at least one unit")
    counts = {name: label_counts(rows, schema) for name, rows in splits.items()}
    log(f"data: {len(train_rows)} train / {len(splits['dev'])} dev"
        + (f" / {len(splits['test'])} test" if "test" in splits else "") + " units")

    base = resolve_base_model(config.base_model)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = StanceFrameModel.from_base(base, schema, pooling=config.pooling, head_dropout=config.head_dropout,
                                       kind_prefix=config.kind_prefix)

    def tokenize(batch):
        texts = [model_input_text(t, k, config.kind_prefix) for t, k in zip(batch["text"], batch["kind"])]
        return tokenizer(texts, truncation=True, max_length=config.max_length)

    dataset = Dataset.from_list([{"text": r["text"], "kind": r["kind"]} for r in train_rows])
    dataset = dataset.map(tokenize, batched=True, remove_columns=["text", "kind"])
    lengths = [len(ids) for ids in dataset["input_ids"]]
    stance_targets = np.array([schema.stance_names.index(r["stance"]) for r in train_rows])
    frame_targets = multi_hot(train_rows, schema.frame_names)

    stance_loss_fn = torch.nn.CrossEntropyLoss(
        weight=stance_class_weights(stance_targets, len(schema.stance_names), config.class_weighting),
        label_smoothing=config.label_smoothing)
    frame_loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=frame_pos_weights(frame_targets, config.frame_pos_weight))

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
    steps_per_epoch = math.ceil(len(train_rows) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, int(config.warmup_ratio * total_steps), total_steps)
    rng = np.random.default_rng(config.seed)

    best = {"score": -1.0, "epoch": 0, "state": None}
    history = []
    for epoch in range(1, config.epochs + 1):
        model.train()
        batches = epoch_batches(lengths, config.batch_size, rng)
        total = 0.0
        bar = tqdm(batches, desc=f"epoch {epoch}/{config.epochs}", disable=not config.progress, leave=False)
        for idx in bar:
            features = [{k: dataset[int(i)][k] for k in dataset.column_names} for i in idx]
            batch = tokenizer.pad(features, return_tensors="pt")
            stance_logits, frame_logits = model(**batch)
            loss = stance_loss_fn(stance_logits, torch.from_numpy(stance_targets[idx])) + \
                config.frame_loss_weight * frame_loss_fn(frame_logits, torch.from_numpy(frame_targets[idx]))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            total += loss.item()
            bar.set_postfix(loss=f"{loss.item():.3f}")
        dev_metrics, _ = score_split(model, tokenizer, splits["dev"], schema, None, config)
        score = selection_score(dev_metrics, config.selection_metric)
        history.append({"epoch": epoch, "train_loss": total / max(len(batches), 1),
                        "dev_stance_macro_f1": dev_metrics["stance"]["macro_f1"],
                        "dev_frames_micro_f1": dev_metrics["frames"]["micro_f1"], "dev_score": score})
        log(f"epoch {epoch}: train loss {history[-1]['train_loss']:.4f}, dev stance macro-F1 "
            f"{dev_metrics['stance']['macro_f1']:.3f}, frames micro-F1 {dev_metrics['frames']['micro_f1']:.3f}")
        if score > best["score"]:
            best = {"score": score, "epoch": epoch, "state": copy.deepcopy(model.state_dict())}
        elif epoch - best["epoch"] >= config.early_stopping_patience:
            log(f"early stop: no better dev score for {config.early_stopping_patience} epochs")
            break

    model.load_state_dict(best["state"])
    dev_metrics, thresholds = score_split(model, tokenizer, splits["dev"], schema, None, config)
    metrics = {"best_epoch": best["epoch"], "epochs_run": len(history), "history": history,
               "train_seconds": time.time() - started, "dev": dev_metrics}
    if "test" in splits and splits["test"]:
        metrics["test"], _ = score_split(model, tokenizer, splits["test"], schema, thresholds, config)
    int8_thresholds = tune_int8(model, tokenizer, splits, schema, config, metrics)
    settings = config.to_dict() | {"train_file_resolved": str(Path(config.train_file).resolve())}
    card = model_card(schema, settings, metrics, counts, thresholds)
    save_model(config.output_dir, model, tokenizer, thresholds, schema, settings, metrics, card)
    write_json(Path(config.output_dir) / THRESHOLDS_INT8_NAME, int8_thresholds)
    log(f"saved {config.output_dir} (best epoch {best['epoch']}; dev stance macro-F1 "
        f"{dev_metrics['stance']['macro_f1']:.3f}, frames micro-F1 {dev_metrics['frames']['micro_f1']:.3f}"
        + (f"; test {metrics['test']['stance']['macro_f1']:.3f} / {metrics['test']['frames']['micro_f1']:.3f}"
           if "test" in metrics else "") + ")")
    return metrics
