"""Demo data of field data and DTM / MPM, reproducible from the seed.

The February 2023 earthquake operation (11 provinces, four rounds, sites and their assessments),
western-border flow monitoring (points in Edirne and on the Aegean coast, weekly counts), migrant
presence figures and the coast guard's Aegean apprehensions and rescues (figures in docs/domain.md), the
demo XLSForms published for the DTM offices and bound to their targets, one field user per DTM office
(password: the demo password) and two submissions as ODK Collect sends them (one processed, one waiting
for review with its reason).

The border mobile teams (Edirne, İzmir) get the shipped form `liman_border_incident` and one field user per
van of their office (`edr.van1` …, the demo password), mapped to it; one incident sent from `edr.van1` is
recorded, its items issued from the van. The vans are the assistance seeder's (it runs before this one); an
office without a van (a database seeded without stock) gets neither form nor van users.
"""

from __future__ import annotations

import datetime
import random
import uuid
from pathlib import Path

from liman.assistance.choices import LocationKind
from liman.assistance.models import StockLocation
from liman.core.demo import DEMO_PASSWORD
from liman.core.models import AdminArea, Office

from . import services
from .choices import FormTarget
from .demo_data import (
    AEGEAN_MONTH_WEIGHTS,
    AEGEAN_NATIONALITIES,
    AEGEAN_PROVINCES,
    AEGEAN_TOTALS,
    EARTHQUAKE_PROVINCES,
    EARTHQUAKE_ROUNDS,
    EARTHQUAKE_SITES,
    FIELD_OFFICES,
    FLOW_NATIONALITIES,
    FLOW_POINTS,
    FLOW_SEX_AGE,
    RESCUE_SHARE,
    SITE_SEX_AGE,
    TP_JULY_2023,
    TP_MONTHLY_TOTALS_2023,
    field_username,
    largest_remainder,
)
from .models import FieldUser, Form, Operation

FORMS_DIR = Path(__file__).resolve().parent / "data" / "forms"
EARTHQUAKE_CODE = "TUR-EQ-2023"
FLOW_CODE = "TUR-FMP-WEST"
MPM_CODE = "TUR-MPM"

#: Which demo form each DTM office publishes, and what its submissions become.
DEMO_FORMS = {
    "GAZ": [("dtm_site_assessment", EARTHQUAKE_CODE)],
    "HTY": [("dtm_site_assessment", EARTHQUAKE_CODE)],
    "SUR": [("dtm_site_assessment", EARTHQUAKE_CODE)],
    "EDR": [("dtm_flow_count", FLOW_CODE), ("dtm_flow_survey", FLOW_CODE)],
    "IZM": [("dtm_flow_count", FLOW_CODE), ("dtm_flow_survey", FLOW_CODE)],
    "ANK": [("mpm_presence", MPM_CODE)],
}
#: The offices of the border mobile teams, which send field incidents from their vans.
BORDER_OFFICES = ["EDR", "IZM"]
BORDER_FORM = "liman_border_incident"
FORM_TARGETS = {
    "dtm_site_assessment": FormTarget.SITE_ASSESSMENT,
    "dtm_flow_count": FormTarget.FLOW_COUNT,
    "dtm_flow_survey": FormTarget.DATASET,
    "mpm_presence": FormTarget.PRESENCE,
}


