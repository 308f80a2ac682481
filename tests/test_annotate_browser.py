"""The annotation page in headless Chromium, driven by the keyboard only: three units labelled, the page reloaded,
the answers found in the file and on the page. Skipped (with the reason) without playwright or a chromium."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import make_rows, read_jsonl, write_jsonl

from stanceframe.annotation.page import frame_keys, stance_keys
from stanceframe.annotation.server import AnnotationSession, serve_in_thread

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def browser_binary(playwright) -> str | None:
    """Playwright's own Chromium when it was downloaded, else a system chromium (None: the bundled one)."""
    try:
        if Path(playwright.chromium.executable_path).is_file():
            return None
    except Exception:  # noqa: BLE001 - no bundled browser registered
        pass
    found = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    if found is None and Path("/usr/bin/chromium").is_file():
        found = "/usr/bin/chromium"
    if found is None:
        pytest.skip("no chromium binary (apt-get install chromium, or 'playwright install chromium')")
    return found


@pytest.fixture()
def page():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        binary = browser_binary(playwright)
        try:
            browser = playwright.chromium.launch(executable_path=binary, args=FLAGS, headless=True)
        except Exception as exc:  # noqa: BLE001 - a browser that cannot start here
            pytest.skip(f"chromium does not start: {str(exc).splitlines()[0]}")
        try:
            tab = browser.new_page()
            errors = []
            tab.on("pageerror", lambda exc: errors.append(str(exc)))
            tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            tab.errors = errors
            yield tab
        finally:
            browser.close()


def wait_answered(page, n: int) -> None:
    page.wait_for_function(f"document.getElementById('progress').dataset.answered === '{n}'", timeout=15000)


def test_label_three_units_with_the_keyboard_then_reload(page, schema, tmp_path):
    rows = make_rows("b-")[:5]
    for row in rows:  # the model's suggestion, pre-selected by the page
        row["stance_scores"] = {row["stance"]: 0.7}
    queue = write_jsonl(tmp_path / "queue.jsonl", rows)
    out = tmp_path / "mine.jsonl"
    session = AnnotationSession(queue, out, schema, codebook=None)
    server, url = serve_in_thread(session)
    skeys, fkeys = stance_keys(schema), frame_keys(schema)
    try:
        page.goto(url)
        page.wait_for_selector("body[data-ready='1']")
        assert page.inner_text("#unit-text") == rows[0]["text"]
        assert page.get_attribute(f"[data-stance='{rows[0]['stance']}']", "class").endswith("selected")

        # 1: accept the suggestion as it is
        page.keyboard.press("Enter")
        wait_answered(page, 1)
        # 2: another stance by its number, one suggested frame off and another on, by their letters
        second = rows[1]
        stance2 = next(s for s in schema.stance_names if s != second["stance"])
        frame_off = second["frames"][0]
        frame_on = next(f for f in schema.frame_names if f not in second["frames"])
        assert page.inner_text("#unit-text") == second["text"]
        for key in (skeys[stance2], fkeys[frame_off], fkeys[frame_on]):
            page.keyboard.press(key)
        page.keyboard.press("Enter")
        wait_answered(page, 2)
        # skip the third, undo the skip, answer it with the first stance and no frame
        page.keyboard.press("s")
        page.wait_for_function(f"document.getElementById('unit').dataset.id === '{rows[3]['id']}'")
        page.keyboard.press("u")
        page.wait_for_function(f"document.getElementById('unit').dataset.id === '{rows[2]['id']}'")
        page.keyboard.press(skeys[schema.stance_names[0]])
        for frame in rows[2]["frames"]:
            page.keyboard.press(fkeys[frame])
        page.keyboard.press("Enter")
        wait_answered(page, 3)
        # the codebook's definitions and rules on one key
        page.keyboard.press("?")
        assert page.is_visible("#help") and schema.decision_rules[0] in page.inner_text("#help-rules")
        page.keyboard.press("Escape")
        assert not page.is_visible("#help")

        saved = read_jsonl(out)
        assert [r["id"] for r in saved] == [r["id"] for r in rows[:3]]
        assert (saved[0]["stance"], saved[0]["frames"]) == (rows[0]["stance"], rows[0]["frames"])
        expected2 = [f for f in schema.frame_names if f in (set(second["frames"]) - {frame_off}) | {frame_on}]
        assert (saved[1]["stance"], saved[1]["frames"]) == (stance2, expected2)
        assert (saved[2]["stance"], saved[2]["frames"]) == (schema.stance_names[0], [])

        page.reload()
        page.wait_for_selector("body[data-ready='1']")
        assert page.inner_text("#progress").startswith(f"3 of {len(rows)} answered")
        assert page.inner_text("#unit-text") == rows[3]["text"]
        done = page.eval_on_selector_all("#recent li", "items => items.map(li => li.dataset.id)")
        assert set(done) == {r["id"] for r in rows[:3]}
        assert page.errors == []
    finally:
        server.shutdown()
        server.server_close()
