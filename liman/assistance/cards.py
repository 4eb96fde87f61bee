"""Household cards as PDF: the household's reference in print and as a QR code, for verification at a distribution.

The QR holds the reference and nothing else (a lost card tells a finder nothing a printed reference does not);
a scanner at the site types it into the verification box. Eight cards to an A4 page, cut along the lines.
"""

from __future__ import annotations

import io

from django.utils.translation import gettext as _

from liman.core.pdf import fold, pdf_font_path

#: What a card's QR code holds: the household reference (the verification box reads it back).
QR_PREFIX = ""
CARD_W, CARD_H = 95.0, 62.0  # mm; 2 × 4 on A4 with margins


def qr_payload(reference: str) -> str:
    return f"{QR_PREFIX}{reference}"


def household_cards_pdf(cards: list[dict], *, title: str) -> bytes:
    """`cards`: dicts with reference, head (name), size, office, plan (reference and name, optional)."""
    import segno
    from fpdf import FPDF

    pdf = FPDF(orientation="portrait", format="A4")
    pdf.set_auto_page_break(False)
    font_path = pdf_font_path()
    if font_path:
        pdf.add_font("Card", fname=font_path)
        family, text = "Card", str
    else:
        family, text = "Helvetica", fold
    pdf.set_title(text(title))
    if not cards:
        pdf.add_page()
        pdf.set_font(family, size=12)
        pdf.cell(0, 10, text(_("No household to print.")))
    for index, card in enumerate(cards):
        if index % 8 == 0:
            pdf.add_page()
        column, row = index % 2, (index % 8) // 2
        x, y = 10 + column * CARD_W, 12 + row * CARD_H
        pdf.set_draw_color(150, 150, 150)
        pdf.set_line_width(0.2)
        pdf.rect(x, y, CARD_W - 2, CARD_H - 2)
        qr = io.BytesIO()
        segno.make_qr(qr_payload(card["reference"]), error="m").save(qr, kind="png", scale=8, border=2)
        qr.seek(0)
        pdf.image(qr, x=x + CARD_W - 2 - 40, y=y + 4, w=36, h=36)
        pdf.set_xy(x + 4, y + 4)
        pdf.set_font(family, size=8)
        pdf.cell(50, 4, text(_("Liman household card")))
        pdf.set_xy(x + 4, y + 10)
        pdf.set_font(family, size=13)
        pdf.cell(50, 7, text(card["reference"]))
        pdf.set_font(family, size=9)
        lines = [
            card.get("head", ""),
            _("%(size)d people") % {"size": card.get("size", 0)},
            card.get("office", ""),
        ]
        for offset, line in enumerate(lines):
            pdf.set_xy(x + 4, y + 20 + offset * 5)
            pdf.cell(50, 5, text(line)[:40])
        if card.get("plan"):
            pdf.set_xy(x + 4, y + CARD_H - 14)
            pdf.set_font(family, size=7)
            pdf.multi_cell(CARD_W - 10, 3.5, text(card["plan"])[:120])
    return bytes(pdf.output())
