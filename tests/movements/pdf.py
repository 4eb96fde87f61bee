"""Read the text of the manifests' PDF without a PDF library: inflate each content stream and collect the
strings shown with `Tj` (the tests print with the built-in Helvetica, whose strings are plain text)."""

from __future__ import annotations

import re
import zlib

STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
SHOWN = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj")


def _unescape(raw: bytes) -> str:
    return re.sub(rb"\\([()\\])", rb"\1", raw).decode("latin-1")


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-"), "not a PDF"
    shown = []
    for stream in STREAM.findall(content):
        try:
            data = zlib.decompress(stream)
        except zlib.error:
            data = stream
        shown += [_unescape(text) for text in SHOWN.findall(data)]
    return "\n".join(shown)
