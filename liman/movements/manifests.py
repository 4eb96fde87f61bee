"""Flight manifests as XLSX (openpyxl, through core's tabular writer: formula-like cells neutralised) and PDF
(fpdf2). Both list exactly the people booked, and say how many; neither carries a medical finding: a
traveller's needs on the way (wheelchair, oxygen, escort) are what the airline must know, nothing more.
"""

from __future__ import annotations

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from liman.core.pdf import fold, pdf_font_path
from liman.core.tabular import xlsx_bytes

from .selectors import ManifestRow


def _columns() -> list[str]:
    return [
        _("No."),
        _("Family name"),
        _("First name"),
        _("Sex"),
        _("Date of birth"),
        _("Age"),
        _("Nationality"),
        _("Case"),
        _("Programme"),
        _("Assistance"),
    ]


def _row(number: int, row: ManifestRow) -> list:
    person, booking = row.booking.person, row.booking
    return [
        number,
        person.family_name,
        person.first_name,
        person.sex,
        person.birth_date_display,
        row.age if row.age is not None else "",
        person.nationality,
        booking.source_reference or (booking.case.reference if booking.case_id else ""),
        booking.programme.code,
        "; ".join(row.assistance),
    ]


def _leg_lines(legs) -> list[list]:
    return [
        [
            leg.sequence,
            leg.carrier,
            leg.flight_number,
            leg.origin,
            leg.destination,
            formats.date_format(timezone.localtime(leg.departs_at), "Y-m-d H:i"),
            formats.date_format(timezone.localtime(leg.arrives_at), "Y-m-d H:i"),
        ]
        for leg in legs
    ]


def manifest_xlsx(flight, legs, rows: list[ManifestRow]) -> bytes:
    """One sheet with the flight, its legs and one row per person booked; the last line gives the count."""
    lines: list[list] = [
        [_("Passenger manifest"), flight.reference],
        [_("Destination"), flight.country_name],
        [],
        [
            _("Leg"),
            _("Carrier"),
            _("Flight number"),
            pgettext("flight leg", "From"),
            pgettext("flight leg", "To"),
            _("Departs"),
            _("Arrives"),
        ],
        *_leg_lines(legs),
        [],
        _columns(),
        *[_row(number, row) for number, row in enumerate(rows, start=1)],
        [],
        [_("Travellers booked"), len(rows)],
    ]
    return xlsx_bytes({_("Manifest"): lines})


def manifest_pdf(flight, legs, rows: list[ManifestRow]) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(orientation="landscape", format="A4")
    font_path = pdf_font_path()
    if font_path:
        pdf.add_font("Manifest", fname=font_path)
        family, text = "Manifest", str
    else:
        family, text = "Helvetica", fold
    count = len(rows)
    pdf.set_title(text(f"{_('Passenger manifest')} {flight.reference}"))
    pdf.set_subject(text(f"{_('Travellers booked')}: {count}"))
    pdf.set_creator("Liman")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font(family, size=15)
    pdf.cell(0, 9, text(f"{_('Passenger manifest')} {flight.reference}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=10)
    departs = formats.date_format(timezone.localtime(flight.departs_at), "Y-m-d H:i") if flight.departs_at else "—"
    pdf.cell(
        0,
        6,
        text(f"{_('Destination')}: {flight.country_name} · {_('Departs')}: {departs}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    heading = FontFace(emphasis="BOLD" if not font_path else None, fill_color=(230, 236, 243))
    with pdf.table(
        col_widths=(8, 30, 24, 24, 12, 12, 36, 36), text_align="LEFT", headings_style=heading, line_height=6
    ) as table:
        table.row(
            [
                text(value)
                for value in (
                    _("Leg"),
                    _("Carrier"),
                    _("Flight number"),
                    pgettext("flight leg", "From"),
                    pgettext("flight leg", "To"),
                    "",
                    _("Departs"),
                    _("Arrives"),
                )
            ]
        )
        for line in _leg_lines(legs):
            values = [*line[:5], "", *line[5:]]
            table.row([text(value) for value in values])
    pdf.ln(4)
    with pdf.table(
        col_widths=(8, 28, 26, 8, 20, 8, 14, 28, 18, 60),
        text_align="LEFT",
        headings_style=heading,
        line_height=6,
    ) as table:
        table.row([text(value) for value in _columns()])
        for number, row in enumerate(rows, start=1):
            table.row([text(value) for value in _row(number, row)])
    pdf.ln(3)
    pdf.set_font(family, size=11)
    pdf.cell(0, 7, text(f"{_('Travellers booked')}: {count}"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def safe_filename(flight, extension: str) -> str:
    return f"manifest-{flight.reference}.{extension}"
