"""Turning a file's bytes into text: encoding detection with a fallback, and HTML to plain text."""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser
from pathlib import Path

from stanceframe.errors import InputError

HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
_BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "article",
               "section", "header", "footer", "blockquote", "title", "hr", "dd", "dt", "figcaption", "pre", "main",
               "aside", "nav", "form"}
_SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "iframe"}


def decode_bytes(data: bytes, path: Path) -> tuple[str, str]:
    """(text, encoding): UTF-8 (with or without BOM) first, else the detected encoding, else cp1252."""
    if not data.strip():
        raise InputError(path, "empty file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if b"\x00" in data[:8192]:
        raise InputError(path, "binary file, not text")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    encoding = detect_encoding(data)
    return data.decode(encoding, errors="replace"), encoding


def detect_encoding(data: bytes) -> str:
    """The encoding charset_normalizer finds most likely for ``data`` (not UTF-8), else cp1252."""
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
    except Exception:  # noqa: BLE001 - detection is a best effort; the fallback below always works
        best = None
    return best.encoding if best is not None and best.encoding else "cp1252"


def text_table_encoding(path: Path) -> str:
    """The encoding to read a text table with: UTF-8 (BOM or not) when the whole file decodes as UTF-8, checked
    in 1 MiB steps without holding the file, else the detected encoding (cp1252 as the last resort)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as handle:
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8-sig"
        except UnicodeDecodeError as exc:
            # detect on the stretch around the first byte that is not UTF-8: the file's start may be plain ASCII
            handle.seek(max(0, handle.tell() - len(chunk) + exc.start - (1 << 19)))
            return _table_encoding_guess(handle.read(1 << 20))


MULTIBYTE = ("shift_jis", "cp932", "euc", "gb", "big5", "cp950", "cp949", "iso2022", "utf", "hz", "johab", "cp936")


def _table_encoding_guess(sample: bytes) -> str:
    """A table's legacy encoding from a sample: a CJK or other multi-byte encoding where one is detected, else
    Windows-1252 (what spreadsheets on Windows save) where the sample is valid in it; a detector's pick of some
    other one-byte code page on a few accented letters in plain ASCII is mostly wrong."""
    found = codecs.lookup(detect_encoding(sample)).name
    if found.startswith(MULTIBYTE) and found not in ("utf-8",):
        return found
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return found if found not in ("ascii", "utf-8") else "cp1252"


def looks_like_html(text: str, path: Path) -> bool:
    if path.suffix.lower() in HTML_SUFFIXES:
        return True
    head = text.lstrip()[:200].lower()
    return head.startswith(("<!doctype html", "<html"))


class _TextExtractor(HTMLParser):
    """Visible text, a blank line at each block element. Line breaks in the page's source are white space, as a
    browser shows them (a paragraph wrapped in the source stays one paragraph), except inside ``<pre>``."""

    def __init__(self):
        super().__init__(convert_charrefs=True)  # entities are decoded here, once
        self.parts: list[str] = []
        self.skip = 0
        self.pre = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")
            self.pre += tag == "pre"

    def handle_endtag(self, tag):
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")
            self.pre = max(0, self.pre - (tag == "pre"))

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data if self.pre else re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """Visible text of an HTML page, one block element per paragraph."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def read_document(path: Path) -> tuple[str, list[str]]:
    """A document's text and its warnings (a non-UTF-8 encoding, HTML converted)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "no such file or directory") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory") from None
    except OSError as exc:
        raise InputError(path, f"cannot read ({exc.strerror})") from None
    text, encoding = decode_bytes(data, path)
    warnings = [] if encoding == "utf-8" else [f"encoding:{encoding}"]
    if looks_like_html(text, path):
        text = html_to_text(text)
        warnings.append("html")
    if not text.strip():
        raise InputError(path, "empty file")
    return text, warnings
