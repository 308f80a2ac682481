"""Plain-text documents → units (headlines, paragraphs, reader comments).

General rules, in order, for each non-blank line:

1. Boilerplate is dropped (with the rule's name as the reason): dates and timestamps, bylines,
   share/print/subscribe lines, ad-blocker notices, "Read more", "Related articles", "Back to
   top", hashtag strings, bare link-title lists ("Title -- Outlet"), bare URLs and domains, image
   captions, "N comments:", forum chrome ("Reply", "12 points", "Page 1 of 2").
2. An author line ("Name said...", "Name wrote:", "Posted by Name") starts a reader comment;
   the lines after it, up to the next author line, are that comment's paragraphs.
3. Outside comments, a short line without closing punctuation is a headline; anything else
   is a paragraph.
4. A unit whose text repeats an earlier unit of the same document verbatim (white space
   folded) is dropped: a scraped page often prints its title or its whole body twice.

Every non-blank input line ends up in exactly one unit or in the dropped list.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# Characters stripped from line ends besides ordinary white space (no-break and zero-width spaces, BOM).
_EDGE_SPACE = "\u00a0\u2007\u202f\u200b\u200c\u200d\ufeff\t "
_WS = re.compile(r"\s+")

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_WEEKDAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?"
_DATE_TOKEN = re.compile(
    rf"^(?:{_WEEKDAY}|{_MONTH}|\d{{1,4}}(?:st|nd|rd|th)?|\d{{1,2}}[:.]\d{{2}}(?:[:.]\d{{2}})?|"
    rf"\d{{1,4}}[/.-]\d{{1,2}}[/.-]\d{{1,4}}|am|pm|a\.m\.|p\.m\.|utc|gmt|jst|est|edt|pst|pdt|et|"
    rf"updated|published|posted|on|at|[-–—|,:·])$", re.I)
_AUTHOR_LINE = [
    re.compile(r"^(?P<author>[^\s].{0,60}?)\s+(?:said|says|wrote|writes)\s*(?:\.\.\.|…|:)\s*$", re.I),
    re.compile(r"^(?:posted|comment|reply) by\s+(?P<author>[^\s].{0,60}?)\s*:?\s*$", re.I),
]
_BYLINE_AT = re.compile(r"^(?:posted|written|published) by\s+.{1,60}\s+(?:at|on)\s+.*\d.*$", re.I)
_BY = re.compile(r"^(?i:by|written by|words by|reporting by|\(reporting by)\s+[A-Z][\w.'’-]*(?:\s+[\w.'’-]+){0,6}\)?$")
_COMMENT_COUNT = re.compile(r"^\d[\d,]*\s+(?:comments?|responses?|replies|repl(?:y|ies))\s*:?$", re.I)
_CHROME = re.compile(
    r"^(?:reply|report|quote|permalink|like|upvote|downvote|flag|delete|edit|share|tweet|email|print|"
    r"\d[\d,.]*k?\s+(?:points?|votes?|likes?|upvotes?)|page\s+\d+\s+of\s+\d+|"
    r"(?:load|show|view)\s+(?:more|all)(?:\s+comments?)?|newer post|older post|home|"
    r"subscribe to:?\s+post comments?.*|labels?:.*|advertisement|sponsored(?: content)?)\.?$", re.I)
_SITE_PHRASES = re.compile(
    r"^(?:read more|continue reading|read the full (?:story|article)|related (?:articles?|posts?|stories|news|content)|"
    r"back to top(?: button)?|(?:click|tap) to share|share (?:this|on)\b.*|share\s+\S+$|"
    r"follow us\b.*|sign up\b.*|subscribe\b.*|you may also like.*|recommended for you.*|"
    r"more from\b.{0,40}|most (?:read|popular).*|trending now.*|skip to (?:main )?content|"
    r"all rights reserved.*|©.*|copyright\b.*)\s*[.:…]*\s*$", re.I)
_ADBLOCK = re.compile(r"ad[\s-]?block|ad blocker|disabl\w* (?:your|the) ad|whitelist(?:ing)? (?:us|our site)|"
                      r"please consider supporting us", re.I)
_LINK_TITLE = re.compile(r"^.{8,200}?\s+(?:--|—|–|\|)\s+[A-Z][\w.&'’ -]{1,40}$")
_URL = re.compile(r"^(?:https?://|www\.)\S+$|^[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|co|jp|cn|gov|mil|int|io|info|news|uk|au|kr|ph|tw)(?:/\S*)?$", re.I)
_CAPTION = re.compile(r"\b(?:image|images|photo|photos|photograph|picture|pictured|illustration|credit|"
                      r"file photo|getty|screenshot|video|graphic)\b", re.I)
_NAME = re.compile(r"^[A-Z][\w'’.-]*(?:\s+(?:[A-Z][\w'’.-]*|de|van|von|bin|al))\s*(?:\s+[A-Z][\w'’.-]*){0,2}$")
_CLOSING = ".!?:;…\"”’)'»]"


@dataclass
class Unit:
    doc_id: str
    unit_index: int
    kind: str  # headline | paragraph | comment
    text: str
    author: str | None = None
    line: int = 0  # 1-based line of the unit's first line in the document


@dataclass
class Segmentation:
    units: list[Unit] = field(default_factory=list)
    dropped: list[tuple[int, str, str]] = field(default_factory=list)  # (line, text, reason)


def normalize(text: str) -> str:
    """Fold white space for comparing units (used for the verbatim-repeat rule)."""
    return _WS.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def clean_line(line: str) -> str:
    return line.strip(_EDGE_SPACE + "\r\n\f\v").strip()


def is_date_line(text: str) -> bool:
    tokens = re.findall(r"[^\s,]+|,", text)
    if not tokens or len(tokens) > 12:
        return False
    has_digit = any(ch.isdigit() for ch in text)
    return has_digit and all(_DATE_TOKEN.match(tok) for tok in tokens)


def author_of(text: str) -> str | None:
    """The commenter's handle if the line introduces a comment, else None."""
    if len(text) > 80:
        return None
    for pattern in _AUTHOR_LINE:
        match = pattern.match(text)
        if match:
            return match.group("author").strip()
    return None


