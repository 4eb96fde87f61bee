"""Real files for field-data tests: XLSForms written with openpyxl, and instance XML shaped exactly as
ODK Collect sends it (namespaced root with id and version, groups, repeats as repeated elements,
geopoints `lat lon alt acc`, select_multiple as space-separated names, attachments named by the answer,
meta/instanceID and meta/deprecatedID)."""

from __future__ import annotations

import uuid
from io import BytesIO

from openpyxl import Workbook

from liman.dtm.openrosa import digest_authorization


def xlsform(survey: list[list], *, choices: list[list] | None = None, settings: list[list] | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    for title, rows in (("choices", choices), ("settings", settings)):
        if rows:
            extra = workbook.create_sheet(title)
            for row in rows:
                extra.append(row)
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


SITE_SURVEY = [
    ["type", "name", "label", "required", "calculation"],
    ["start", "start", "", "", ""],
    ["end", "end", "", "", ""],
    ["today", "today", "", "", ""],
    ["begin_group", "site", "Site", "", ""],
    ["text", "site_id", "Site ID (blank for a new site)", "", ""],
    ["text", "site_name", "Site name", "yes", ""],
    ["select_one site_type", "site_type", "Site type", "yes", ""],
    ["text", "manager", "Site manager", "", ""],
    ["text", "district", "District (p-code)", "yes", ""],
    ["geopoint", "location", "Location", "", ""],
    ["select_one site_status", "site_status", "Status", "", ""],
    ["end_group", "", "", "", ""],
    ["begin_group", "population", "Population", "", ""],
    ["integer", "households", "Households", "yes", ""],
    ["integer", "f_0_4", "Girls 0-4", "", ""],
    ["integer", "f_5_17", "Girls 5-17", "", ""],
    ["integer", "f_18_59", "Women 18-59", "", ""],
    ["integer", "f_60", "Women 60+", "", ""],
    ["integer", "m_0_4", "Boys 0-4", "", ""],
    ["integer", "m_5_17", "Boys 5-17", "", ""],
    ["integer", "m_18_59", "Men 18-59", "", ""],
    ["integer", "m_60", "Men 60+", "", ""],
    ["calculate", "individuals", "", "", "${f_0_4}+${f_5_17}+${f_18_59}+${f_60}+${m_0_4}+${m_5_17}+${m_18_59}+${m_60}"],
    ["select_multiple group", "population_groups", "Population groups", "", ""],
    ["end_group", "", "", "", ""],
    ["begin_repeat", "need", "Needs", "", ""],
    ["select_one sector", "sector", "Sector", "yes", ""],
    ["select_one severity", "severity", "Severity", "yes", ""],
    ["end_repeat", "", "", "", ""],
    ["image", "photo", "Photo of the site", "", ""],
]
SITE_CHOICES = [
    ["list_name", "name", "label"],
    *[["site_type", name, name] for name in ("tent_camp", "container_city", "informal_site", "collective_centre")],
    *[["site_status", name, name] for name in ("open", "planned", "closed")],
    *[["group", name, name] for name in ("temporary_protection", "host_community", "international_protection")],
    *[["sector", name, name] for name in ("shelter", "food", "wash", "health", "nfi", "protection")],
    *[["severity", str(n), str(n)] for n in range(1, 6)],
]


def site_form(
    *, form_id: str = "site_assessment", version: str = "2023040301", title: str = "Site assessment"
) -> bytes:
    settings = [["form_id", "version", "form_title"], [form_id, version, title]] if form_id else None
    return xlsform(SITE_SURVEY, choices=SITE_CHOICES, settings=settings)


def collect_xml(form_id: str, version: str, body: str, *, instance_id: str = "", deprecated_id: str = "") -> bytes:
    """An instance as ODK Collect writes it."""
    instance_id = instance_id or f"uuid:{uuid.uuid4()}"
    deprecated = f"<deprecatedID>{deprecated_id}</deprecatedID>" if deprecated_id else ""
    return (
        "<?xml version='1.0' ?>"
        f'<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" '
        f'xmlns:odk="http://www.opendatakit.org/xforms" id="{form_id}" version="{version}">'
        f"{body}"
        f"<meta><instanceID>{instance_id}</instanceID>{deprecated}<instanceName>site</instanceName></meta>"
        "</data>"
    ).encode()


def site_body(
    *,
    site_name: str = "Antakya Tent City",
    district: str = "TUR031001",
    households: int = 120,
    location: str = "36.2025 36.1604 84.2 4.9",
    sex_age: tuple[int, ...] = (30, 80, 110, 20, 32, 84, 100, 24),
    groups: str = "temporary_protection host_community",
    needs: tuple[tuple[str, int], ...] = (("shelter", 4), ("wash", 3)),
    photo: str = "1681723451234.jpg",
    site_id: str = "",
    today: str = "2023-04-05",
) -> str:
    names = ("f_0_4", "f_5_17", "f_18_59", "f_60", "m_0_4", "m_5_17", "m_18_59", "m_60")
    population = "".join(f"<{name}>{value}</{name}>" for name, value in zip(names, sex_age, strict=True))
    repeats = "".join(
        f"<need><sector>{sector}</sector><severity>{severity}</severity></need>" for sector, severity in needs
    )
    return (
        "<start>2023-04-05T09:12:33.120+03:00</start><end>2023-04-05T09:31:02.550+03:00</end>"
        f"<today>{today}</today>"
        f"<site><site_id>{site_id}</site_id><site_name>{site_name}</site_name><site_type>tent_camp</site_type>"
        f"<manager>AFAD</manager><district>{district}</district><location>{location}</location>"
        "<site_status>open</site_status></site>"
        f"<population><households>{households}</households>{population}<individuals>{sum(sex_age)}</individuals>"
        f"<population_groups>{groups}</population_groups></population>"
        f"{repeats}<photo>{photo}</photo>"
    )


FLOW_SURVEY = [
    ["type", "name", "label"],
    ["text", "point", "Point"],
    ["date", "counted_on", "Day"],
    ["select_one direction", "direction", "Direction"],
    ["begin_repeat", "row", "Counts"],
    ["select_one nationality", "nationality", "Nationality"],
    ["select_one sex", "sex", "Sex"],
    ["select_one age", "age_group", "Age group"],
    ["integer", "individuals", "People"],
    ["end_repeat", "", ""],
]
FLOW_CHOICES = [
    ["list_name", "name", "label"],
    ["direction", "outgoing", "Out"], ["direction", "incoming", "In"],
    ["nationality", "AFG", "Afghanistan"], ["nationality", "SYR", "Syria"],
    ["sex", "F", "F"], ["sex", "M", "M"], ["age", "18_59", "18-59"], ["age", "5_17", "5-17"],
]  # fmt: skip


def flow_body(point: str, day: str, rows, *, direction: str = "outgoing") -> str:
    """A flow count as Collect sends it: `rows` are (nationality, sex, age group, individuals), one repeat each."""
    entries = "".join(
        f"<row><nationality>{n}</nationality><sex>{s}</sex><age_group>{a}</age_group><individuals>{c}</individuals></row>"
        for n, s, a, c in rows
    )
    return f"<point>{point}</point><counted_on>{day}</counted_on><direction>{direction}</direction>{entries}"


def digest_header(username: str, password: str, *, nonce: str, method: str, uri: str, realm: str = "Liman") -> str:
    return digest_authorization(username=username, password=password, realm=realm, nonce=nonce, method=method, uri=uri)
