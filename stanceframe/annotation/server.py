"""``stanceframe annotate``: a small web page on 127.0.0.1 that shows one unit at a time and saves each answer.

``AnnotationSession`` holds the queue and the ``AnswerStore``; ``make_server`` wraps it in a stdlib
``ThreadingHTTPServer``. The JSON API the page uses:

* ``GET /api/config`` - labels, keys, definitions, decision rules, codebook text;
* ``GET /api/state`` - progress, the current unit with its context and the model's suggestion, latest answers;
* ``POST /api/answer`` ``{"id", "stance", "frames"}``, ``POST /api/skip`` ``{"id"}``, ``POST /api/undo`` ``{}`` -
  each answers with the new state only after the change is on disk.

POSTs must be ``application/json`` and every request must name this machine in ``Host``, so other web pages
open in the browser cannot write answers.
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from stanceframe.annotation.page import asset, page_config, read_codebook
from stanceframe.annotation.queue import context_of, read_queue, suggestion_of
from stanceframe.annotation.store import AnswerStore
from stanceframe.errors import StanceframeError
from stanceframe.schema import LabelSchema

HOST = "127.0.0.1"
ASSETS = {"/": ("index.html", "text/html; charset=utf-8"),
          "/app.js": ("app.js", "text/javascript; charset=utf-8"),
          "/style.css": ("style.css", "text/css; charset=utf-8")}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
MAX_BODY = 1 << 20


class RequestError(StanceframeError):
    """A request the page should not have sent (HTTP 400)."""


class AnnotationSession:
    """One queue, one answers file."""

    def __init__(self, queue: str | Path, out: str | Path, schema: LabelSchema, codebook: str | Path | None = None,
                 warn=None):
        self.schema = schema
        self.units = read_queue(queue, schema)
        self.index = {u["id"]: i for i, u in enumerate(self.units)}
        self.store = AnswerStore(out, schema, warn=warn)
        self.config = page_config(schema, read_codebook(codebook), title=Path(queue).name)
        self.lock = threading.Lock()  # one request at a time reads or changes the answers

    def state(self, message: str = "") -> dict:
        at = self.store.next_index(self.units)
        current = None
        if at is not None:
            unit = self.units[at]
            current = {"position": at + 1, "unit": {k: unit.get(k) for k in ("id", "doc_id", "kind", "author", "text")},
                       "context": context_of(self.units, at), "suggestion": suggestion_of(unit),
                       "skipped_before": unit["id"] in self.store.skips}
        return {"progress": self.store.progress(self.units), "current": current, "done": current is None,
                "recent": self.store.recent(), "out": str(self.store.out), "message": message}

    def _unit(self, payload: dict) -> dict:
        unit_id = payload.get("id")
        if unit_id not in self.index:
            raise RequestError(f"unit {unit_id!r} is not in the queue")
        return self.units[self.index[unit_id]]

    def answer(self, payload: dict) -> dict:
        unit = self._unit(payload)
        frames = payload.get("frames", [])
        if not isinstance(frames, list):
            raise RequestError("'frames' must be a list")
        row = self.store.answer(unit, payload.get("stance"), frames)
        return self.state(f"saved {row['id']}: {row['stance']}")

    def skip(self, payload: dict) -> dict:
        unit = self._unit(payload)
        self.store.skip(unit["id"])
        return self.state(f"skipped {unit['id']}")

    def undo(self, _payload: dict | None = None) -> dict:
        undone = self.store.undo()
        if undone is None:
            return self.state("nothing to undo")
        return {**self.state(f"undid the {undone['undone']} of {undone['id']}"), "undone": undone}


def make_handler(session: AnnotationSession):
    actions = {"/api/answer": session.answer, "/api/skip": session.skip, "/api/undo": session.undo}

    class Handler(BaseHTTPRequestHandler):
        server_version = "stanceframe-annotate"

        def log_message(self, format, *args):  # noqa: A002 (the stdlib's name) - quiet console
            pass

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, obj) -> None:
            self._send(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

        def _local(self) -> bool:
            host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]")
            if host in LOCAL_HOSTS:
                return True
            self._json(HTTPStatus.FORBIDDEN, {"error": "this page only answers to 127.0.0.1"})
            return False

        def do_GET(self):  # noqa: N802 (stdlib name)
            if not self._local():
                return
            path = self.path.split("?", 1)[0]
            if path in ASSETS:
                name, content_type = ASSETS[path]
                self._send(HTTPStatus.OK, asset(name), content_type)
            elif path == "/favicon.ico":
                self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")
            elif path == "/api/config":
                self._json(HTTPStatus.OK, session.config)
            elif path == "/api/state":
                with session.lock:
                    state = session.state()
                self._json(HTTPStatus.OK, state)
            else:
                self._json(HTTPStatus.NOT_FOUND, {"error": f"no such page: {path}"})

        def do_POST(self):  # noqa: N802 (stdlib name)
            if not self._local():
                return
            action = actions.get(self.path)
            if action is None:
                self._json(HTTPStatus.NOT_FOUND, {"error": f"no such action: {self.path}"})
                return
            if not (self.headers.get("Content-Type") or "").startswith("application/json"):
                self._json(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, {"error": "send application/json"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "request too large"})
                return
            try:
                payload = json.loads(self.rfile.read(length) or b"{}")
                if not isinstance(payload, dict):
                    raise RequestError("send a JSON object")
                with session.lock:
                    state = action(payload)
            except (json.JSONDecodeError, StanceframeError) as exc:
                self._json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
                return
            self._json(HTTPStatus.OK, state)

    return Handler


def make_server(session: AnnotationSession, port: int = 0) -> ThreadingHTTPServer:
    """A server bound to 127.0.0.1 (``port`` 0: any free port; ``server.server_address[1]`` says which)."""
    server = ThreadingHTTPServer((HOST, port), make_handler(session))
    server.daemon_threads = True
    return server


def serve_in_thread(session: AnnotationSession, port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    """Start serving in a background thread (for tests and notebooks); returns the server and its URL."""
    server = make_server(session, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, url_of(server)


def url_of(server: ThreadingHTTPServer) -> str:
    return f"http://{HOST}:{server.server_address[1]}/"


def serve(session: AnnotationSession, port: int = 0, open_browser: bool = True, log=print) -> None:
    """Serve until Ctrl-C (or SIGTERM); answers are already on disk, so stopping loses nothing."""
    import webbrowser

    server = make_server(session, port)
    url = url_of(server)
    progress = session.store.progress(session.units)
    log(f"{progress['answered']} of {progress['total']} units answered; answers go to {session.store.out}")
    log(f"annotation page: {url}  (Ctrl-C stops; reopening with the same --out resumes)")
    if open_browser:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log("stopped")
    finally:
        server.server_close()
