"""The printed papers of an activity: the sign-in sheet of each session (with the QR that opens its check-in page) and
the certificate of completion, in Turkish and English on one page.

The certificate's wording is part of the document (a certificate is issued in both languages whatever the language of
the person printing it), so both texts live here, not in the interface's translations.
"""

from __future__ import annotations

import io

from django.utils.translation import gettext as _

from liman.core.pdf import fold, pdf_font_path

#: The certificate's wording in each of its two languages.
CERTIFICATE_TEXT = {
    "tr": {
        "title": "KATILIM BELGESİ",
        "body": "{name}, {start} – {end} tarihleri arasında {place} yerinde düzenlenen “{title}” etkinliğini "
        "({sessions} oturumun {attended} oturumuna katılarak) başarıyla tamamlamıştır.",
        "number": "Belge no",
        "issued": "Veriliş tarihi",
        "office": "Düzenleyen",
    },
    "en": {
        "title": "CERTIFICATE OF COMPLETION",
        "body": "{name} has completed “{title}”, held at {place} from {start} to {end}, attending {attended} of "
        "{sessions} sessions.",
        "number": "Certificate no.",
        "issued": "Issued on",
        "office": "Issued by",
    },
}


def _pdf(orientation: str = "portrait"):
    from fpdf import FPDF

    pdf = FPDF(orientation=orientation, format="A4")
    font_path = pdf_font_path()
    if font_path:
        pdf.add_font("Liman", fname=font_path)
        return pdf, "Liman", str
    return pdf, "Helvetica", fold


def _qr_png(payload: str) -> io.BytesIO:
    import segno

    qr = io.BytesIO()
    segno.make_qr(payload, error="m").save(qr, kind="png", scale=6, border=2)
    qr.seek(0)
    return qr


def sign_in_sheets_pdf(activity, sessions: list, participants: list, check_in_url) -> bytes:
    """One page per session: the activity, the session, its QR (the check-in page) and a row per participant with
    their number, name, organisation and a box to sign. `check_in_url(session)` gives the address the QR holds."""
    pdf, family, text = _pdf()
    pdf.set_auto_page_break(True, margin=12)
    pdf.set_title(text(f"{activity.reference} sign-in"))
    if not sessions:
        pdf.add_page()
        pdf.set_font(family, size=12)
        pdf.cell(0, 10, text(_("The activity has no session yet.")))
    for session in sessions:
        pdf.add_page()
        pdf.image(_qr_png(check_in_url(session)), x=165, y=8, w=35, h=35)
        pdf.set_xy(10, 10)
        pdf.set_font(family, size=14)
        pdf.multi_cell(150, 7, text(f"{activity.title}"))
        pdf.set_font(family, size=10)
        pdf.set_x(10)
        pdf.multi_cell(150, 5, text(
            f"{activity.reference} · {_('Session')} {session.number} · {session.held_on:%d.%m.%Y}"
            f"{' · ' + session.topic if session.topic else ''}\n{activity.venue or ''}"
        ))  # fmt: skip
        pdf.set_x(10)
        pdf.set_font(family, size=8)
        pdf.multi_cell(150, 4, text(_("Scan the code to check participants in by their number.")))
        pdf.set_y(48)
        pdf.set_font(family, size=9)
        widths = (12, 70, 60, 48)
        for width, heading in zip(widths, ("#", _("Name"), _("Organisation / position"), _("Signature")), strict=True):
            pdf.cell(width, 7, text(heading), border=1)
        pdf.ln()
        for participant in participants:
            organisation = " / ".join(part for part in (participant.organisation, participant.position) if part)
            for width, value in zip(widths, (str(participant.number), participant.name, organisation, ""), strict=True):
                pdf.cell(width, 8, text(value)[:48], border=1)
            pdf.ln()
    return bytes(pdf.output())


def certificate_pdf(participant, *, sessions: int, office_name: str) -> bytes:
    """The certificate of one participant who completed the activity: Turkish above, English below."""
    activity = participant.activity
    pdf, family, text = _pdf("landscape")
    pdf.set_auto_page_break(False)
    pdf.set_title(text(participant.certificate_number))
    pdf.add_page()
    pdf.set_draw_color(40, 70, 120)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, 281, 194)
    place = activity.venue or (activity.district.name if activity.district_id else activity.province.name)
    values = {
        "name": participant.name,
        "title": activity.title,
        "place": place,
        "start": f"{activity.starts_on:%d.%m.%Y}",
        "end": f"{activity.ends_on:%d.%m.%Y}",
        "sessions": sessions,
        "attended": participant.sessions_attended,
    }
    y = 22
    for language in ("tr", "en"):
        wording = CERTIFICATE_TEXT[language]
        pdf.set_xy(20, y)
        pdf.set_font(family, size=22)
        pdf.cell(257, 12, text(wording["title"]), align="C")
        pdf.set_xy(20, y + 16)
        pdf.set_font(family, size=18)
        pdf.cell(257, 10, text(participant.name), align="C")
        pdf.set_xy(30, y + 30)
        pdf.set_font(family, size=11)
        pdf.multi_cell(237, 6, text(wording["body"].format(**values)), align="C")
        pdf.set_xy(30, y + 52)
        pdf.set_font(family, size=9)
        issued = participant.certificate_issued_on
        pdf.cell(
            237, 5,
            text(f"{wording['number']}: {participant.certificate_number} · {wording['issued']}: "
                 f"{issued:%d.%m.%Y} · {wording['office']}: {office_name}"),
            align="C",
        )  # fmt: skip
        y += 88
    return bytes(pdf.output())
