"""The Ray engine (a local instance with 2 CPUs) writes exactly the local engine's rows."""

from __future__ import annotations

import pytest
from conftest import REPO

from stanceframe.cli import main
from stanceframe.inference.outputs import read_predictions

ray = pytest.importorskip("ray", reason="the optional extra 'ray' is not installed")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def test_ray_output_equals_local_output(tiny_model, tmp_path, local_ray, capsys):
    inputs = [str(REPO / "examples/docs"), str(REPO / "examples/units.csv")]
    bad = tmp_path / "broken.jsonl"
    bad.write_text('{"id": "b1", "text": "Japan and the US signed the deal."}\n{oops\n', encoding="utf-8")
    inputs.append(str(bad))
    local, distributed = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    assert main(["classify", *inputs, "--model", str(tiny_model), "--out", str(local), "--quiet"]) == 0
    local_line = capsys.readouterr().out.strip().splitlines()[0]
    assert main(["classify", *inputs, "--model", str(tiny_model), "--out", str(distributed), "--engine", "ray",
                 "--ray-actors", "2"]) == 0
    ray_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert ray_line == local_line
    a, b = read_predictions(local), read_predictions(distributed)
    assert len(a) == len(b) > 100
    for x, y in zip(a, b):
        assert {k: v for k, v in x.items() if k.endswith("_scores") is False} == \
            {k: v for k, v in y.items() if k.endswith("_scores") is False}
        for key in ("stance_scores", "frame_scores"):
            assert x[key] == pytest.approx(y[key], abs=2e-5)
    assert (tmp_path / "ray.errors.jsonl").read_text() == (tmp_path / "local.errors.jsonl").read_text()


def test_ray_engine_stops_at_a_bad_input_under_on_error_fail(tiny_model, tmp_path, local_ray, capsys):
    bad = tmp_path / "broken.jsonl"
    bad.write_text('{"id": "b1", "text": "Japan and the US signed the deal."}\n{oops\n', encoding="utf-8")
    out = tmp_path / "ray.jsonl"
    assert main(["classify", str(bad), "--model", str(tiny_model), "--out", str(out), "--engine", "ray",
                 "--ray-actors", "1", "--on-error", "fail"]) == 1  # one input block: one actor (Ray warns at two)
    assert f"{bad}:2" in capsys.readouterr().err
    assert not out.exists()
