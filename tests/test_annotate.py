"""`stanceframe annotate`: the answers store (append + fsync, resume, undo, skip), the queue reader and the HTTP API,
including a server killed with SIGKILL that loses no acknowledged answer."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import REPO, SCHEMA_PATH, make_rows, read_jsonl, write_jsonl

from stanceframe.annotation.page import RESERVED, frame_keys, page_config, stance_keys
from stanceframe.annotation.queue import context_of, read_queue
from stanceframe.annotation.server import AnnotationSession, serve_in_thread
from stanceframe.annotation.store import AnswerStore, skipped_path
from stanceframe.cli import main
from stanceframe.data import load_annotated
from stanceframe.errors import LabelFileError


def queue_rows() -> list[dict]:
    """Queue units as `select` writes them: the written rows' texts, the model's suggestion in stance/frames."""
    rows = make_rows("q-")
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
        row["stance_scores"] = {row["stance"]: 0.6}
    return rows


@pytest.fixture()
def queue(tmp_path) -> Path:
    return write_jsonl(tmp_path / "queue.jsonl", queue_rows())


def other(schema, stance: str) -> str:
    return next(s for s in schema.stance_names if s != stance)


# -- the store ---------------------------------------------------------------------------------------------------
def test_answers_are_appended_fsynced_and_form_a_label_file(schema, queue, tmp_path, monkeypatch):
    units = read_queue(queue, schema)
    out = tmp_path / "mine.jsonl"
    store = AnswerStore(out, schema)
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(os.fstat(fd).st_size), real_fsync(fd))[1])
    first = other(schema, units[0]["stance"])
    store.answer(units[0], first, [schema.frame_names[2], schema.frame_names[0]])
    assert synced and synced[-1] == out.stat().st_size  # on disk, whole line, before answer() returned
    store.answer(units[1], units[1]["stance"], [])
    rows, errors = load_annotated(out, schema)
    assert errors == [] and [r["id"] for r in rows] == [units[0]["id"], units[1]["id"]]
    assert rows[0]["stance"] == first and rows[0]["frames"] == [schema.frame_names[0], schema.frame_names[2]]
    assert rows[0]["source"] == "annotate" and rows[0]["annotated_at"].endswith("+00:00")
    assert rows[0]["suggestion"] == {"stance": units[0]["stance"], "frames": units[0]["frames"]}
    assert {k: rows[1][k] for k in ("doc_id", "kind", "author", "text")} == \
        {k: units[1][k] for k in ("doc_id", "kind", "author", "text")}
    assert main(["labels", "split", str(out), "--data-dir", str(tmp_path / "split"), "--schema", str(SCHEMA_PATH)]) == 0


def test_reopening_resumes_at_the_first_unit_not_answered(schema, queue, tmp_path):
    units = read_queue(queue, schema)
    out = tmp_path / "mine.jsonl"
    store = AnswerStore(out, schema)
    for unit in units[:3]:
        store.answer(unit, unit["stance"], unit["frames"])
    assert store.next_index(units) == 3
    again = AnswerStore(out, schema)
    assert again.next_index(units) == 3
    assert again.progress(units) == {"total": len(units), "answered": 3, "skipped": 0}


def test_answers_go_on_a_line_of_their_own_after_a_file_saved_without_a_final_line_end(schema, queue, tmp_path):
    units = read_queue(queue, schema)
    out = tmp_path / "mine.jsonl"
    AnswerStore(out, schema).answer(units[0], units[0]["stance"], [])
    out.write_text(out.read_text(encoding="utf-8").rstrip("\n"), encoding="utf-8")  # saved by an editor
    AnswerStore(out, schema).answer(units[1], units[1]["stance"], [])
    assert [r["id"] for r in read_jsonl(out)] == [units[0]["id"], units[1]["id"]]
    assert AnswerStore(out, schema).progress(units)["answered"] == 2


def test_undo_takes_back_the_latest_answer_or_skip(schema, queue, tmp_path):
    units = read_queue(queue, schema)
    out = tmp_path / "mine.jsonl"
    store = AnswerStore(out, schema)
    store.answer(units[0], units[0]["stance"], [])
    store.answer(units[1], units[1]["stance"], [])
    store.skip(units[2]["id"])
    assert store.next_index(units) == 3
    assert store.undo() == {"undone": "skip", "id": units[2]["id"]}
    assert store.next_index(units) == 2 and read_jsonl(skipped_path(out)) == []
    undone = store.undo()
    assert undone["undone"] == "answer" and undone["id"] == units[1]["id"]
    assert [r["id"] for r in read_jsonl(out)] == [units[0]["id"]]
    assert AnswerStore(out, schema).next_index(units) == 1  # the rewrite is what a restart sees
    assert not list(tmp_path.glob(".mine.jsonl.*"))  # no temporary file left behind
    store.undo()
    assert store.undo() is None and read_jsonl(out) == []


def test_skipped_units_come_back_last_oldest_skip_first(schema, queue, tmp_path):
    units = read_queue(queue, schema)[:4]
    out = tmp_path / "mine.jsonl"
    store = AnswerStore(out, schema)
    store.skip(units[0]["id"])
    store.skip(units[1]["id"])
    assert store.next_index(units) == 2
    store.answer(units[2], units[2]["stance"], [])
    store.answer(units[3], units[3]["stance"], [])
    assert store.next_index(units) == 0
    store.skip(units[0]["id"])  # skipped again: to the back
    assert store.next_index(units) == 1
    assert [r["id"] for r in read_jsonl(skipped_path(out))] == [units[0]["id"], units[1]["id"], units[0]["id"]]
    reopened = AnswerStore(out, schema)
    assert reopened.next_index(units) == 1 and reopened.progress(units)["skipped"] == 2
    assert [r["id"] for r in read_jsonl(out)] == [units[2]["id"], units[3]["id"]]  # skips never in the label file


def test_answering_twice_replaces_the_line(schema, queue, tmp_path):
    units = read_queue(queue, schema)
    out = tmp_path / "mine.jsonl"
    store = AnswerStore(out, schema)
    store.answer(units[0], units[0]["stance"], [])
    store.answer(units[0], other(schema, units[0]["stance"]), [])
    rows = read_jsonl(out)
    assert len(rows) == 1 and rows[0]["stance"] == other(schema, units[0]["stance"])


def test_labels_outside_the_schema_are_refused(schema, queue, tmp_path):
    units = read_queue(queue, schema)
    store = AnswerStore(tmp_path / "mine.jsonl", schema)
    with pytest.raises(LabelFileError, match="unknown stance label 'maybe'"):
        store.answer(units[0], "maybe", [])
    with pytest.raises(LabelFileError, match="unknown frame label"):
        store.answer(units[0], units[0]["stance"], ["weather"])
    assert not (tmp_path / "mine.jsonl").exists() or read_jsonl(tmp_path / "mine.jsonl") == []


def test_a_line_cut_short_by_a_crash_is_dropped_and_other_bad_lines_are_errors(schema, queue, tmp_path):
    units = read_queue(queue, schema)
    out = tmp_path / "mine.jsonl"
    AnswerStore(out, schema).answer(units[0], units[0]["stance"], [])
    with open(out, "a", encoding="utf-8") as handle:
        handle.write('{"id": "q-d1-02", "doc_id": "q-d')  # killed mid-write: never acknowledged
    warnings = []
    store = AnswerStore(out, schema, warn=warnings.append)
    assert store.progress(units)["answered"] == 1 and "mine.jsonl:2" in warnings[0]
    assert len(read_jsonl(out)) == 1
    out.write_text('{"id": 1}\n' + out.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(LabelFileError, match=r"mine.jsonl:1: missing key"):
        AnswerStore(out, schema)


# -- the queue -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("line, message", [
    ("{not json", "malformed JSON"),
    ('["a list"]', "not a JSON object"),
    ('{"id": "x", "doc_id": "d", "kind": "paragraph"}', "missing key(s): text"),
    ('{"id": "x", "doc_id": "d", "kind": "tweet", "text": "t"}', "unknown kind 'tweet'"),
    ('{"id": "", "doc_id": "d", "kind": "paragraph", "text": "t"}', "'id' must be a non-empty string"),
    ('{"id": "x", "doc_id": "d", "kind": "paragraph", "text": "t", "stance": "maybe"}', "suggested stance 'maybe'"),
    ('{"id": "x", "doc_id": "d", "kind": "paragraph", "text": "t", "frames": ["weather"]}', "'weather' not in the schema"),
    ('{"id": "q-d1-01", "doc_id": "d", "kind": "paragraph", "text": "t"}', "duplicate id 'q-d1-01' (first on line 1)"),
])
def test_bad_queue_lines_are_named_by_file_and_line(schema, tmp_path, line, message):
    rows = queue_rows()[:2]
    path = tmp_path / "queue.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(LabelFileError) as info:
        read_queue(path, schema)
    assert str(info.value).startswith(f"{path}:4: ") and message in str(info.value)


def test_the_command_reports_a_bad_queue_and_stops(tmp_path, capsys):
    path = tmp_path / "queue.jsonl"
    path.write_text('{"id": "x", "doc_id": "d", "kind": "paragraph"}\n', encoding="utf-8")
    code = main(["annotate", str(path), "--out", str(tmp_path / "o.jsonl"), "--no-browser",
                 "--schema", str(SCHEMA_PATH)])
    assert code == 2 and f"{path}:1: missing key(s): text" in capsys.readouterr().err
    assert not (tmp_path / "o.jsonl").exists()


def test_a_predictions_file_is_a_queue_and_context_comes_from_the_document(schema, tmp_path):
    rows = [{**r, "unit_index": i} for i, r in enumerate(make_rows("p-")[:4])]
    rows = [rows[2], rows[0], rows[3], rows[1]]  # ranked, not in document order
    units = read_queue(write_jsonl(tmp_path / "pred.jsonl", rows), schema)
    ctx = context_of(units, 0)  # unit_index 2
    assert [c["id"] for c in ctx["before"]] == [rows[1]["id"], rows[3]["id"]]
    assert [c["id"] for c in ctx["after"]] == [rows[2]["id"]]
    units[0]["context"] = ["The paragraph before.", {"text": "The one after."}]
    assert [c["text"] for c in context_of(units, 0)["before"]] == ["The paragraph before.", "The one after."]


def test_keys_come_from_the_schema(schema):
    skeys, fkeys = stance_keys(schema), frame_keys(schema)
    assert list(skeys) == schema.stance_names and list(skeys.values()) == [str(i) for i in range(1, len(skeys) + 1)]
    assert set(fkeys) == set(schema.frame_names) and len(set(fkeys.values())) == len(fkeys)
    assert not set(fkeys.values()) & set(RESERVED) and all(len(k) == 1 and k.isalpha() for k in fkeys.values())
    config = page_config(schema, None)
    assert config["decision_rules"] == list(schema.decision_rules) and config["codebook"] is None
    assert [x["definition"] for x in config["stance"]] == [x.definition for x in schema.stance]


# -- the HTTP API --------------------------------------------------------------------------------------------------
def request(url: str, path: str, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode("utf-8")
    req = urllib.request.Request(url.rstrip("/") + path, data=data,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_api_saves_answers_and_refuses_bad_requests(schema, queue, tmp_path):
    session = AnnotationSession(queue, tmp_path / "mine.jsonl", schema, codebook=tmp_path / "absent.md")
    server, url = serve_in_thread(session)
    try:
        status, state = request(url, "/api/state")
        first = state["current"]["unit"]["id"]
        assert status == 200 and state["current"]["suggestion"]["stance"] == queue_rows()[0]["stance"]
        status, config = request(url, "/api/config")
        assert [x["name"] for x in config["stance"]] == schema.stance_names and config["codebook"] is None
        status, state = request(url, "/api/answer", {"id": first, "stance": schema.stance_names[-1], "frames": []})
        assert status == 200 and state["progress"]["answered"] == 1 and state["current"]["unit"]["id"] != first
        assert read_jsonl(tmp_path / "mine.jsonl")[0]["stance"] == schema.stance_names[-1]
        assert request(url, "/api/answer", {"id": first, "stance": "maybe", "frames": []})[0] == 400
        assert request(url, "/api/answer", {"id": "nope", "stance": schema.stance_names[0]})[0] == 400
        assert request(url, "/api/skip", {"id": first}, {"Content-Type": "text/plain"})[0] == 415
        assert request(url, "/api/state", headers={"Host": "evil.example:80"})[0] == 403
        assert request(url, "/api/undo", {})[1]["undone"]["id"] == first
        assert read_jsonl(tmp_path / "mine.jsonl") == []
    finally:
        server.shutdown()
        server.server_close()


def start_server(queue: Path, out: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "stanceframe.cli", "annotate", str(queue), "--out", str(out),
                             "--no-browser", "--schema", str(SCHEMA_PATH), "--codebook", ""],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if "annotation page: " in line:
            return proc, line.split("annotation page: ")[1].split()[0]
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError(f"the server did not start: {proc.stderr.read()}")


def test_a_server_killed_with_sigkill_loses_no_acknowledged_answer(schema, queue, tmp_path):
    out = tmp_path / "mine.jsonl"
    proc, url = start_server(queue, out)
    try:
        acknowledged = []
        for _ in range(3):
            state = request(url, "/api/state")[1]
            unit_id = state["current"]["unit"]["id"]
            status, _ = request(url, "/api/answer", {"id": unit_id, "stance": schema.stance_names[1],
                                                     "frames": [schema.frame_names[0]]})
            assert status == 200
            acknowledged.append(unit_id)
        skipped = request(url, "/api/state")[1]["current"]["unit"]["id"]
        assert request(url, "/api/skip", {"id": skipped})[0] == 200
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert [r["id"] for r in load_annotated(out, schema)[0]] == acknowledged
    proc, url = start_server(queue, out)
    try:
        state = request(url, "/api/state")[1]
        assert state["progress"] == {"total": len(queue_rows()), "answered": 3, "skipped": 1}
        assert state["current"]["unit"]["id"] not in [*acknowledged, skipped]
        assert state["current"]["unit"]["id"] == queue_rows()[4]["id"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
