"""Writes the demo XLSForms next to this file: `.venv/bin/python liman/dtm/data/forms/build_forms.py`.

The .xlsx files are committed; rerun this after changing a form here (raise its version). Labels are in
English and Turkish; district and province choices come from the shipped COD-AB gazetteer.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
sys.path.insert(0, str(ROOT))

from liman.dtm.demo_data import EARTHQUAKE_PROVINCES, FLOW_NATIONALITIES, FLOW_POINTS  # noqa: E402

GAZETTEER = ROOT / "liman" / "core" / "data" / "geo" / "tur_adm2_gazetteer.csv"
LANGS = ("English (en)", "Türkçe (tr)")


def title(text: str) -> str:
    """ÇEŞME -> Çeşme (Turkish casing)."""
    from liman.core.text import tr_title

    return tr_title(text)


def gazetteer() -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    provinces: dict[str, str] = {}
    districts: list[tuple[str, str, str]] = []
    with GAZETTEER.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            provinces[row["adm1_pcode"]] = title(row["adm1_tr"])
            districts.append((row["adm2_pcode"], title(row["adm2_tr"]), row["adm1_pcode"]))
    return provinces, districts


def write(name: str, survey: list[list], choices: list[list], settings: dict) -> None:
    workbook = Workbook()
    sheets = [("survey", survey), ("choices", choices), ("settings", [list(settings), list(settings.values())])]
    for index, (sheet_name, rows) in enumerate(sheets):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        sheet.title = sheet_name
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    workbook.save(HERE / f"{name}.xlsx")
    print(f"wrote {name}.xlsx")


def labels(en: str, tr: str) -> list[str]:
    return [en, tr]


HEADER = ["type", "name", *[f"label::{lang}" for lang in LANGS], *[f"hint::{lang}" for lang in LANGS], "required",
          "relevant", "constraint", *[f"constraint_message::{lang}" for lang in LANGS], "calculation",
          "choice_filter", "appearance", "parameters", "default"]  # fmt: skip


def q(type_: str, name: str, en: str = "", tr: str = "", **extra) -> list:
    """One survey row; `hint`, `constraint_message` (and their `_tr` Turkish forms) fill both languages."""
    row = dict.fromkeys(HEADER, "")
    row.update({"type": type_, "name": name, "label::English (en)": en, "label::Türkçe (tr)": tr or en})
    for key in ("hint", "constraint_message"):
        if key in extra:
            text = extra.pop(key)
            row[f"{key}::English (en)"] = text
            row[f"{key}::Türkçe (tr)"] = extra.pop(f"{key}_tr", text)
    row.update(extra)
    return [row[column] for column in HEADER]


def choice(list_name: str, name: str, en: str, tr: str = "", **extra) -> list:
    return [list_name, name, en, tr or en, *extra.values()]


META = [q("start", "start"), q("end", "end"), q("today", "today"), q("deviceid", "deviceid"), q("username", "username")]
SEX = [choice("sex", "F", "Female", "Kadın"), choice("sex", "M", "Male", "Erkek")]
AGE = [
    choice("age_group", "0_4", "0–4", "0–4"),
    choice("age_group", "5_17", "5–17", "5–17"),
    choice("age_group", "18_59", "18–59", "18–59"),
    choice("age_group", "60", "60+", "60+"),
]
NATIONALITY_NAMES = {
    "AFG": ("Afghanistan", "Afganistan"), "SYR": ("Syria", "Suriye"), "IRQ": ("Iraq", "Irak"),
    "PAK": ("Pakistan", "Pakistan"), "IRN": ("Iran", "İran"), "SOM": ("Somalia", "Somali"),
    "PSE": ("Palestine", "Filistin"), "ERI": ("Eritrea", "Eritre"), "BGD": ("Bangladesh", "Bangladeş"),
    "TKM": ("Turkmenistan", "Türkmenistan"), "UZB": ("Uzbekistan", "Özbekistan"),
}  # fmt: skip
NATIONALITIES = [choice("nationality", code, *NATIONALITY_NAMES[code]) for code in FLOW_NATIONALITIES]


def site_assessment(provinces: dict[str, str], districts: list[tuple[str, str, str]]) -> None:
    survey = [
        HEADER,
        *META,
        q("begin_group", "site", "Site", "Alan"),
        q(
            "text",
            "site_id",
            "Site ID",
            "Alan kimliği",
            hint="Leave blank for a site not assessed before.",
            hint_tr="Daha önce değerlendirilmemiş bir alan için boş bırakın.",
        ),  # fmt: skip
        q("text", "site_name", "Site name", "Alan adı", required="yes"),
        q("select_one site_type", "site_type", "Site type", "Alan türü", required="yes"),
        q("text", "manager", "Site manager", "Alan yöneticisi"),
        q("select_one province", "province", "Province", "İl", required="yes"),
        q("select_one district", "district", "District", "İlçe", required="yes", choice_filter="province=${province}"),
        q("geopoint", "location", "Location of the site entrance", "Alan girişinin konumu", required="yes"),
        q("select_one site_status", "site_status", "Status", "Durum", required="yes"),
        q("end_group", "site"),
        q("begin_group", "population", "Population", "Nüfus"),
        q("integer", "households", "Households", "Hane sayısı", required="yes", constraint=". >= 0"),
        *[
            q(
                "integer",
                f"{sex}_{age}",
                f"{sex_en} {age_label}",
                f"{sex_tr} {age_label}",
                required="yes",
                constraint=". >= 0",
            )
            for sex, sex_en, sex_tr in (("f", "Females", "Kadın"), ("m", "Males", "Erkek"))
            for age, age_label in (("0_4", "0–4"), ("5_17", "5–17"), ("18_59", "18–59"), ("60", "60+"))
        ],  # fmt: skip
        q(
            "calculate",
            "individuals",
            calculation="${f_0_4} + ${f_5_17} + ${f_18_59} + ${f_60} + ${m_0_4} + ${m_5_17} + ${m_18_59} + ${m_60}",
        ),  # fmt: skip
        q("note", "individuals_note", "Individuals: ${individuals}", "Kişi sayısı: ${individuals}"),
        q(
            "select_multiple population_group",
            "population_groups",
            "Population groups living here",
            "Burada yaşayan nüfus grupları",
            required="yes",
        ),  # fmt: skip
        q("end_group", "population"),
        q("begin_repeat", "need", "Needs, most urgent first", "İhtiyaçlar, en acilden başlayarak"),
        q("select_one sector", "sector", "Sector", "Sektör", required="yes"),
        q("select_one severity", "severity", "Severity", "Şiddet", required="yes"),
        q("end_repeat", "need"),
        q("image", "photo", "Photo of the site", "Alanın fotoğrafı", appearance="new", parameters="max-pixels=1024"),
    ]
    choices = [
        ["list_name", "name", *[f"label::{lang}" for lang in LANGS], "province"],
        choice("site_type", "tent_camp", "Tent camp", "Çadır kent"),
        choice("site_type", "container_city", "Container city", "Konteyner kent"),
        choice("site_type", "informal_site", "Informal site", "Gayriresmi alan"),
        choice("site_type", "collective_centre", "Collective centre", "Toplu yaşam merkezi"),
        choice("site_status", "open", "Open", "Açık"),
        choice("site_status", "planned", "Planned", "Planlanan"),
        choice("site_status", "closed", "Closed", "Kapalı"),
        *[choice("province", pcode, provinces[pcode], provinces[pcode]) for pcode in EARTHQUAKE_PROVINCES],
        *[
            choice("district", pcode, name, name, province=parent)
            for pcode, name, parent in districts
            if parent in EARTHQUAKE_PROVINCES
        ],
        choice("population_group", "host_community", "Host community (Turkish citizens)", "Ev sahibi topluluk"),
        choice("population_group", "temporary_protection", "Temporary protection", "Geçici koruma"),
        choice("population_group", "international_protection", "International protection", "Uluslararası koruma"),
        choice("population_group", "residence_permit", "Residence permit", "İkamet izni"),
        *[
            choice("sector", code, en, tr)
            for code, en, tr in (
                ("shelter", "Shelter", "Barınma"),
                ("food", "Food", "Gıda"),
                ("wash", "Water, sanitation, hygiene", "Su, sanitasyon, hijyen"),
                ("health", "Health", "Sağlık"),
                ("nfi", "Non-food items", "Gıda dışı malzeme"),
                ("protection", "Protection", "Koruma"),
                ("education", "Education", "Eğitim"),
                ("livelihoods", "Livelihoods", "Geçim kaynakları"),
                ("cccm", "Camp management", "Kamp yönetimi"),
            )
        ],  # fmt: skip
        *[
            choice("severity", str(n), f"{n} · {en}", f"{n} · {tr}")
            for n, en, tr in (
                (1, "Minimal", "Asgari"),
                (2, "Stressed", "Baskı altında"),
                (3, "Severe", "Ağır"),
                (4, "Extreme", "Aşırı"),
                (5, "Catastrophic", "Felaket"),
            )
        ],  # fmt: skip
    ]
    settings = {
        "form_id": "dtm_site_assessment",
        "version": "2023020601",
        "form_title": "DTM site assessment (earthquake)",
        "default_language": LANGS[0],
        "instance_name": "concat(${site_name}, ' ', ${today})",
    }
    write("dtm_site_assessment", survey, choices, settings)


def flow_count() -> None:
    survey = [
        HEADER,
        *META,
        q("select_one point", "point", "Flow monitoring point", "Akış izleme noktası", required="yes"),
        q("date", "counted_on", "Day counted", "Sayım günü", required="yes", default="today()"),
        q("select_one direction", "direction", "Direction", "Yön", required="yes"),
        q("begin_repeat", "row", "People counted", "Sayılan kişiler"),
        q("select_one nationality", "nationality", "Nationality", "Uyruk", required="yes"),
        q("select_one sex", "sex", "Sex", "Cinsiyet", required="yes"),
        q("select_one age_group", "age_group", "Age group", "Yaş grubu", required="yes"),
        q("integer", "individuals", "Number of people", "Kişi sayısı", required="yes", constraint=". > 0"),
        q("end_repeat", "row"),
    ]
    choices = [
        ["list_name", "name", *[f"label::{lang}" for lang in LANGS]],
        *[choice("point", code, name, name) for code, name, *_rest in FLOW_POINTS],
        choice("direction", "outgoing", "Outgoing (towards the border)", "Çıkış (sınıra doğru)"),
        choice("direction", "incoming", "Incoming", "Giriş"),
        choice("direction", "transit", "Transit", "Transit"),
        *NATIONALITIES, *SEX, *AGE,
    ]  # fmt: skip
    settings = {"form_id": "dtm_flow_count", "version": "2023010201", "form_title": "DTM flow monitoring count",
                "default_language": LANGS[0]}  # fmt: skip
    write("dtm_flow_count", survey, choices, settings)


def flow_survey() -> None:
    survey = [
        HEADER,
        *META,
        q("select_one point", "point", "Flow monitoring point", "Akış izleme noktası", required="yes"),
        q("select_one province", "province", "Province of the interview", "Görüşmenin yapıldığı il", required="yes"),
        q("select_one sex", "sex", "Sex", "Cinsiyet", required="yes"),
        q(
            "integer",
            "age",
            "Age",
            "Yaş",
            required="yes",
            constraint=". >= 18 and . < 100",
            constraint_message="Only adults are interviewed.",
            constraint_message_tr="Yalnızca yetişkinlerle görüşülür.",
        ),  # fmt: skip
        q("select_one nationality", "nationality", "Nationality", "Uyruk", required="yes"),
        q("select_one travelling", "travelling_with", "Travelling", "Seyahat", required="yes"),
        q("select_multiple reason", "reasons", "Reasons for leaving", "Ayrılma nedenleri", required="yes"),
        q("select_one destination", "destination", "Intended destination", "Hedeflenen ülke", required="yes"),
        q("select_multiple need", "needs", "Most pressing needs", "En acil ihtiyaçlar"),
    ]
    choices = [
        ["list_name", "name", *[f"label::{lang}" for lang in LANGS]],
        *[choice("point", code, name, name) for code, name, *_rest in FLOW_POINTS],
        *[choice("province", pcode, name, name) for pcode, name in (("TUR022", "Edirne"), ("TUR035", "İzmir"),
          ("TUR017", "Çanakkale"), ("TUR048", "Muğla"))],  # fmt: skip
        *SEX, *NATIONALITIES,
        choice("travelling", "alone", "Alone", "Yalnız"), choice("travelling", "family", "With family", "Aileyle"),
        choice("travelling", "group", "With a group", "Grupla"),
        choice("reason", "economic", "Economic", "Ekonomik"), choice("reason", "conflict", "Conflict or violence",
        "Çatışma veya şiddet"), choice("reason", "family", "Family reunion", "Aile birleşimi"),
        choice("reason", "education", "Education", "Eğitim"), choice("reason", "other", "Other", "Diğer"),
        choice("destination", "DEU", "Germany", "Almanya"), choice("destination", "GRC", "Greece", "Yunanistan"),
        choice("destination", "FRA", "France", "Fransa"), choice("destination", "GBR", "United Kingdom",
        "Birleşik Krallık"), choice("destination", "NLD", "Netherlands", "Hollanda"), choice("destination", "other",
        "Other", "Diğer"),
        choice("need", "food", "Food", "Gıda"), choice("need", "water", "Water", "Su"), choice("need", "health",
        "Health care", "Sağlık hizmeti"), choice("need", "information", "Information", "Bilgi"),
        choice("need", "shelter", "Shelter", "Barınma"),
    ]  # fmt: skip
    settings = {"form_id": "dtm_flow_survey", "version": "2023010201",
                "form_title": "DTM flow monitoring survey (individual)", "default_language": LANGS[0]}  # fmt: skip
    write("dtm_flow_survey", survey, choices, settings)


def presence(provinces: dict[str, str]) -> None:
    survey = [
        HEADER,
        *META,
        q("date", "period", "Month of the figures (any day in it)", "Rakamların ayı", required="yes"),
        q("select_one province", "province", "Province", "İl", required="yes"),
        q("select_one source", "source", "Source", "Kaynak", required="yes"),
        q("begin_repeat", "row", "Figures", "Rakamlar"),
        q("select_one population_group", "population_group", "Population group", "Nüfus grubu", required="yes"),
        q("select_one nationality", "nationality", "Nationality", "Uyruk", required="yes"),
        q("integer", "individuals", "Individuals present", "Mevcut kişi sayısı", required="yes", constraint=". >= 0"),
        q("end_repeat", "row"),
    ]
    choices = [
        ["list_name", "name", *[f"label::{lang}" for lang in LANGS]],
        *[choice("province", pcode, name, name) for pcode, name in sorted(provinces.items())],
        choice("source", "pmm", "Presidency of Migration Management", "Göç İdaresi Başkanlığı"),
        choice("source", "dtm", "DTM estimate", "DTM tahmini"),
        choice("population_group", "temporary_protection", "Temporary protection", "Geçici koruma"),
        choice("population_group", "international_protection", "International protection", "Uluslararası koruma"),
        choice("population_group", "residence_permit", "Residence permit", "İkamet izni"),
        choice("population_group", "irregular", "Irregular migrants", "Düzensiz göçmenler"),
        *NATIONALITIES,
    ]
    settings = {"form_id": "mpm_presence", "version": "2023070101", "form_title": "MPM presence figures by province",
                "default_language": LANGS[0]}  # fmt: skip
    write("mpm_presence", survey, choices, settings)


if __name__ == "__main__":
    province_names, district_rows = gazetteer()
    site_assessment(province_names, district_rows)
    flow_count()
    flow_survey()
    presence(province_names)