def _date(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def _area(pcode: str) -> AdminArea:
    return AdminArea.objects.get(pcode=pcode)


def seed_dtm(rng: random.Random, seed: int) -> None:
    offices = {office.code: office for office in Office.objects.filter(code__in=["ANK", *FIELD_OFFICES])}
    if len(offices) < len(FIELD_OFFICES) + 1 or Operation.objects.filter(code=EARTHQUAKE_CODE).exists():
        return
    earthquake = _seed_earthquake(rng, offices)
    flows = _seed_flows(rng, offices)
    mpm = _seed_mpm(rng, offices)
    operations = {EARTHQUAKE_CODE: earthquake, FLOW_CODE: flows, MPM_CODE: mpm}
    _seed_forms(offices, operations)
    _seed_field_users(offices)
    _seed_submissions(offices)
    _seed_border_teams(offices)


def _seed_earthquake(rng: random.Random, offices: dict[str, Office]) -> Operation:
    operation = services.operation_create(
        office=offices["GAZ"],
        code=EARTHQUAKE_CODE,
        name="Earthquake response, February 2023",
        kind="emergency",
        started_on=datetime.date(2023, 2, 6),
        provinces=AdminArea.objects.filter(pcode__in=EARTHQUAKE_PROVINCES),
        description="Site assessments in the 11 provinces hit by the earthquakes of 6 February 2023.",
        by=None,
    )
    rounds = {
        number: services.round_create(
            operation=operation,
            number=number,
            assessment_type=kind,
            started_on=_date(start),
            ended_on=_date(end),
            by=None,
        )
        for number, kind, start, end in EARTHQUAKE_ROUNDS
    }
    sectors_by_type = {
        "tent_camp": ["shelter", "wash", "health", "nfi", "protection", "food"],
        "container_city": ["livelihoods", "education", "wash", "health", "protection"],
        "informal_site": ["shelter", "wash", "food", "health", "nfi"],
        "collective_centre": ["wash", "nfi", "health", "protection", "food"],
    }
    for district_pcode, name, site_type, manager, office_code, first, last, peak in EARTHQUAKE_SITES:
        district = _area(district_pcode)
        site = services.site_register(
            office=offices[office_code],
            operation=operation,
            name=name,
            type=site_type,
            district=district,
            manager=manager,
            latitude=round(district.centroid_lat + rng.uniform(-0.03, 0.03), 5),
            longitude=round(district.centroid_lon + rng.uniform(-0.03, 0.03), 5),
            status="open",
            opened_on=rounds[first].started_on - datetime.timedelta(days=rng.randint(2, 20)),
            by=None,
        )
        for number in range(first, 5):
            round_ = rounds[number]
            if number > last:
                services.site_record_status(site=site, status="closed", closed_on=round_.started_on, by=None)
                break
            # Tent camps empty out as container cities fill; a site is at its peak in its second round.
            growth = {0: 0.7, 1: 1.0, 2: 0.8, 3: 0.55}[number - first]
            if site_type == "container_city":
                growth = {0: 0.6, 1: 0.9, 2: 1.0}.get(number - first, 1.0)
            individuals = max(60, int(peak * growth * rng.uniform(0.9, 1.1)))
            sex_age = largest_remainder(individuals, SITE_SEX_AGE)
            groups = {"host_community": None}
            if district.parent.pcode in ("TUR031", "TUR027", "TUR079", "TUR063", "TUR046"):
                groups["temporary_protection"] = None
            needs = rng.sample(sectors_by_type[site_type], k=rng.randint(3, 5))
            severity_base = 4 if number == 1 else 3
            services.site_assessment_record(
                site=site,
                round=round_,
                assessed_on=round_.started_on + datetime.timedelta(days=rng.randint(0, 12)),
                households=max(15, round(individuals / rng.uniform(3.9, 4.6))),
                individuals=individuals,
                sex_age=sex_age,
                population_groups=groups,
                needs=[
                    (sector, max(1, min(5, severity_base - rank // 2 + rng.choice((0, 0, 1, -1)))))
                    for rank, sector in enumerate(needs)
                ],
                by=None,
            )
    return operation


def _seed_flows(rng: random.Random, offices: dict[str, Office]) -> Operation:
    operation = services.operation_create(
        office=offices["EDR"],
        code=FLOW_CODE,
        name="Flow monitoring, western border and Aegean coast",
        kind="flow",
        started_on=datetime.date(2023, 1, 2),
        provinces=AdminArea.objects.filter(pcode__in=["TUR022", "TUR035", "TUR017", "TUR048"]),
        description="Weekly counts at border gates, bus stations and coastal points.",
        by=None,
    )
    for number in range(1, 13):
        start = datetime.date(2023, number, 1)
        end = (start + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
        services.round_create(
            operation=operation,
            number=number,
            assessment_type="flow_monitoring_count",
            started_on=start,
            ended_on=end,
            by=None,
        )
    rows = []
    # Flows swell in summer and fall off in winter; the land border is busier than the coast.
    season = [0.55, 0.5, 0.65, 0.8, 0.95, 1.1, 1.25, 1.3, 1.2, 1.0, 0.75, 0.6]
    for code, name, point_type, district_pcode, office_code, lat, lon in FLOW_POINTS:
        point = services.flow_point_create(
            office=offices[office_code],
            operation=operation,
            code=code,
            name=name,
            type=point_type,
            district=_area(district_pcode),
            latitude=lat,
            longitude=lon,
            by=None,
        )
        base = 260 if point_type in ("border_crossing", "bus_station") else 120
        day = datetime.date(2023, 1, 2)  # the first Monday of 2023
        while day.year == 2023:
            total = int(base * season[day.month - 1] * rng.uniform(0.8, 1.2))
            weights = {
                (nationality, sex, age): share * cell
                for nationality, share in FLOW_NATIONALITIES.items()
                for (sex, age), cell in FLOW_SEX_AGE.items()
            }
            for (nationality, sex, age), count in largest_remainder(total, weights).items():
                if count:
                    rows.append(services.FlowCountInput(point, day, "outgoing", nationality, sex, age, count))
            day += datetime.timedelta(days=7)
    services.flow_counts_record(rows=rows, by=None)
    return operation


def _seed_mpm(rng: random.Random, offices: dict[str, Office]) -> Operation:
    operation = services.operation_create(
        office=offices["ANK"],
        code=MPM_CODE,
        name="Migrant presence monitoring",
        kind="mpm",
        started_on=datetime.date(2022, 1, 1),
        provinces=AdminArea.objects.provinces(),
        description="Presence figures by province and the coast guard's apprehensions and rescues.",
        by=None,
    )
    provinces = {area.pcode: area for area in AdminArea.objects.provinces()}
    rest = [pcode for pcode in provinces if pcode not in TP_JULY_2023]
    remaining = 3_321_072 - sum(TP_JULY_2023.values())
    weights = dict(TP_JULY_2023)
    weights.update({pcode: remaining / len(rest) * rng.uniform(0.5, 1.5) for pcode in rest})
    figures = []
    for month, national in TP_MONTHLY_TOTALS_2023.items():
        split = largest_remainder(national, weights) if month != 7 else {
            **TP_JULY_2023, **largest_remainder(remaining, {pcode: weights[pcode] for pcode in rest}),
        }  # fmt: skip
        for pcode, individuals in split.items():
            figures.append(
                services.PresenceInput(
                    datetime.date(2023, month, 1),
                    provinces[pcode],
                    "temporary_protection",
                    "SYR",
                    "pmm",
                    individuals,
                )
            )
    services.presence_figures_record(office=offices["ANK"], operation=operation, rows=figures, by=None)

    rows = []
    for year, total in AEGEAN_TOTALS.items():
        weights = {
            (month, nationality, pcode, sex, age, kind): month_weight * n_share * p_share * cell * k_share
            for month, month_weight in enumerate(AEGEAN_MONTH_WEIGHTS, start=1)
            for nationality, n_share in AEGEAN_NATIONALITIES.items()
            for pcode, p_share in AEGEAN_PROVINCES.items()
            for (sex, age), cell in FLOW_SEX_AGE.items()
            for kind, k_share in (("rescue", RESCUE_SHARE), ("apprehension", 1 - RESCUE_SHARE))
        }
        for (month, nationality, pcode, sex, age, kind), count in largest_remainder(total, weights).items():
            if count:
                rows.append(
                    services.InterceptionInput(
                        datetime.date(year, month, 1),
                        kind,
                        "aegean_sea",
                        "coast_guard",
                        nationality,
                        sex,
                        age,
                        count,
                        province=provinces[pcode],
                    )
                )
    services.interceptions_record(office=offices["IZM"], operation=operation, rows=rows, by=None)
    return operation


def _seed_forms(offices: dict[str, Office], operations: dict[str, Operation]) -> None:
    from .models import FormVersion
    from .targets import suggest_mapping

    for office_code, forms in DEMO_FORMS.items():
        for form_id, operation_code in forms:
            path = FORMS_DIR / f"{form_id}.xlsx"
            version: FormVersion = services.form_upload(
                office=offices[office_code], content=path.read_bytes(), file_name=path.name, by=None
            )
            target = FORM_TARGETS[form_id]
            services.form_bind(
                form=version.form,
                target=target,
                mapping=suggest_mapping(target, version.fields),
                operation=operations[operation_code],
                by=None,
            )


def _seed_field_users(offices: dict[str, Office]) -> None:
    for code in FIELD_OFFICES:
        if not FieldUser.objects.filter(username=field_username(code)).exists():
            services.field_user_create(
                office=offices[code],
                username=field_username(code),
                name=f"Demo enumerator, {offices[code].name}",
                password=DEMO_PASSWORD,
                by=None,
            )


def _collect_xml(form: Form, body: str) -> bytes:
    version = form.versions.first()
    return (
        "<?xml version='1.0' ?>"
        f'<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" '
        f'id="{form.form_id}" version="{version.version}">{body}'
        f"<meta><instanceID>uuid:{uuid.UUID(int=random.Random(body).getrandbits(128))}</instanceID></meta></data>"
    ).encode()


def _seed_submissions(offices: dict[str, Office]) -> None:
    """Two site assessments from Hatay as Collect sends them: a new informal site, and one that waits for review."""
    form = Form.objects.get(office=offices["HTY"], form_id="dtm_site_assessment")
    field_user = FieldUser.objects.get(username=field_username("HTY"))

    def body(name: str, district: str, location: str) -> str:
        return (
            "<start>2023-11-08T09:02:11.204+03:00</start><end>2023-11-08T09:26:40.511+03:00</end>"
            "<today>2023-11-08</today><deviceid>collect:Xz9Qb1kD2mW4aT7e</deviceid><username>enumerator.hty</username>"
            f"<site><site_id/><site_name>{name}</site_name><site_type>informal_site</site_type><manager/>"
            f"<province>TUR031</province><district>{district}</district><location>{location}</location>"
            "<site_status>open</site_status></site><population><households>38</households>"
            "<f_0_4>9</f_0_4><f_5_17>24</f_5_17><f_18_59>41</f_18_59><f_60>7</f_60>"
            "<m_0_4>10</m_0_4><m_5_17>26</m_5_17><m_18_59>36</m_18_59><m_60>6</m_60>"
            "<individuals>159</individuals><individuals_note/>"
            "<population_groups>host_community temporary_protection</population_groups></population>"
            "<need><sector>shelter</sector><severity>4</severity></need>"
            "<need><sector>wash</sector><severity>3</severity></need><photo/>"
        )

    services.submission_receive(
        office=offices["HTY"],
        xml=_collect_xml(form, body("Narlıca Orchard Informal Site", "TUR031002", "36.2451 36.1833 92.0 4.5")),
        field_user=field_user,
    )
    # The district is not one of Hatay's: the submission waits in the review list with that reason.
    services.submission_receive(
        office=offices["HTY"],
        xml=_collect_xml(form, body("Harbiye Roadside Site", "TUR031099", "36.1422 36.1390 310.0 6.0")),
        field_user=field_user,
    )


def van_username(office_code: str, number: int) -> str:
    """The demo field user of an office's `number`th van: `edr.van1`."""
    return f"{office_code.lower()}.van{number}"


def _seed_border_teams(offices: dict[str, Office]) -> None:
    """The border incident form for the mobile teams' offices, a field user per van, and one incident sent from
    Edirne's first van as ODK Collect sends it."""
    path = FORMS_DIR / f"{BORDER_FORM}.xlsx"
    for code in BORDER_OFFICES:
        vans = list(
            StockLocation.objects.filter(office=offices[code], kind=LocationKind.VEHICLE, is_active=True).order_by(
                "name"
            )
        )
        if not vans:
            continue
        # Bound on upload to the border-incident target (a shipped form): nothing to map.
        services.form_upload(office=offices[code], content=path.read_bytes(), file_name=path.name, by=None)
        for number, van in enumerate(vans, start=1):
            if not FieldUser.objects.filter(username=van_username(code, number)).exists():
                services.field_user_create(
                    office=offices[code],
                    username=van_username(code, number),
                    name=f"Mobile team, {van.name}",
                    password=DEMO_PASSWORD,
                    vehicle=van,
                    by=None,
                )
    field_user = FieldUser.objects.filter(username=van_username("EDR", 1)).first()
    if field_user is None:
        return
    form = Form.objects.get(office=offices["EDR"], form_id=BORDER_FORM)
    # A family group met by the gendarmerie near the Meriç at dawn: water, food packs and blankets from the van.
    body = (
        "<start>2026-11-14T05:52:10.118+03:00</start><end>2026-11-14T06:21:47.902+03:00</end>"
        "<today>2026-11-14</today><deviceid>collect:Qm4Tz8Lr2Xv6Bn1c</deviceid><username>edr.van1</username>"
        "<incident><occurred_at>2026-11-14T05:40:00.000+03:00</occurred_at><province>TUR022</province>"
        "<district>TUR022007</district><location>41.18302 26.41544 31.0 8.0</location><terrain>land</terrain>"
        "<authority>gendarmerie</authority><how_met>apprehension</how_met></incident>"
        + "".join(
            f"<person><sex>{sex}</sex><age_group>{age}</age_group><nationality_listed>{nationality}"
            f"</nationality_listed><nationality_other/><nationality>{nationality}</nationality><count>{count}</count>"
            f"<children_in_entry>{count if age in ('0_4', '5_17') else 0}</children_in_entry>"
            f"<women_in_entry>{count if sex == 'f' and age != '0_4' else 0}</women_in_entry></person>"
            for sex, age, nationality, count in (
                ("m", "18_59", "AFG", 7), ("f", "18_59", "AFG", 3), ("f", "5_17", "AFG", 2), ("m", "0_4", "AFG", 1),
                ("m", "18_59", "IRQ", 4),
            )
        )
        + "<people_met>17</people_met><children_met>3</children_met><women_met>5</women_met>"
        "<people_checked>OK</people_checked>"
        "<vulnerable><unaccompanied_children>0</unaccompanied_children><pregnant_women>1</pregnant_women>"
        "<injured>1</injured><with_disability>0</with_disability></vulnerable>"
        "<referrals><referred_to_case>0</referred_to_case><referred_to_health>1</referred_to_health>"
        "<referred_to_pmm>17</referred_to_pmm><referral_note>Handed over to the PMM in Edirne; the injured man "
        "taken to the state hospital</referral_note></referrals>"
        "<services><service_interpretation>17</service_interpretation><service_first_aid>1</service_first_aid>"
        "<service_psychosocial>2</service_psychosocial><service_information>17</service_information>"
        "<service_referral>1</service_referral></services>"
        "<item><item_code>WATER-1L5</item_code><quantity>17</quantity></item>"
        "<item><item_code>FOOD-PACK</item_code><quantity>17</quantity></item>"
        "<item><item_code>BLANKET</item_code><quantity>10</quantity></item>"
        "<note>Met at dawn near the river after crossing; wet and cold</note>"
    )  # fmt: skip
    services.submission_receive(office=offices["EDR"], xml=_collect_xml(form, body), field_user=field_user)


def demo_login_lines(server: str = "http://127.0.0.1:8000") -> list[str]:
    """What `liman seed` prints about ODK Collect: the field users, their password, and a command to try."""
    users = ", ".join(field_username(code) for code in FIELD_OFFICES)
    example = field_username("HTY")
    lines = [
        f"  ODK Collect / KoboCollect: server {server}/openrosa, field users {users},",
        f"    password {DEMO_PASSWORD}; QR codes on {server}/dtm/field-users/ . Try:",
        f"    curl -u {example}:{DEMO_PASSWORD} -H 'X-OpenRosa-Version: 1.0' {server}/openrosa/formList",
    ]
    vans = list(
        FieldUser.objects.filter(vehicle__isnull=False, office__code__in=BORDER_OFFICES)
        .order_by("username")
        .values_list("username", flat=True)
    )
    if vans:
        lines.append(
            f"    Border mobile teams send incidents ({BORDER_FORM}) as {', '.join(vans)}: the items are issued "
            "from their van."
        )
    return lines