def boilerplate_reason(text: str) -> str | None:
    """Why a line is boilerplate, or None when it is content."""
    words = text.split()
    if is_date_line(text):
        return "date"
    if _COMMENT_COUNT.match(text):
        return "comment_count"
    if _BYLINE_AT.match(text) or _BY.match(text):
        return "byline"
    if len(words) <= 12 and _ADBLOCK.search(text):
        return "adblock"
    if len(words) <= 8 and (_CHROME.match(text) or _SITE_PHRASES.match(text)):
        return "site_chrome"
    if words and all(w.startswith("#") for w in words):
        return "hashtags"
    if _URL.match(text):
        return "url"
    if len(words) <= 30 and _LINK_TITLE.match(text) and not text.rstrip().endswith((".", "?", "!")):
        return "link_title"
    if len(words) <= 8 and _CAPTION.search(text) and text[-1] not in _CLOSING:
        return "caption"
    return None


def looks_like_headline(text: str) -> bool:
    words = text.split()
    return 0 < len(words) <= 25 and text[-1] not in _CLOSING and not text.endswith(",")


def looks_like_name(text: str) -> bool:
    return len(text) <= 40 and len(text.split()) <= 4 and bool(_NAME.match(text)) and text[-1] not in _CLOSING


def segment_text(text: str, doc_id: str) -> Segmentation:
    """Split one document into units; see the module docstring for the rules."""
    lines = [(i, clean_line(raw)) for i, raw in enumerate(text.splitlines(), start=1)]
    lines = [(i, t) for i, t in lines if t]
    out = Segmentation()
    reasons = {i: boilerplate_reason(t) for i, t in lines}
    # A short name-like line next to a date or timestamp line is a byline ("Jane Doe" / "Fri, 01/07 – 21:00").
    for k, (i, t) in enumerate(lines):
        if reasons[i] is None and looks_like_name(t):
            near = [lines[j][0] for j in (k - 1, k + 1) if 0 <= j < len(lines)]
            if any(reasons[n] == "date" for n in near):
                reasons[i] = "byline"

    seen: set[str] = set()
    blocks: list[dict] = []  # pending units: {"kind", "author", "parts": [(line, text)]}
    comment: dict | None = None
    for i, t in lines:
        if reasons[i]:
            out.dropped.append((i, t, reasons[i]))
            continue
        author = author_of(t)
        if author is not None:
            out.dropped.append((i, t, "author_line"))
            comment = {"kind": "comment", "author": author, "parts": []}
            blocks.append(comment)
            continue
        if comment is not None:
            comment["parts"].append((i, t))
            continue
        kind = "headline" if looks_like_headline(t) else "paragraph"
        blocks.append({"kind": kind, "author": None, "parts": [(i, t)]})

    for block in blocks:
        if not block["parts"]:
            continue  # an author line with no comment text under it
        body = "\n\n".join(t for _, t in block["parts"])
        key = normalize(body)
        if key in seen:
            out.dropped.extend((i, t, "repeat") for i, t in block["parts"])
            continue
        seen.add(key)
        out.units.append(Unit(doc_id=doc_id, unit_index=len(out.units), kind=block["kind"],
                              text=body, author=block["author"], line=block["parts"][0][0]))
    return out
