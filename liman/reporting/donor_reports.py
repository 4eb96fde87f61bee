"""Donor reports: the content of a report (figures computed from the operations through the project's indicator
table, the narrative, the stories), what changed between two issues, and the report as XLSX, DOCX (from a template
a programme officer edits) and PDF. An issue's content is frozen: every export of an issue reads its stored content,
never the operations."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from liman.core import disclosure, measures
from liman.core.pdf import fold, pdf_font_path
from liman.core.tabular import xlsx_bytes

from . import selectors

#: The shipped template; `LIMAN_DONOR_REPORT_TEMPLATE` names a programme's own (a .docx with the same fields).
DEFAULT_TEMPLATE = Path(__file__).parent / "templates" / "reporting" / "donor_report.docx"
AGE_SEX = ("girls", "boys", "women", "men")
FIGURES = ("target", "achieved", "with_disability")


def template_path() -> Path:
    configured = settings.LIMAN_DONOR_REPORT_TEMPLATE
    return Path(configured) if configured and Path(configured).is_file() else DEFAULT_TEMPLATE


def _suppressed(values: dict) -> dict:
    hidden = disclosure.suppress(values, disclosure.min_cell())
    return {key: (disclosure.suppressed_mark() if key in hidden else value) for key, value in values.items()}


def indicator_rows(project, start: datetime.date, end: datetime.date) -> list[dict]:
    """The project's indicator table over [start, end] as plain values (what an issue freezes). The
    disaggregations of a protection-tier measure hide cells under the minimum (totals stay true)."""
    rows = []
    for outcome, output, progress in selectors.indicator_table(project, start=start, end=end):
        indicator = progress.indicator
        sensitive = (
            indicator.measure_key in measures.MEASURES
            and measures.MEASURES[indicator.measure_key].sensitivity != "normal"
        )
        by_age_sex = {name: progress.by_age_sex.get(name, 0) for name in AGE_SEX} if progress.by_age_sex else {}
        by_group, by_province = dict(progress.by_group), dict(progress.by_province)
        if sensitive:
            by_age_sex, by_group, by_province = map(_suppressed, (by_age_sex, by_group, by_province))
        rows.append(
            {
                "outcome": f"{outcome.code} {outcome.title}", "output": f"{output.code} {output.title}",
                "code": indicator.code, "title": indicator.title, "unit": indicator.unit, "kind": indicator.kind,
                "baseline": indicator.baseline, "target": progress.target, "achieved": progress.achieved,
                "percent": progress.percent, "with_disability": progress.with_disability,
                "by_age_sex": by_age_sex, "by_group": by_group, "by_province": by_province,
                "disaggregations": list(indicator.disaggregations or []),
                "over_offices": progress.over_offices,
            }
        )  # fmt: skip
    return rows


def content_of(report) -> dict:
    """A report as it stands now: what an issue freezes."""
    stories = [
        {"title": story.title, "text": story.text, "province": story.province.name_en if story.province else ""}
        for story in report.stories.select_related("province")
    ]
    narrative = {name: getattr(report, name) for name in ("summary", "achievements", "challenges", "next_steps")}
    return content_for(report.project, report.starts_on, report.ends_on, title=report.title, narrative=narrative,
                       stories=stories)  # fmt: skip


def content_for(project, start: datetime.date, end: datetime.date, *, title: str, narrative=None, stories=()) -> dict:
    """The content of a report on `project` over [start, end] (a report's, or the figures alone for `liman report
    donor` when no report covers the period)."""
    return {
        "title": title,
        "project": {
            "grant_code": project.grant_code,
            "title": project.title,
            "donor": project.donor.name,
            "budget": str(project.budget),
            "currency": project.currency,
            "starts_on": project.starts_on.isoformat(),
            "ends_on": project.ends_on.isoformat(),
            "offices": sorted(office.code for office in project.offices.all()),
        },  # fmt: skip
        "period": [start.isoformat(), end.isoformat()],
        "narrative": dict(narrative or {name: "" for name in ("summary", "achievements", "challenges", "next_steps")}),
        "stories": list(stories),
        "indicators": indicator_rows(project, start, end),
    }


def differences(before: dict, after: dict) -> list[dict]:
    """What changed from one issue's content to the next: each indicator's figures and disaggregations, indicators
    added or removed, the period and the narrative."""
    changes = []
    if before.get("period") != after.get("period"):
        changes.append({"indicator": "", "field": "period", "before": before.get("period"), "after": after["period"]})
    old = {row["code"]: row for row in before.get("indicators", [])}
    new = {row["code"]: row for row in after.get("indicators", [])}
    for code in sorted(set(old) | set(new)):
        a, b = old.get(code), new.get(code)
        if a is None or b is None:
            field = "added" if a is None else "removed"
            changes.append({"indicator": code, "field": field, "before": a and a["achieved"],
                            "after": b and b["achieved"]})  # fmt: skip
            continue
        for field in FIGURES:
            if a[field] != b[field]:
                changes.append({"indicator": code, "field": field, "before": a[field], "after": b[field]})
        for block in ("by_age_sex", "by_group", "by_province"):
            for key in sorted(set(a[block]) | set(b[block])):
                if a[block].get(key, 0) != b[block].get(key, 0):
                    changes.append({"indicator": code, "field": f"{block}:{key}", "before": a[block].get(key, 0),
                                    "after": b[block].get(key, 0)})  # fmt: skip
    for name, text in after.get("narrative", {}).items():
        if before.get("narrative", {}).get(name, "") != text:
            changes.append({"indicator": "", "field": name, "before": "…", "after": "…"})
    return changes


def _breakdown(values: dict) -> str:
    return "; ".join(f"{key}: {value}" for key, value in values.items())


HEADER = ("outcome", "output", "code", "indicator", "unit", "baseline", "target", "achieved", "percent", "girls",
          "boys", "women", "men", "with_disability", "population_groups", "provinces")  # fmt: skip


def table_rows(content: dict) -> list[list]:
    rows = [list(HEADER)]
    for row in content["indicators"]:
        rows.append(
            [row["outcome"], row["output"], row["code"], row["title"], row["unit"], row["baseline"], row["target"],
             row["achieved"], row["percent"] if row["percent"] is not None else "",
             *[row["by_age_sex"].get(name, "") for name in AGE_SEX], row["with_disability"],
             _breakdown(row["by_group"]), _breakdown(row["by_province"])]
        )  # fmt: skip
    return rows


def _heading(content: dict, issue) -> str:
    number = f" · {_('issue')} {issue.number}" if issue is not None else f" · {_('draft')}"
    return f"{content['project']['grant_code']} · {content['title']}{number}"


def xlsx(content: dict, issue=None) -> bytes:
    """The report as a workbook: the indicators (with a chart of achieved against target), the narrative, the
    stories and, for a reissue, what changed."""
    from openpyxl import load_workbook
    from openpyxl.chart import BarChart, Reference

    narrative = [[_("Report"), _heading(content, issue)], [_("Period"), *content["period"]],
                 [_("Donor"), content["project"]["donor"]]]  # fmt: skip
    narrative += [[name, text] for name, text in content["narrative"].items()]
    sheets = {_("Indicators"): table_rows(content), _("Narrative"): narrative}
    sheets[_("Stories")] = [["title", "province", "story"]] + [
        [s["title"], s["province"], s["text"]] for s in content["stories"]
    ]
    if issue is not None and issue.changes:
        sheets[_("Changes")] = [["indicator", "field", "before", "after"]] + [
            [c["indicator"], c["field"], str(c["before"]), str(c["after"])] for c in issue.changes
        ]
    data = xlsx_bytes(sheets)
    book = load_workbook(io.BytesIO(data))
    sheet = book[_("Indicators")]
    count = len(content["indicators"])
    if count:
        chart = BarChart()
        chart.type = "bar"
        chart.title = _("Achieved against target")
        chart.add_data(Reference(sheet, min_col=7, max_col=8, min_row=1, max_row=count + 1), titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=3, min_row=2, max_row=count + 1))
        sheet.add_chart(chart, f"A{count + 4}")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def chart_png(content: dict, *, width: int = 900) -> bytes:
    """Bars of each indicator's achieved figure against its target (Pillow, no plotting library)."""
    from PIL import Image, ImageDraw

    rows = content["indicators"] or [{"code": "—", "target": 0, "achieved": 0}]
    line, top = 34, 16
    image = Image.new("RGB", (width, top * 2 + line * len(rows)), "white")
    draw = ImageDraw.Draw(image)
    largest = max([1, *[max(r["target"], r["achieved"]) for r in rows]])
    left, span = 110, width - 230
    for n, row in enumerate(rows):
        y = top + n * line
        draw.text((8, y + 8), str(row["code"])[:14], fill="black")
        draw.rectangle([left, y + 2, left + span * row["target"] / largest, y + 14], fill=(198, 219, 239))
        draw.rectangle([left, y + 16, left + span * row["achieved"] / largest, y + 28], fill=(49, 130, 189))
        draw.text((left + span + 10, y + 8), f"{row['achieved']} / {row['target']}", fill="black")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def docx(content: dict, issue=None) -> bytes:
    """The report from the DOCX template (docxtpl: Jinja fields in Word), with the chart as an image."""
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage

    document = DocxTemplate(str(template_path()))
    context = {
        **content,
        "heading": _heading(content, issue),
        "issue": issue.number if issue is not None else "",
        "issued_at": issue.issued_at.date().isoformat() if issue is not None else "",
        "changes": issue.changes if issue is not None else [],
        "rows": [
            {**row, "breakdown": " · ".join(str(row["by_age_sex"].get(name, "")) for name in AGE_SEX)
             if row["by_age_sex"] else "", "groups": _breakdown(row["by_group"]),
             "provinces": _breakdown(row["by_province"]), "percent": "" if row["percent"] is None else row["percent"]}
            for row in content["indicators"]
        ],
        "chart": InlineImage(document, io.BytesIO(chart_png(content)), width=Mm(160)),
    }  # fmt: skip
    document.render(context, autoescape=True)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pdf(content: dict, issue=None) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    document = FPDF(orientation="landscape", format="A4")
    font_path = pdf_font_path()
    if font_path:
        document.add_font("Report", fname=font_path)
        family, text = "Report", str
    else:
        family, text = "Helvetica", fold
    heading = _heading(content, issue)
    document.set_title(text(heading))
    document.set_creator("Liman")
    document.set_auto_page_break(auto=True, margin=12)
    document.add_page()
    document.set_font(family, size=14)
    document.multi_cell(0, 8, text(heading), new_x="LMARGIN", new_y="NEXT")
    document.set_font(family, size=10)
    project = content["project"]
    document.multi_cell(0, 6, text(f"{project['title']} · {project['donor']} · {_('Period')}: "
                                   f"{content['period'][0]} – {content['period'][1]}"),
                        new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    document.ln(2)
    style = FontFace(emphasis="BOLD" if not font_path else None, fill_color=(230, 236, 243))
    with document.table(col_widths=(18, 70, 16, 16, 16, 12, 40, 40), text_align="LEFT", headings_style=style,
                        line_height=5) as table:  # fmt: skip
        table.row([text(v) for v in (_("Code"), _("Indicator"), _("Baseline"), _("Target"), _("Achieved"), "%",
                                     _("Girls · boys · women · men"), _("Population groups"))])  # fmt: skip
        for row in content["indicators"]:
            breakdown = " · ".join(str(row["by_age_sex"].get(n, "")) for n in AGE_SEX) if row["by_age_sex"] else ""
            table.row([text(str(v)) for v in (row["code"], row["title"], row["baseline"], row["target"],
                                              row["achieved"], "" if row["percent"] is None else row["percent"],
                                              breakdown, _breakdown(row["by_group"]))])  # fmt: skip
    document.ln(3)
    document.image(io.BytesIO(chart_png(content)), w=200)
    for name, body in content["narrative"].items():
        if body:
            document.set_font(family, size=12)
            document.cell(0, 8, text(name.replace("_", " ").capitalize()), new_x="LMARGIN", new_y="NEXT")
            document.set_font(family, size=10)
            document.multi_cell(0, 5, text(body), new_x="LMARGIN", new_y="NEXT")
    for story in content["stories"]:
        document.set_font(family, size=12)
        document.cell(0, 8, text(story["title"]), new_x="LMARGIN", new_y="NEXT")
        document.set_font(family, size=10)
        document.multi_cell(0, 5, text(story["text"]), new_x="LMARGIN", new_y="NEXT")
    if issue is not None and issue.changes:
        document.set_font(family, size=12)
        document.cell(0, 8, text(_("Changes since issue %(n)s") % {"n": issue.number - 1}), new_x="LMARGIN",
                      new_y="NEXT")  # fmt: skip
        document.set_font(family, size=10)
        for change in issue.changes:
            document.cell(0, 5, text(f"{change['indicator']} {change['field']}: {change['before']} → "
                                     f"{change['after']}"), new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    return bytes(document.output())
