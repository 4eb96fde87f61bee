"""Read the text of the manifests' PDF without a PDF library: inflate each content stream and collect the
strings shown with `Tj` (the tests print with the built-in Helvetica, whose strings are plain text)."""

from __future__ import annotations

import re
import zlib

#: The start of a stream's bytes; how many there are is the /Length of the dictionary before it. (Not up to
#: the next "endstream": compressed bytes that end in a carriage return would lose it to the line break.)
STREAM = re.compile(rb"(?<!end)stream\r?\n")
LENGTH = re.compile(rb"/Length (\d+)(?! \d+ R)")
SHOWN = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj")


def _unescape(raw: bytes) -> str:
    return re.sub(rb"\\([()\\])", rb"\1", raw).decode("latin-1")


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-"), "not a PDF"
    shown = []
    for start in STREAM.finditer(content):
        dictionary = content[content.rfind(b" obj", 0, start.start()) : start.start()]
        length = LENGTH.search(dictionary)
        assert length, "a stream without a direct /Length"
        stream = content[start.end() : start.end() + int(length.group(1))]
        try:
            data = zlib.decompress(stream)
        except zlib.error:
            data = stream
        shown += [_unescape(text) for text in SHOWN.findall(data)]
    return "\n".join(shown)
