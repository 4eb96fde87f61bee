"""Writes the shipped XLSForms next to this file: `.venv/bin/python liman/dtm/data/forms/build_forms.py [FORM_ID …]`
(every form, or only those named).

The .xlsx files are committed; rerun this after changing a form here (raise its version). Labels are in
English and Turkish; district and province choices come from the shipped COD-AB gazetteer. The border
incident form takes its choices from the assistance app (choices.py, catalogue.py), so a choice added there
fails this script until the form gives it a label.
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
sys.path.insert(0, str(ROOT))

from liman.assistance.catalogue import STANDARD_ITEMS  # noqa: E402
from liman.assistance.choices import (  # noqa: E402
    COMMON_NATIONALITIES,
    AgeGroup,
    Authority,
    HowMet,
    IncidentService,
    Sex,
    Terrain,
)
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
    "COD": ("DR Congo", "Kongo Demokratik Cumhuriyeti"), "YEM": ("Yemen", "Yemen"),
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


# --- the border mobile teams' field incident (what liman.assistance.services.incident_record takes) -----------

#: Provinces where the border mobile teams meet groups: the land border (Edirne, Kırklareli) and the Aegean coast
#: from Çanakkale to Muğla (docs/domain.md, "Border response in practice").
BORDER_PROVINCES = ["TUR022", "TUR039", "TUR017", "TUR010", "TUR035", "TUR009", "TUR048"]
#: English and Turkish labels of the assistance app's choices, by value (the values are the app's own).
INCIDENT_LABELS = {
    "terrain": {Terrain.LAND: ("Land", "Kara"), Terrain.SEA: ("Sea", "Deniz")},
    "authority": {
        Authority.COAST_GUARD: ("Coast guard", "Sahil Güvenlik"), Authority.GENDARMERIE: ("Gendarmerie", "Jandarma"),
        Authority.POLICE: ("Police", "Polis"), Authority.PMM: ("Presidency of Migration Management",
        "Göç İdaresi Başkanlığı"), Authority.OTHER: ("Other", "Diğer"),
    },
    "how_met": {
        HowMet.RESCUE_AT_SEA: ("Rescue at sea", "Denizde kurtarma"), HowMet.INTERCEPTION: ("Interception", "Durdurma"),
        HowMet.APPREHENSION: ("Apprehension", "Yakalama"),
        HowMet.SELF_PRESENTATION: ("Self-presentation", "Kendiliğinden başvuru"),
    },
    "incident_sex": {Sex.FEMALE: ("Female", "Kadın"), Sex.MALE: ("Male", "Erkek")},
    "incident_age": {
        AgeGroup.INFANTS: ("0–4", "0–4"), AgeGroup.CHILDREN: ("5–17", "5–17"), AgeGroup.ADULTS: ("18–59", "18–59"),
        AgeGroup.ELDERLY: ("60+", "60+"),
    },
    "service": {
        IncidentService.INTERPRETATION: ("Interpretation", "Tercümanlık"),
        IncidentService.FIRST_AID: ("First aid", "İlk yardım"),
        IncidentService.PSYCHOSOCIAL: ("Psychosocial first aid", "Psikolojik ilk yardım"),
        IncidentService.INFORMATION: ("Information", "Bilgilendirme"),
        IncidentService.REFERRAL: ("Referral", "Yönlendirme"),
    },
}  # fmt: skip
ITEM_NAMES_TR = {
    "FOOD-PARCEL": "Gıda kolisi", "FOOD-PACK": "Hazır gıda paketi", "WATER-1L5": "İçme suyu 1,5 l",
    "HYG-KIT": "Hijyen kiti", "DIG-KIT": "Onur kiti", "BABY-KIT": "Bebek kiti", "BLANKET": "Battaniye",
    "CLOTH-SET": "Kuru giysi seti", "FIRST-AID": "İlk yardım çantası", "NFI-KIT": "Gıda dışı malzeme kiti",
    "WINTER-KIT": "Kışlık malzeme kiti", "SHELTER-KIT": "Barınma kiti", "TARP": "Branda 4 × 6 m",
    "TENT": "Aile çadırı",
}  # fmt: skip


def _labelled(list_name: str, choices_class) -> list[list]:
    """One choice per value of an assistance choice class, in its order; a value without a label stops the build."""
    labels = INCIDENT_LABELS[list_name]
    missing = [value for value in choices_class.values if value not in labels]
    if missing:
        raise SystemExit(f"{choices_class.__name__}: give the border incident form a label for {missing}")
    return [choice(list_name, value, *labels[value]) for value in choices_class.values]


def _count(name: str, en: str, tr: str, *, most: str, most_en: str, most_tr: str) -> list:
    """A required count of people, zero or more and at most `most` (an XPath of the form's own totals)."""
    return q(
        "integer", name, en, tr, required="yes", default="0", constraint=f". >= 0 and . <= {most}",
        constraint_message=f"Zero or more, and no more than the {most_en}.",
        constraint_message_tr=f"Sıfır veya daha fazla; {most_tr} sayısını aşamaz.",
    )  # fmt: skip


def border_incident(provinces: dict[str, str], districts: list[tuple[str, str, str]]) -> None:
    people = dict(most="${people_met}", most_en="${people_met} people met", most_tr="karşılaşılan ${people_met} kişi")
    survey = [
        HEADER,
        *META,
        q("begin_group", "incident", "Where and how the group was met", "Grupla nerede ve nasıl karşılaşıldı"),
        q("dateTime", "occurred_at", "Date and time", "Tarih ve saat", required="yes", default="now()",
          constraint=". <= now()", constraint_message="Not in the future.", constraint_message_tr="Gelecekte olamaz."),
        q("select_one province", "province", "Province", "İl", required="yes"),
        q("select_one district", "district", "District", "İlçe", required="yes", choice_filter="province=${province}"),
        q("geopoint", "location", "Location (if known)", "Konum (biliniyorsa)",
          hint="At sea: where the boat was met.", hint_tr="Denizde: teknenin karşılaşıldığı yer."),
        q("select_one terrain", "terrain", "Land or sea", "Kara veya deniz", required="yes"),
        q("select_one authority", "authority", "Authority present", "Hazır bulunan kurum", required="yes"),
        q("select_one how_met", "how_met", "How the group was met", "Grupla nasıl karşılaşıldı", required="yes",
          constraint="not(. = 'rescue_at_sea' and ${terrain} = 'land')",
          constraint_message="A rescue at sea is at sea: change 'Land or sea'.",
          constraint_message_tr="Denizde kurtarma denizde olur: 'Kara veya deniz' sorusunu değiştirin."),
        q("end_group", "incident"),
        q("begin_repeat", "person", "People met: one entry per sex, age group and nationality",
          "Karşılaşılan kişiler: her cinsiyet, yaş grubu ve uyruk için bir kayıt"),
        q("select_one incident_sex", "sex", "Sex", "Cinsiyet", required="yes"),
        q("select_one incident_age", "age_group", "Age group", "Yaş grubu", required="yes"),
        q("select_one nationality", "nationality_listed", "Nationality", "Uyruk", required="yes"),
        q("text", "nationality_other", "Nationality: ISO code (three letters)", "Uyruk: ISO kodu (üç harf)",
          required="yes", relevant="${nationality_listed} = 'other'", constraint="regex(., '^[A-Z]{3}$')",
          constraint_message="Three capital letters, e.g. SDN.", constraint_message_tr="Üç büyük harf, ör. SDN."),
        q("calculate", "nationality",
          calculation="if(${nationality_listed} = 'other', ${nationality_other}, ${nationality_listed})"),
        q("integer", "count", "Number of people", "Kişi sayısı", required="yes", constraint=". > 0",
          constraint_message="At least one.", constraint_message_tr="En az bir."),
        # What each entry adds to the totals the counts below are checked against (incident_record's rules).
        q("calculate", "children_in_entry",
          calculation="if(${age_group} = '0_4' or ${age_group} = '5_17', ${count}, 0)"),
        q("calculate", "women_in_entry", calculation="if(${sex} = 'f' and ${age_group} != '0_4', ${count}, 0)"),
        q("end_repeat", "person"),
        q("calculate", "people_met", calculation="sum(${count})"),
        q("calculate", "children_met", calculation="sum(${children_in_entry})"),
        q("calculate", "women_met", calculation="sum(${women_in_entry})"),
        q("acknowledge", "people_checked", "People met: ${people_met}", "Karşılaşılan kişi: ${people_met}",
          required="yes", constraint="${people_met} > 0",
          constraint_message="Count the people met: at least one.",
          constraint_message_tr="Karşılaşılan kişileri sayın: en az bir kişi."),
        q("begin_group", "vulnerable", "Vulnerable cases seen", "Görülen hassas durumlar"),
        _count("unaccompanied_children", "Unaccompanied children", "Refakatsiz çocuklar", most="${children_met}",
               most_en="${children_met} children met", most_tr="karşılaşılan ${children_met} çocuk"),
        _count("pregnant_women", "Pregnant women", "Hamile kadınlar", most="${women_met}",
               most_en="${women_met} women and girls met", most_tr="karşılaşılan ${women_met} kadın ve kız çocuğu"),
        _count("injured", "Injured", "Yaralılar", **people),
        _count("with_disability", "People with a disability", "Engelli kişiler", **people),
        q("end_group", "vulnerable"),
        q("begin_group", "referrals", "Referrals made", "Yapılan yönlendirmeler"),
        _count("referred_to_case", "Referred to a case (protection, counter-trafficking)",
               "Vakaya yönlendirilen (koruma, insan ticaretiyle mücadele)", **people),
        _count("referred_to_health", "Referred to health", "Sağlığa yönlendirilen", **people),
        _count("referred_to_pmm", "Referred to the PMM", "Göç İdaresine yönlendirilen", **people),
        q("text", "referral_note", "Referral note", "Yönlendirme notu", appearance="multiline",
          relevant="${referred_to_case} + ${referred_to_health} + ${referred_to_pmm} > 0",
          hint="Where to, and why; no names.", hint_tr="Nereye ve neden; isim yazmayın."),
        q("end_group", "referrals"),
        q("begin_group", "services", "Services given: how many people (or times)",
          "Verilen hizmetler: kaç kişiye (veya kaç kez)"),
        *[
            q("integer", f"service_{value}", en, tr, required="yes", default="0", constraint=". >= 0",
              constraint_message="Zero or more.", constraint_message_tr="Sıfır veya daha fazla.")
            for value, (en, tr) in ((value, INCIDENT_LABELS["service"][value]) for value in IncidentService.values)
        ],
        q("end_group", "services"),
        q("begin_repeat", "item", "Items given from the team's vehicle", "Ekip aracından verilen malzemeler",
          hint="Issued from the van's stock when the form is received.",
          hint_tr="Form alındığında aracın stoğundan düşülür."),
        q("select_one item", "item_code", "Item", "Malzeme", required="yes"),
        q("integer", "quantity", "Quantity", "Miktar", required="yes", constraint=". > 0",
          constraint_message="At least one.", constraint_message_tr="En az bir."),
        q("end_repeat", "item"),
        q("text", "note", "Note", "Not", appearance="multiline",
          hint="What happened; no names.", hint_tr="Ne oldu; isim yazmayın."),
    ]  # fmt: skip
    choices = [
        ["list_name", "name", *[f"label::{lang}" for lang in LANGS], "province"],
        *[choice("province", pcode, provinces[pcode], provinces[pcode]) for pcode in BORDER_PROVINCES],
        *[
            choice("district", pcode, name, name, province=parent)
            for pcode, name, parent in sorted(districts, key=lambda row: (row[2], row[1]))
            if parent in BORDER_PROVINCES
        ],
        *_labelled("terrain", Terrain),
        *_labelled("authority", Authority),
        *_labelled("how_met", HowMet),
        *_labelled("incident_sex", Sex),
        *_labelled("incident_age", AgeGroup),
        *[choice("nationality", code, *NATIONALITY_NAMES[code]) for code in COMMON_NATIONALITIES],
        choice("nationality", "other", "Other (give the ISO code)", "Diğer (ISO kodunu yazın)"),
        *[choice("item", code, name, ITEM_NAMES_TR[code]) for code, name, *_rest in STANDARD_ITEMS],
    ]
    settings = {
        "form_id": "liman_border_incident",
        "version": "2026120601",
        "form_title": "Border mobile team: field incident",
        "default_language": LANGS[0],
        "instance_name": "concat(${occurred_at}, ' · ', ${people_met})",
    }
    write("liman_border_incident", survey, choices, settings)


PDM_LABELS_TR = {
    "full": "Evet, tamamını", "partly": "Evet, ama tutardan az", "no": "Hayır",
    "food": "Gıda", "rent": "Kira", "utilities": "Elektrik, su, doğalgaz", "health": "Sağlık ve ilaç",
    "education": "Eğitim", "clothes": "Giysi ve ayakkabı", "debt": "Borç ödeme", "transport": "Ulaşım",
    "hygiene": "Hijyen malzemeleri", "saved": "Biriktirildi", "other": "Diğer",
    "none": "Sorun yaşanmadı", "distance": "Ödeme noktası uzaktı", "waiting": "Uzun bekleme",
    "card_pin": "Kart veya şifre çalışmadı", "fee": "Ücret istendi", "documents": "Belgeler kabul edilmedi",
    "information": "Ne zaman veya nereden alınacağı bilinmiyordu",
    "pressure": "Biri pay istedi veya baskı yaptı", "yes": "Evet",
}  # fmt: skip


def _pdm_choices(list_name: str, choices_class) -> list:
    """Choices of the cash app's class (English labels from it, Turkish from PDM_LABELS_TR)."""
    from django.utils.translation import override

    with override("en"):
        return [choice(list_name, value, str(label), PDM_LABELS_TR[value]) for value, label in choices_class.choices]


def cash_pdm() -> None:
    """Post-distribution monitoring of a cash payment: one household of a cycle's monitoring sample, asked by phone or
    at home; the answers are recorded on the household's visit (`liman.cash.pdm`)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liman.settings")
    django.setup()
    from liman.cash.choices import PdmProblem, PdmReceived, PdmSpending, YesNo

    reference = dict(constraint="regex(., '^[A-Za-z0-9-]+$')",
                     constraint_message="Letters, digits and hyphens, as on the monitoring list.",
                     constraint_message_tr="İzleme listesindeki gibi harf, rakam ve tire.")  # fmt: skip
    survey = [
        HEADER,
        *META,
        q("begin_group", "who", "Who is asked", "Kime soruluyor"),
        q("text", "cycle", "Payment cycle (reference on the monitoring list)",
          "Ödeme dönemi (izleme listesindeki referans)", required="yes", hint="e.g. MPC-IST-C01",
          hint_tr="ör. MPC-IST-C01", **reference),
        q("text", "household", "Household (reference on the monitoring list)",
          "Hane (izleme listesindeki referans)", required="yes", hint="e.g. IST-H000123",
          hint_tr="ör. IST-H000123", **reference),
        q("date", "interviewed_on", "Date of the interview", "Görüşme tarihi", required="yes", default="today()",
          constraint=". <= today()", constraint_message="Not in the future.",
          constraint_message_tr="Gelecekte olamaz."),
        q("end_group", "who"),
        q("begin_group", "payment", "The payment", "Ödeme"),
        q("select_one received", "received", "Did the household receive the payment?", "Hane ödemeyi aldı mı?",
          required="yes"),
        q("integer", "amount_received", "Amount received (TRY)", "Alınan tutar (TL)", required="yes",
          relevant="${received} != 'no'", constraint=". > 0", constraint_message="More than zero.",
          constraint_message_tr="Sıfırdan büyük olmalı."),
        q("select_multiple spent_on", "spent_on", "What was the money spent on?", "Para neye harcandı?",
          required="yes", relevant="${received} != 'no'", hint="Read the options; several may apply.",
          hint_tr="Seçenekleri okuyun; birden fazlası olabilir."),
        q("select_multiple problems", "problems", "Problems met collecting or using the money",
          "Parayı alırken veya kullanırken yaşanan sorunlar", required="yes",
          constraint="not(selected(., 'none') and count-selected(.) > 1)",
          constraint_message="'No problem' goes alone.", constraint_message_tr="'Sorun yaşanmadı' tek başına seçilir."),
        q("select_one yes_no", "felt_safe", "Did they feel safe collecting and keeping the money?",
          "Parayı alırken ve saklarken kendilerini güvende hissettiler mi?", required="yes"),
        q("select_one yes_no", "complaint_made", "Did they make a complaint about the payment?",
          "Ödeme hakkında şikâyette bulundular mı?", required="yes"),
        q("end_group", "payment"),
        q("text", "note", "Note", "Not", appearance="multiline", hint="No names.", hint_tr="İsim yazmayın."),
    ]  # fmt: skip
    choices = [
        ["list_name", "name", *[f"label::{lang}" for lang in LANGS]],
        *_pdm_choices("received", PdmReceived),
        *_pdm_choices("spent_on", PdmSpending),
        *_pdm_choices("problems", PdmProblem),
        *_pdm_choices("yes_no", YesNo),
    ]
    settings = {
        "form_id": "liman_cash_pdm",
        "version": "2026120601",
        "form_title": "Cash: post-distribution monitoring",
        "default_language": LANGS[0],
        "instance_name": "concat(${cycle}, ' · ', ${household})",
    }
    write("liman_cash_pdm", survey, choices, settings)


def msme_visit() -> None:
    """A small-business grant's monitoring visit (the livelihoods app records it on the grant agreement)."""
    reference = dict(constraint="regex(., '^[A-Za-z0-9-]+$')",
                     constraint_message="Letters, digits and hyphens, as on the grant agreement.",
                     constraint_message_tr="Hibe sözleşmesindeki gibi harf, rakam ve tire.")  # fmt: skip
    count = dict(constraint=". >= 0 and . <= 500", constraint_message="0 to 500.",
                 constraint_message_tr="0 ile 500 arası.", default="0")  # fmt: skip
    groups = (("syrian", "Syrian", "Suriyeli"), ("other", "other foreign", "diğer yabancı"),
              ("turkish", "Turkish", "Türk"))  # fmt: skip
    sexes = (("f", "women", "kadın"), ("m", "men", "erkek"))

    def jobs(kind: str, en: str, tr: str) -> list:
        return [
            q("begin_group", f"jobs_{kind}", en, tr, appearance="field-list"),
            *[q("integer", f"{kind}_{group}_{sex}", f"{group_en}, {sex_en}", f"{group_tr}, {sex_tr}", required="yes",
                **count) for group, group_en, group_tr in groups for sex, sex_en, sex_tr in sexes],
            q("end_group", f"jobs_{kind}"),
        ]  # fmt: skip

    survey = [
        HEADER,
        *META,
        q("begin_group", "visit", "The visit", "Ziyaret"),
        q("text", "grant", "Grant agreement (reference)", "Hibe sözleşmesi (referans)", required="yes",
          hint="e.g. GA-IST-7K3X9Q2M", hint_tr="ör. GA-IST-7K3X9Q2M", **reference),
        q("date", "visited_on", "Date of the visit", "Ziyaret tarihi", required="yes", default="today()",
          constraint=". <= today()", constraint_message="Not in the future.",
          constraint_message_tr="Gelecekte olamaz."),
        q("select_one yes_no", "business_open", "Is the business open and operating?",
          "İşletme açık ve faaliyette mi?", required="yes"),
        q("end_group", "visit"),
        *jobs("created", "Jobs created since the grant", "Hibeden bu yana yaratılan istihdam"),
        *jobs("retained", "Jobs retained (employed before the grant, still employed)",
              "Korunan istihdam (hibeden önce çalışan, hâlâ çalışan)"),
        q("image", "milestone_photo", "Photo of the milestone's evidence (equipment, invoice, workplace)",
          "Kilometre taşının kanıtının fotoğrafı (ekipman, fatura, işyeri)", appearance="new",
          parameters="max-pixels=1024", hint="No faces of people.", hint_tr="Kişilerin yüzleri görünmesin."),
        q("text", "note", "What was seen", "Gözlemler", appearance="multiline"),
    ]  # fmt: skip
    choices = [
        ["list_name", "name", *[f"label::{lang}" for lang in LANGS]],
        choice("yes_no", "yes", "Yes", "Evet"),
        choice("yes_no", "no", "No", "Hayır"),
    ]
    settings = {
        "form_id": "liman_msme_visit",
        "version": "2026120701",
        "form_title": "Small-business grant: monitoring visit",
        "default_language": LANGS[0],
        "instance_name": "concat(${grant}, ' · ', ${visited_on})",
    }
    write("liman_msme_visit", survey, choices, settings)


FORMS = {
    "dtm_site_assessment": lambda provinces, districts: site_assessment(provinces, districts),
    "dtm_flow_count": lambda provinces, districts: flow_count(),
    "dtm_flow_survey": lambda provinces, districts: flow_survey(),
    "mpm_presence": lambda provinces, districts: presence(provinces),
    "liman_border_incident": border_incident,
    "liman_cash_pdm": lambda provinces, districts: cash_pdm(),
    "liman_msme_visit": lambda provinces, districts: msme_visit(),
}


if __name__ == "__main__":
    wanted = sys.argv[1:] or list(FORMS)
    unknown = [name for name in wanted if name not in FORMS]
    if unknown:
        raise SystemExit(f"No shipped form is called {', '.join(unknown)}; forms: {', '.join(FORMS)}")
    province_names, district_rows = gazetteer()
    for form_name in wanted:
        FORMS[form_name](province_names, district_rows)
