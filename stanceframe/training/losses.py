"""Loss pieces: class and positive weights for labelled units, and the soft-target loss for teacher-scored ones."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

EPS = 1e-6  # keeps logs and logits of teacher probabilities finite


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


def soft_target_loss(stance_logits: torch.Tensor, frame_logits: torch.Tensor, teacher_stance: torch.Tensor,
                     teacher_frames: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Knowledge-distillation loss against a teacher's probabilities (Hinton et al., 2015).

    Stance: KL(teacher ‖ student) of the two softmax distributions, both softened by ``temperature``.
    Frames: the binary KL of each frame's sigmoid probability, both softened the same way (logit / T),
    averaged over units and frames as the labelled units' frame loss is.
    The sum is scaled by T² so that its gradients keep their size as T changes. It is zero exactly when the
    student's probabilities equal the teacher's.
    """
    t = float(temperature)
    soft_stance = torch.softmax(torch.log(teacher_stance.clamp_min(EPS)) / t, dim=-1)
    stance = F.kl_div(F.log_softmax(stance_logits / t, dim=-1), soft_stance, reduction="batchmean")
    soft_frames = torch.sigmoid(torch.logit(teacher_frames.clamp(EPS, 1 - EPS)) / t)
    entropy = -(soft_frames * torch.log(soft_frames) + (1 - soft_frames) * torch.log(1 - soft_frames))
    frames = F.binary_cross_entropy_with_logits(frame_logits / t, soft_frames, reduction="none") - entropy
    return (stance + frames.mean()) * t * t
