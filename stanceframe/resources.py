"""Package data: the default label schema and the training presets, so an installed stanceframe works from any folder.

In the repository ``labels/schema.yaml`` and ``train/configs/*.yaml`` are the files people edit;
``stanceframe/presets/`` holds copies of them that are installed with the package (``make package-data``
refreshes the copies, and a test fails while they differ). A path the user gives always wins; the documented
default paths fall back to the packaged copies when they are not there (outside the repository).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

DEFAULT_SCHEMA = "labels/schema.yaml"
DEFAULT_CONFIG = "train/configs/default.yaml"
CONFIG_DIR = "train/configs"


def packaged(name: str) -> Path:
    """A file of ``stanceframe/presets/`` (the package is installed unzipped, so it is a real path)."""
    return Path(str(resources.files("stanceframe").joinpath("presets", name)))


def packaged_configs() -> list[str]:
    return sorted(p.stem for p in packaged("").glob("*.yaml") if p.name != "schema.yaml")


def schema_file(path: str | Path | None = None) -> Path:
    """The schema to read: ``path`` as given; the default path when it exists here, else the packaged schema."""
    if path in (None, "", DEFAULT_SCHEMA) and not Path(DEFAULT_SCHEMA).is_file():
        return packaged("schema.yaml")
    return Path(path or DEFAULT_SCHEMA)


def config_file(path: str | Path) -> Path:
    """A settings file: ``path`` when it exists; else a packaged preset for ``train/configs/NAME.yaml`` or a bare
    preset name (``default``, ``accurate``, ...); else ``path`` as given (reading it then reports the error)."""
    given = Path(path)
    if given.is_file():
        return given
    if str(given.parent) in (CONFIG_DIR, ".") and given.suffix in ("", ".yaml") and given.stem in packaged_configs():
        return packaged(f"{given.stem}.yaml")
    return given
