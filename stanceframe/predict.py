"""Scoring texts with a model: length-sorted dynamic batches under ``torch.inference_mode``."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import itertools

import numpy as np
import torch

from stanceframe.modeling import StanceFrameModel, model_input_text

# Sequence lengths are padded up to a multiple of this, and batches hold a power-of-two number of units, so a
# run meets few distinct tensor shapes. oneDNN (bf16) builds and caches kernels and scratch memory per shape:
# with free shapes bf16 runs peaked at 1.5 GB (20,000 units) and 1.9 GB (200,000); with these at most 16 widths x
# 7 batch sizes they peak at 0.67 and 0.74 GB (benchmarks/memory.py, 2026-12-06).
PAD_MULTIPLE = 16


def padded_length(length: int, multiple: int) -> int:
    return -(-length // multiple) * multiple


def largest_power_of_two(n: int) -> int:
    return 1 << (max(n, 1).bit_length() - 1)


def length_batches(lengths: list[int], max_units: int, max_tokens: int, multiple: int = 1) -> list[list[int]]:
    """Index batches, shortest units first. Units are grouped by length padded up to ``multiple``; each batch
    holds a power-of-two number of units (at most ``max_units``) whose padded size stays under ``max_tokens``."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches = []
    for padded, group in itertools.groupby(order, key=lambda i: padded_length(lengths[i], multiple)):
        members = list(group)
        cap = largest_power_of_two(min(max_units, max_tokens // padded))
        full = len(members) - len(members) % cap
        batches += [members[start:start + cap] for start in range(0, full, cap)]
        rest = members[full:]
        while rest:  # the remainder in power-of-two pieces: 45 units → 32 + 8 + 4 + 1
            size = largest_power_of_two(len(rest))
            batches.append(rest[:size])
            rest = rest[size:]
    return batches


def release_memory() -> None:
    """Hand freed heap memory back to the OS (glibc only; elsewhere a no-op). Variable-size activations
    fragment the heap; trimming once per chunk keeps the resident size level over long runs."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


@functools.cache
def _libc():
    """glibc with ``malloc_trim``, loaded once; None where there is none (macOS, Windows, musl)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    return None


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


def collate(tokenizer, enc, idx: list[int], multiple: int = 1) -> dict[str, torch.Tensor]:
    features = [{k: enc[k][i] for k in ("input_ids", "attention_mask", "token_type_ids") if k in enc}
                for i in idx]
    return tokenizer.pad(features, return_tensors="pt", pad_to_multiple_of=multiple if multiple > 1 else None)


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
    for idx in length_batches(enc["length"], max_units, max_tokens, PAD_MULTIPLE):
        batch = collate(tokenizer, enc, idx, PAD_MULTIPLE)
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
