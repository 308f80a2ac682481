"""What a model directory can prove about how it was made: library versions, code revision, data hashes.

``training_args.json`` carries ``provenance`` = {"versions": {torch, transformers, tokenizers, stanceframe},
"git_revision": the commit of the stanceframe source when it runs from a git checkout (``-dirty`` when it has
uncommitted changes), else null, "data_sha256": {role: {"path", "sha256"}} for every data file read}.
``evaluate`` uses the hashes to warn when a gold file is one the model was trained or selected on.
"""

from __future__ import annotations

import hashlib
import subprocess
from importlib import metadata
from pathlib import Path

LIBRARIES = ("torch", "transformers", "tokenizers", "stanceframe")
SOURCE_ROOT = Path(__file__).resolve().parents[1]  # the checkout (or site-packages) holding the package


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def library_versions() -> dict[str, str | None]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(SOURCE_ROOT), *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_revision() -> str | None:
    """The commit of the stanceframe source, when the package runs from a git checkout (not from site-packages
    inside some other repository)."""
    top = _git("rev-parse", "--show-toplevel")
    if not top or Path(top).resolve() != SOURCE_ROOT:
        return None
    revision = _git("rev-parse", "HEAD")
    if revision and _git("status", "--porcelain", "--untracked-files=no", "--", "stanceframe"):
        revision += "-dirty"
    return revision


def data_hashes(files: dict[str, str | Path | None]) -> dict[str, dict]:
    """{role: {"path", "sha256"}} of each data file given (roles such as schema, train, dev, test)."""
    return {role: {"path": str(path), "sha256": sha256_file(path)} for role, path in files.items()
            if path and Path(path).is_file()}


def provenance(files: dict[str, str | Path | None]) -> dict:
    return {"versions": library_versions(), "git_revision": git_revision(), "data_sha256": data_hashes(files)}


def card_lines(record: dict) -> list[str]:
    """Model-card bullet points of a ``provenance`` record."""
    if not record:
        return []
    versions = ", ".join(f"{name} {version}" for name, version in record.get("versions", {}).items() if version)
    hashes = ", ".join(f"{role} `{entry['sha256'][:12]}`" for role, entry in record.get("data_sha256", {}).items())
    return [f"- Made with {versions}; code revision `{record.get('git_revision') or 'unknown (not a git checkout)'}`",
            f"- SHA-256 of the data files (first 12 hex digits): {hashes}"]


def trained_on(training_args_list: list[dict]) -> dict[str, str]:
    """sha256 → role ('train', 'dev' or 'train_extraN', a user's extra labels) of the files recorded in these
    training settings' provenance."""
    found = {}
    for settings in training_args_list:
        for role, entry in settings.get("provenance", {}).get("data_sha256", {}).items():
            if role in ("train", "dev") or role.startswith("train_extra"):
                found.setdefault(entry["sha256"], role)
    return found
