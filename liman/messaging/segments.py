"""How many SMS a text takes: 160 characters in the GSM 7-bit alphabet (153 per part when split), 70 otherwise
(UCS-2: Arabic, Farsi, Pashto, and Turkish ş, ğ, ı, İ, ç outside the Turkish shift table), 67 per part."""

from __future__ import annotations

from dataclasses import dataclass

_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: Characters that take two places (an escape and the character).
_GSM_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class Segments:
    characters: int
    parts: int
    encoding: str  # "GSM-7" or "UCS-2"


def segments(text: str) -> Segments:
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text):
        length = sum(2 if ch in _GSM_EXTENDED else 1 for ch in text)
        single, part, encoding = 160, 153, "GSM-7"
    else:
        # UCS-2 counts UTF-16 code units: a character outside the basic plane takes two.
        length = len(text.encode("utf-16-le")) // 2
        single, part, encoding = 70, 67, "UCS-2"
    parts = 1 if length <= single else -(-length // part)
    return Segments(characters=length, parts=parts, encoding=encoding)
