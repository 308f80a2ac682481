"""Inference precision: which numeric format a model runs in, and which one "auto" picks.

- ``fp32``: the trained weights as they are.
- ``bf16``: weights and activations in bfloat16. On CPUs with native bfloat16 (AMX or AVX512-BF16, e.g. Intel
  Sapphire Rapids and later) oneDNN runs it about 3x faster than fp32; elsewhere it is emulated and slow.
- ``int8``: dynamic quantization (int8 weights, activations quantized on the fly) of the encoder's feed-forward
  layers; faster than fp32 on any AVX2/AVX-512 CPU, less faithful than bf16. **Deprecated upstream:** it runs
  through ``torch.ao.quantization.quantize_dynamic``, which PyTorch has deprecated in favour of torchao (it
  still works in torch 2.13, the version pinned here). torchao is not installable on this project's machines, so
  the move is not made yet; when torch drops the old path, ``int8`` must move to torchao (or ONNX Runtime), be
  measured again, or be dropped, and ``auto`` then falls back to the next accepted precision.

At training time each reduced precision is scored against fp32 on dev (and on test, for the record only: the test
split chooses nothing); the ones within
``PRECISION_BOUND`` are written into the model's config (``inference_precisions``, fastest first). "auto" takes the
first of them that this CPU runs natively. (torch is imported inside the functions, so that the CLI can read the
constants without loading it.)
"""

from __future__ import annotations

import copy
import warnings

PRECISIONS = ("auto", "bf16", "int8", "fp32")
DEFAULT_PRECISION = "auto"
REDUCED = ("bf16", "int8")  # measured against fp32 at training time, fastest first
PRECISION_BOUND = 0.01  # the largest F1 loss on dev (stance macro, frames micro) a reduced precision may cost
PRECISION_HELP = ("auto (default: the fastest precision the model directory accepts that this CPU runs natively), "
                  "bf16 (bfloat16; fast only on CPUs with AMX or AVX512-BF16), int8 (dynamic quantization of the "
                  "feed-forward layers) or fp32")


def native_bf16() -> bool:
    """True where the CPU computes bfloat16 in hardware (AMX tiles or AVX512-BF16)."""
    import torch

    try:
        return bool(torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported())
    except AttributeError:  # a torch without the probes: assume emulation
        return False


def within_bound(metrics: dict, precision: str, bound: float = PRECISION_BOUND) -> bool:
    """Whether ``precision`` loses at most ``bound`` of stance macro-F1 and of frames micro-F1 against fp32 on the
    dev split. The test split is never consulted; never measured on dev means no."""
    if "dev" not in metrics or "dev" not in metrics.get(precision, {}):
        return False
    return all(metrics["dev"][group][key] - metrics[precision]["dev"][group][key] <= bound
               for group, key in (("stance", "macro_f1"), ("frames", "micro_f1")))


def accepted_precisions(metrics: dict, bound: float = PRECISION_BOUND) -> list[str]:
    """The precisions a model may run in by default, fastest first; fp32 always closes the list."""
    return [p for p in REDUCED if within_bound(metrics, p, bound)] + ["fp32"]


def recorded_precisions(config) -> list[str]:
    """What a model directory accepts. Models from before bf16 recorded one ``inference_precision``; older ones
    none (they were measured int8-safe when int8 was the only default)."""
    accepted = getattr(config, "inference_precisions", None)
    if accepted:
        return list(accepted)
    return [getattr(config, "inference_precision", "int8")]


def resolve_precision(requested: str, config, bf16_native: bool | None = None) -> str:
    """The precision to run: ``requested`` itself, or for "auto" the first accepted one this CPU runs natively."""
    if requested not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}")
    if requested != "auto":
        return requested
    bf16_native = native_bf16() if bf16_native is None else bf16_native
    for precision in recorded_precisions(config):
        if precision != "bf16" or bf16_native:
            return precision
    return "fp32"


def training_precision(setting: str) -> str:
    """The arithmetic of a training run: 'auto' becomes bf16 where the CPU has native bfloat16, else fp32."""
    if setting == "auto":
        return "bf16" if native_bf16() else "fp32"
    return setting


def int8_module_names(model) -> set[str]:
    """The encoder's feed-forward linear layers: the bulk of the compute. Attention projections and the
    two heads stay fp32, which keeps int8 within a point of fp32 (see benchmarks/ and the README)."""
    import torch

    return {name for name, module in model.named_modules()
            if isinstance(module, torch.nn.Linear) and name.startswith("encoder.") and "attention" not in name}


# What torch says on every quantize_dynamic call (see the module docstring): known, and nothing a user can act on.
UPSTREAM_DEPRECATIONS = ((DeprecationWarning, r"torch\.ao\.quantization is deprecated"),
                         (UserWarning, r"torch\.quantize_per_tensor, torch\.quantize_per_channel and other quantized"))


def quantize_int8(model):
    """Dynamic int8 quantization (int8 weights, activations quantized on the fly) of the feed-forward layers,
    through ``torch.ao.quantization.quantize_dynamic`` (deprecated upstream; see the module docstring). Only
    torch's two deprecation notices about that path are silenced here; any other warning goes through."""
    import torch

    with warnings.catch_warnings():
        for category, message in UPSTREAM_DEPRECATIONS:
            warnings.filterwarnings("ignore", message=message, category=category)
        return torch.ao.quantization.quantize_dynamic(model, int8_module_names(model), dtype=torch.qint8)


def in_precision(model, precision: str, copy_model: bool = False):
    """``model`` converted for inference in ``precision`` (a copy when ``copy_model``; fp32 returns it as is)."""
    if precision == "fp32":
        return model
    model = copy.deepcopy(model) if copy_model else model
    if precision == "bf16":
        import torch

        return model.to(torch.bfloat16)
    if precision == "int8":
        return quantize_int8(model)
    raise ValueError(f"no conversion for precision {precision!r}")
