"""Builds the shipped donor report template (templates/reporting/donor_report.docx). A programme officer edits a
copy in Word (fonts, logo, wording, order) keeping the {{ fields }} and {%tr %} rows, and names it in
LIMAN_DONOR_REPORT_TEMPLATE. Rebuild the shipped one with `python -m liman.reporting.docx_template`."""

from __future__ import annotations

from pathlib import Path


def build(path: Path) -> None:
    from docx import Document

    document = Document()
    document.add_heading("{{ heading }}", level=0)
    document.add_paragraph("{{ project.title }} · {{ project.donor }} · {{ project.grant_code }}")
    document.add_paragraph(
        "Period: {{ period[0] }} – {{ period[1] }}{% if issue %} · Issue {{ issue }}, {{ issued_at }}{% endif %}"
    )
    document.add_heading("Summary", level=1)
    document.add_paragraph("{{ narrative.summary }}")
    document.add_heading("Progress against targets", level=1)
    table = document.add_table(rows=4, cols=8)
    table.style = "Table Grid"
    titles = ("Code", "Indicator", "Baseline", "Target", "Achieved", "%", "Girls · boys · women · men",
              "Population groups")  # fmt: skip
    for cell, title in zip(table.rows[0].cells, titles, strict=True):
        cell.text = title
    table.rows[1].cells[0].text = "{%tr for row in rows %}"
    fields = ("code", "title", "baseline", "target", "achieved", "percent", "breakdown", "groups")
    for cell, field in zip(table.rows[2].cells, fields, strict=True):
        cell.text = "{{ row." + field + " }}"
    table.rows[3].cells[0].text = "{%tr endfor %}"
    document.add_paragraph("{{ chart }}")
    document.add_heading("Achievements", level=1)
    document.add_paragraph("{{ narrative.achievements }}")
    document.add_heading("Challenges and how they were met", level=1)
    document.add_paragraph("{{ narrative.challenges }}")
    document.add_heading("Next steps", level=1)
    document.add_paragraph("{{ narrative.next_steps }}")
    document.add_heading("Stories", level=1)
    document.add_paragraph("{%p for story in stories %}")
    document.add_paragraph(
        "{{ story.title }}{% if story.province %} ({{ story.province }}){% endif %}: {{ story.text }}"
    )
    document.add_paragraph("{%p endfor %}")
    document.add_paragraph("{%p if changes %}")
    document.add_heading("Changes since the previous issue", level=1)
    document.add_paragraph("{%p for c in changes %}")
    document.add_paragraph("{{ c.indicator }} {{ c.field }}: {{ c.before }} → {{ c.after }}")
    document.add_paragraph("{%p endfor %}")
    document.add_paragraph("{%p endif %}")
    document.save(str(path))


if __name__ == "__main__":
    build(Path(__file__).parent / "templates" / "reporting" / "donor_report.docx")
