"""Scoring texts with a model: length-sorted dynamic batches under ``torch.inference_mode``."""

from __future__ import annotations

import numpy as np
import torch

from stanceframe.modeling import StanceFrameModel, model_input_text


def length_batches(lengths: list[int], max_units: int, max_tokens: int) -> list[list[int]]:
    """Group indices sorted by length so that each padded batch stays under the token budget."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches, current, longest = [], [], 0
    for i in order:
        longest_if_added = max(longest, lengths[i])
        if current and (len(current) >= max_units or longest_if_added * (len(current) + 1) > max_tokens):
            batches.append(current)
            current, longest_if_added = [], lengths[i]
        current.append(i)
        longest = longest_if_added
    if current:
        batches.append(current)
    return batches


def encode(tokenizer, texts: list[str], kinds: list[str | None], max_length: int, kind_prefix: bool):
    """Tokenize once, truncating to ``max_length``; returns per-text encodings and a truncated flag each."""
    inputs = [model_input_text(t, k, kind_prefix) for t, k in zip(texts, kinds)]
    enc = tokenizer(inputs, truncation=True, max_length=max_length, return_overflowing_tokens=True)
    mapping = enc.pop("overflow_to_sample_mapping", None)
    if mapping is None:  # slow tokenizers: no overflow mapping, so no truncation flag either
        return {k: list(v) for k, v in enc.items()} | {"length": [len(x) for x in enc["input_ids"]]}, [False] * len(texts)
    first: dict[int, int] = {}
    windows = [0] * len(texts)
    for row, sample in enumerate(mapping):
        first.setdefault(sample, row)
        windows[sample] += 1
    keep = [first[i] for i in range(len(texts))]
    out = {k: [v[r] for r in keep] for k, v in enc.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
    out["length"] = [len(ids) for ids in out["input_ids"]]
    return out, [w > 1 for w in windows]


def collate(tokenizer, enc, idx: list[int]) -> dict[str, torch.Tensor]:
    features = [{k: enc[k][i] for k in ("input_ids", "attention_mask", "token_type_ids") if k in enc}
                for i in idx]
    return tokenizer.pad(features, return_tensors="pt")


@torch.inference_mode()
def predict_probs(model: StanceFrameModel, tokenizer, texts: list[str], kinds: list[str | None] | None = None,
                  max_length: int = 256, max_units: int = 64, max_tokens: int = 8192):
    """Stance probabilities (n × S), frame probabilities (n × F) and a truncated flag per text."""
    n = len(texts)
    kinds = kinds if kinds is not None else [None] * n
    stance = np.zeros((n, len(model.stance_labels)), dtype=np.float32)
    frames = np.zeros((n, len(model.frame_labels)), dtype=np.float32)
    if n == 0:
        return stance, frames, []
    was_training = model.training
    model.eval()
    enc, truncated = encode(tokenizer, texts, kinds, max_length, getattr(model.config, "kind_prefix", False))
    for idx in length_batches(enc["length"], max_units, max_tokens):
        batch = collate(tokenizer, enc, idx)
        s_logits, f_logits = model(**batch)
        stance[idx] = torch.softmax(s_logits.float(), dim=-1).numpy()
        frames[idx] = torch.sigmoid(f_logits.float()).numpy()
    model.train(was_training)
    return stance, frames, truncated


def decide(stance_probs: np.ndarray, frame_probs: np.ndarray, stance_labels: list[str],
           frame_labels: list[str], thresholds: dict[str, float]):
    """Turn probabilities into a stance label and a frame list per unit."""
    cut = np.array([thresholds.get(f, 0.5) for f in frame_labels], dtype=np.float32)
    stances = [stance_labels[i] for i in stance_probs.argmax(axis=1)]
    frames = [[frame_labels[j] for j in np.flatnonzero(row >= cut)] for row in frame_probs]
    return stances, frames
