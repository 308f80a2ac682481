"""Segmentation rules, on written snippets, the bundled examples and (when present) the real documents."""

from __future__ import annotations

import json

import pytest
from conftest import REALDEV, REPO

from stanceframe.segment import boilerplate_reason, normalize, segment_text


@pytest.mark.parametrize("line, reason", [
    ("Tuesday, March 14, 2023", "date"),
    ("Mon, 06/12/2023 – 08:15", "date"),
    ("12 comments:", "comment_count"),
    ("Read more ....", "site_chrome"),
    ("Back to top button", "site_chrome"),
    ("Related Articles", "site_chrome"),
    ("Share ThisSite", "site_chrome"),
    ("Please consider supporting us by disabling your ad blocker", "adblock"),
    ("#Japan #Okinawa #Bases", "hashtags"),
    ("Allies agree on joint command -- Pacific Wire", "link_title"),
    ("www.pacificdefensewire.com", "url"),
    ("US Navy photo", "caption"),
    ("Page 1 of 2", "site_chrome"),
    ("By Jane Okada", "byline"),
])
def test_boilerplate_lines(line, reason):
    assert boilerplate_reason(line) == reason


@pytest.mark.parametrize("line", [
    "Tokyo and Washington agreed on Tuesday to station a new joint logistics command on Okinawa.",
    "US and Japan Strengthen Military Ties",
    "“We firmly oppose this gross interference in China’s internal affairs,” she said.",
    "Japan will pay 1.05 trillion yen over five years -- a 5 percent increase -- under the deal.",
])
def test_content_is_not_boilerplate(line):
    assert boilerplate_reason(line) is None


DOC = """Friday, May 5, 2023

Allies Open New Chapter In Missile Work
\u00a0
The two governments signed the co-production deal on Thursday, officials said.

“This makes us stronger,” the ambassador said.\u00a0

Allies Open New Chapter In Missile Work

3 comments:

Anonymous said...

US poodle.

kenji_in_naha said...

First paragraph of a longer reply.

Second paragraph of the same reply.

Anonymous said...

The two governments signed the co-production deal on Thursday, officials said.
"""


def test_units_kinds_authors_and_repeats():
    seg = segment_text(DOC, "doc")
    assert [(u.kind, u.author, u.text) for u in seg.units] == [
        ("headline", None, "Allies Open New Chapter In Missile Work"),
        ("paragraph", None, "The two governments signed the co-production deal on Thursday, officials said."),
        ("paragraph", None, "“This makes us stronger,” the ambassador said."),
        ("comment", "Anonymous", "US poodle."),
        ("comment", "kenji_in_naha", "First paragraph of a longer reply.\n\nSecond paragraph of the same reply."),
    ]
    assert [u.unit_index for u in seg.units] == list(range(5))
    reasons = [r for _, _, r in seg.dropped]
    assert reasons.count("repeat") == 2 and reasons.count("author_line") == 3
    assert "date" in reasons and "comment_count" in reasons


def test_every_nonblank_line_is_accounted_for():
    seg = segment_text(DOC, "doc")
    kept = sum(len(u.text.split("\n\n")) for u in seg.units)
    nonblank = sum(1 for line in DOC.splitlines() if line.strip("\u00a0 \t"))
    assert kept + len(seg.dropped) == nonblank


def recovery(gold: dict, load_text) -> tuple[int, int, int]:
    """(gold units, gold units recovered exactly, extra units) over a segments.json mapping."""
    want_total = hit = extra = 0
    for name, expected in gold.items():
        got = [normalize(u.text) for u in segment_text(load_text(name), name).units]
        want = [normalize(u["text"]) for u in expected["units"]]
        want_total += len(want)
        hit += sum(1 for w in want if w in got)
        extra += sum(1 for g in got if g not in want)
    return want_total, hit, extra


def test_bundled_examples_segment_as_annotated():
    gold = json.loads((REPO / "examples/segments.json").read_text(encoding="utf-8"))
    total, hit, extra = recovery(gold, lambda n: (REPO / "examples/docs" / n).read_text(encoding="utf-8"))
    assert hit / total >= 0.95 and extra / total <= 0.05, (total, hit, extra)


@pytest.mark.skipif(not (REALDEV / "segments.json").exists(), reason="../shared/realdev not present")
def test_real_documents_segment_as_annotated():
    gold = json.loads((REALDEV / "segments.json").read_text(encoding="utf-8"))
    total, hit, extra = recovery(gold, lambda n: (REALDEV / "docs" / n).read_text(encoding="utf-8"))
    assert hit / total >= 0.95, f"recovered {hit}/{total}"
    assert extra / total <= 0.05, f"{extra} extra units"


@pytest.mark.skipif(not (REALDEV / "segments.json").exists(), reason="../shared/realdev not present")
def test_real_documents_kinds_and_authors():
    gold = json.loads((REALDEV / "segments.json").read_text(encoding="utf-8"))
    right = total = 0
    for name, expected in gold.items():
        got = {normalize(u.text): (u.kind, u.author) for u in
               segment_text((REALDEV / "docs" / name).read_text(encoding="utf-8"), name).units}
        for unit in expected["units"]:
            total += 1
            right += got.get(normalize(unit["text"])) == (unit["kind"], unit["author"])
    assert right / total >= 0.95
