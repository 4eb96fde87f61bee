"""What a beneficiary story must not carry: e-mail addresses, telephone numbers, identity or case numbers, Liman's
record references. A story is about what happened, never about who."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

_PATTERNS = (
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), _("an e-mail address")),
    (re.compile(r"(?:\+|00)\d[\d ()-]{7,}\d"), _("a telephone number")),
    (re.compile(r"\b0\d{3}[ -]?\d{3}[ -]?\d{2}[ -]?\d{2}\b"), _("a telephone number")),
    (re.compile(r"\b\d{7,}\b"), _("an identity or case number")),
    (re.compile(r"\b[A-Z]{2,5}(?:-[A-Z]{1,3})?-(?=[A-Z]*\d)[A-Z0-9]{6,}\b"), _("a record reference")),
)


def identifying_data(text: str) -> str:
    """What identifies someone in `text` ("" when nothing does)."""
    for pattern, what in _PATTERNS:
        if pattern.search(text or ""):
            return str(what)
    return ""
