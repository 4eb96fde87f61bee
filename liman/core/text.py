"""Turkish-aware text folding, with no Django in it.

Python's str.lower() maps "I" to "i" and "İ" to "i̇" (i + combining dot); Turkish maps
"I" to "ı" and "İ" to "i". Lookups must accept both spellings a user types
("İZMİR", "IZMIR", "Izmir", "izmir"), so keys are folded to plain ASCII.
"""

import re
import unicodedata

_TR_LOWER = str.maketrans({"I": "ı", "İ": "i"})
_TR_UPPER = str.maketrans({"i": "İ", "ı": "I"})
_ASCII = str.maketrans({"ı": "i", "ş": "s", "ğ": "g", "ç": "c", "ö": "o", "ü": "u", "â": "a", "î": "i", "û": "u"})
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def tr_lower(text: str) -> str:
    """Lower-case with Turkish rules (I → ı, İ → i)."""
    return text.translate(_TR_LOWER).lower()


def tr_upper(text: str) -> str:
    """Upper-case with Turkish rules (i → İ, ı → I)."""
    return text.translate(_TR_UPPER).upper()


def tr_title(text: str) -> str:
    """Title-case each word with Turkish rules: "GAZİ OSMANPAŞA" → "Gazi Osmanpaşa"."""

    def word(match: re.Match) -> str:
        w = match.group(0)
        return tr_upper(w[0]) + tr_lower(w[1:])

    return re.sub(r"[^\s\-/()]+", word, text)


def ascii_key(text: str) -> str:
    """A comparison key: Turkish-lower-cased, diacritics and punctuation removed.

    "İZMİR", "IZMIR", "Izmir" and "izmir" all give "izmir"; "GAZİ OSMANPAŞA" and
    "GAZIOSMANPASA" both give "gaziosmanpasa".
    """
    lowered = tr_lower(text.strip()).translate(_ASCII)
    decomposed = unicodedata.normalize("NFKD", lowered)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_ALNUM.sub("", stripped)


def masked(value: str) -> str:
    """An identifier or phone as pages and the API show it until someone asks (and is audited) to see it all."""
    return f"···{value[-3:]}" if value else ""
