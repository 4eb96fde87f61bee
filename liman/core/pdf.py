"""What every PDF Liman prints (manifests, household cards) needs: a Unicode font, or text the built-in one prints."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from django.conf import settings


def pdf_font_path() -> str:
    """A Unicode TrueType font for names in Turkish and other Latin scripts (`LIMAN_PDF_FONT`), if it is there."""
    configured = settings.LIMAN_PDF_FONT
    return configured if configured and Path(configured).is_file() else ""


def fold(text: str) -> str:
    """Text Helvetica can print: accents dropped, dotless i as i, anything else outside Latin-1 as '?'."""
    text = unicodedata.normalize("NFKD", str(text).replace("ı", "i"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.encode("latin-1", "replace").decode("latin-1")
