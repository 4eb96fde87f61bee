"""Demo reporting: the seed's donors, the 3RP mapping of every measure the apps offer, projects for several donors
with results frameworks computed from the demo operations, and two submitted (locked) months of the 4W."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from liman.core import measures
from liman.core.choices import Role
from liman.core.demo import demo_username
from liman.core.models import Office, Programme, User

from . import fourw, reach, services
from .choices import Disaggregation, IndicatorKind, Sector
from .models import Donor, FourWSubmission, Project, ThreeRPMapping

DONORS = [
    ("AUS", "Australia"), ("CAN", "Canada"), ("EU", "European Union"), ("FIN", "Finland"), ("FRA", "France"),
    ("DEU", "Germany"), ("ITA", "Italy"), ("NLD", "Netherlands"), ("USA", "United States"),
    ("GBR", "United Kingdom"), ("JPN", "Japan"), ("NOR", "Norway"),
]  # fmt: skip

#: measure key → (sector, 3RP indicator code, 3RP indicator, activity)
MAPPING = {
    "assistance.people_in_kind": (
        Sector.BASIC_NEEDS, "BN-1.1", "# of individuals receiving in-kind NFI assistance",
        "Distribution of in-kind food and non-food items",
    ),
    "assistance.people_met_border": (
        Sector.PROTECTION, "PRT-1.4", "# of individuals reached with protection services at the borders",
        "Mobile teams' assistance to people apprehended or rescued at the border",
    ),
    "cash.people_in_households_paid": (
        Sector.BASIC_NEEDS, "BN-2.1", "# of individuals assisted through multi-purpose cash",
        "Multi-purpose cash assistance",
    ),
    "cash.households_paid": (
        Sector.BASIC_NEEDS, "BN-2.2", "# of households assisted through multi-purpose cash",
        "Multi-purpose cash assistance (households)",
    ),
    "cases.victims_of_trafficking_assisted": (
        Sector.PROTECTION, "PRT-3.2", "# of victims of trafficking receiving specialised assistance",
        "Case management and direct assistance to victims of trafficking",
    ),
    "movements.refugees_departed": (
        Sector.PROTECTION, "PRT-4.1", "# of refugees departed for resettlement to third countries",
        "Resettlement movement operations",
    ),
    "feedback.complaints_responded": (
        Sector.PROTECTION, "PRT-5.3", "# of complaints responded to through accountability mechanisms",
        "Complaints and feedback mechanism",
    ),
    "activities.training_completed": (
        Sector.LIVELIHOODS, "LH-2.1", "# of individuals who completed a skills, language or vocational training",
        "Language, skills and vocational trainings",
    ),
    "activities.mhpss_reached": (
        Sector.HEALTH, "HLT-3.2", "# of individuals receiving mental health and psychosocial support",
        "MHPSS group sessions",
    ),
}  # fmt: skip

PROJECTS = [
    # grant code, donor, title, offices, sectors, [(outcome, output, indicator title, measure, target)]
    ("EU-ECHO-2026-TR-01", "EU", "Basic needs of refugees and host communities in Türkiye", ["IST", "GZT", "HTY"],
     [Sector.BASIC_NEEDS], [
         ("People in need meet their basic needs", "In-kind assistance distributed", "People who received in-kind "
          "assistance", "assistance.people_in_kind", 2000),
         ("People in need meet their basic needs", "Cash transferred", "Households paid multi-purpose cash",
          "cash.households_paid", 400),
     ]),
    ("PRM-2026-TUR-BORDER", "USA", "Protection at the borders and counter-trafficking", ["EDR", "IZM", "IST"],
     [Sector.PROTECTION], [
         ("Migrants at the borders are protected", "Mobile teams assist people met", "People met at the border",
          "assistance.people_met_border", 5000),
         ("Victims of trafficking recover", "Victims assisted", "Victims of trafficking assisted",
          "cases.victims_of_trafficking_assisted", 60),
     ]),
    ("CAN-IRCC-2026-RST", "CAN", "Resettlement processing and movements to Canada", ["IST", "ANK"],
     [Sector.PROTECTION], [
         ("Refugees reach durable solutions", "Refugees moved safely", "Refugees departed for resettlement",
          "movements.refugees_departed", 300),
     ]),
    ("FCDO-2026-AAP", "GBR", "Accountability to affected populations", ["IST", "GZT", "HTY", "IZM"],
     [Sector.PROTECTION], [
         ("People hold the mission to account", "Complaints answered", "Complaints responded to",
          "feedback.complaints_responded", 150),
     ]),
]  # fmt: skip


#: grant code → the programmes whose records in the project's offices belong to it (tagging defaults).
DEFAULTS = {
    "EU-ECHO-2026-TR-01": ["assistance"],
    "PRM-2026-TUR-BORDER": ["counter_trafficking"],
    "CAN-IRCC-2026-RST": ["resettlement"],
}

#: grant code → (report title, narrative, a story)
REPORTS = {
    "EU-ECHO-2026-TR-01": (
        "Interim report to ECHO",
        {
            "summary": "Households in Istanbul, Gaziantep and Hatay received winter items and multi-purpose cash.",
            "achievements": "Distributions reached every selected household; cash cycles were paid on schedule.",
            "challenges": "Stock arrived late for one distribution; the site team moved it by a week.",
            "next_steps": "The next cycle adds households identified in the autumn vulnerability assessment.",
        },
        ("Warm before the first snow", "A mother of four received blankets and a heater in November; her "
         "children went back to school the next week."),
    ),
    "PRM-2026-TUR-BORDER": (
        "Quarterly report to PRM",
        {
            "summary": "Mobile teams met people at the borders; victims of trafficking received case management.",
            "achievements": "Every person met at the border received water, food and information.",
            "challenges": "Night-time rescues at sea stretched the teams in Izmir.",
            "next_steps": "A second team for the Aegean coast.",
        },
        ("A safe place to stay", "A young woman identified at the border was referred to a shelter the same day "
         "and now receives legal counselling."),
    ),
}  # fmt: skip


def seed_reporting(rng: random.Random, seed: int) -> None:
    if Donor.objects.exists():
        return
    for code, name in DONORS:
        Donor.objects.create(code=code, name=name)
    for key, (sector, code, indicator, activity) in MAPPING.items():
        if key in measures.MEASURES:
            ThreeRPMapping.objects.create(
                measure_key=key, sector=sector, indicator_code=code, indicator=indicator, activity=activity
            )
    officer = User.objects.filter(username=demo_username(Role.REPORTING_OFFICER, "ANK")).first()
    today = timezone.localdate()
    year = today.year
    for grant, donor, title, office_codes, sectors, frame in PROJECTS:
        offices = list(Office.objects.filter(code__in=office_codes))
        if not offices:
            continue
        project = services.project_create(
            by=officer, offices=offices, grant_code=grant, title=title, donor=Donor.objects.get(code=donor),
            starts_on=datetime.date(year, 1, 1), ends_on=datetime.date(year, 12, 31),
            budget=Decimal(rng.randrange(500_000, 5_000_000, 50_000)), currency="EUR" if donor == "EU" else "USD",
            sectors=list(sectors),
        )  # fmt: skip
        outcomes, outputs = {}, {}
        for number, (outcome_title, output_title, indicator_title, key, target) in enumerate(frame, start=1):
            if key not in measures.MEASURES:
                continue
            if outcome_title not in outcomes:
                outcomes[outcome_title] = services.outcome_add(
                    project=project, code=f"OC{len(outcomes) + 1}", title=outcome_title, by=officer
                )
            if output_title not in outputs:
                outputs[output_title] = services.output_add(
                    outcome=outcomes[outcome_title], code=f"OP{len(outputs) + 1}", title=output_title, by=officer
                )
            services.indicator_add(
                output=outputs[output_title], code=f"IND{number}", title=indicator_title, by=officer,
                kind=IndicatorKind.COMPUTED, measure_key=key,
                disaggregations=[Disaggregation.SEX_AGE, Disaggregation.POPULATION_GROUP, Disaggregation.PROVINCE],
                targets=[(datetime.date(year, 1, 1), datetime.date(year, 12, 31), target)],
            )  # fmt: skip
        if frame:
            last = outputs[frame[-1][1]] if frame[-1][1] in outputs else None
            if last is not None:
                indicator = services.indicator_add(
                    output=last, code="IND9", title="Staff and partners trained on the project's standards",
                    by=officer, kind=IndicatorKind.MANUAL, unit=measures.Unit.PEOPLE,
                    targets=[(datetime.date(year, 1, 1), datetime.date(year, 12, 31), 40)],
                )  # fmt: skip
                services.manual_value_enter(
                    indicator=indicator, starts_on=datetime.date(year, 1, 1), ends_on=datetime.date(year, 3, 31),
                    value=18, evidence="Attendance lists of the first quarter's trainings", by=officer,
                )  # fmt: skip
    _seed_activities_of_the_month(rng, today)
    _seed_tagging(officer)
    _seed_donor_reports(officer, today)
    # The 4W reads "new in the month" from stored first reaches (kept from the audit log from now on).
    for key in reach.stored_measures():
        for built in (year - 1, year):
            reach.rebuild(key, built)
    reach.rebuild_projects()  # and the projects' (their indicator tables)
    # Two locked months: the two before the last complete month (which stays open, with its adjustments).
    last_complete = fourw.previous_month(today.replace(day=1))
    for month in (fourw.previous_month(fourw.previous_month(last_complete)), fourw.previous_month(last_complete)):
        for office in Office.objects.order_by("code"):
            if not FourWSubmission.objects.filter(office=office, month=month).exists():
                services.fourw_submit(month=month, office=office, by=officer, note="Demo: reviewed and submitted.")


def _seed_tagging(officer) -> None:
    """Each project's programmes default to it in its offices (the operations' records so far are tagged with it)."""
    for grant, codes in DEFAULTS.items():
        project = Project.objects.filter(grant_code=grant).first()
        if project is None:
            continue
        programmes = list(Programme.objects.filter(code__in=codes))
        project.programmes.add(*programmes)
        for office in project.offices.all():
            for programme in programmes:
                services.project_default_set(office=office, programme=programme, project=project, by=officer)


def _seed_donor_reports(officer, today: datetime.date) -> None:
    """A report for two projects, issued: the EU's first up to the month before last, then reissued up to the last
    complete month (its issue 2 lists what changed); the PRM's once."""
    last_complete = fourw.previous_month(today.replace(day=1))
    end = fourw.next_month(last_complete) - datetime.timedelta(days=1)
    for grant, (title, narrative, (story_title, story)) in REPORTS.items():
        project = Project.objects.filter(grant_code=grant).first()
        if project is None or end < project.starts_on:
            continue  # seeded in January: the project has no complete month yet
        first_end = fourw.month_start(end) - datetime.timedelta(days=1)
        reissued = grant == "EU-ECHO-2026-TR-01" and first_end >= project.starts_on
        report = services.donor_report_create(project=project, by=officer, title=title, starts_on=project.starts_on,
                                              ends_on=first_end if reissued else end, **narrative)  # fmt: skip
        services.story_add(report=report, by=officer, title=story_title, text=story, consent=True,
                           province=project.offices.order_by("code").first().province)  # fmt: skip
        services.donor_report_issue(report=report, by=officer)
        if reissued:
            services.donor_report_update(report=report, by=officer, changes={"ends_on": end})
            services.donor_report_issue(report=report, by=officer)


def _seed_activities_of_the_month(rng: random.Random, today: datetime.date) -> None:
    """A vocational training completed and an MHPSS group started in the last complete month in Istanbul, so that
    its 4W has Livelihoods and Health rows whatever the day of the month the demo is seeded (the activities demo
    dates its activities from the seed day)."""
    from django.apps import apps

    if not apps.is_installed("liman.activities"):
        return
    from liman.activities import services as activities
    from liman.core.models import AdminArea

    office = Office.objects.filter(code="IST").first()
    if office is None:
        return
    month = fourw.previous_month(today.replace(day=1))
    district = AdminArea.objects.filter(level=2, parent=office.province).order_by("pcode").first()
    plans = [
        ("training", "livelihoods", "Tailoring for work (demo month)", 4, "syrian_tp"),
        ("mhpss_group", "protection", "Women's support group (demo month)", 2, "syrian_tp"),
    ]
    for kind, programme, title, sessions, group in plans:
        activity = activities.activity_create(
            office=office, programme=Programme.objects.get(code=programme), type=kind, title=title,
            starts_on=month.replace(day=3), ends_on=month.replace(day=3 + 7 * (sessions - 1)), district=district,
            venue="Community centre", by=None,
        )  # fmt: skip
        held = [
            activities.session_add(activity=activity, held_on=month.replace(day=3 + 7 * n), by=None)
            for n in range(sessions)
        ]
        activities.activity_start(activity=activity, by=None)
        people = [
            activities.participant_add_light(
                activity=activity,
                name=f"Participant {n + 1}",
                sex=rng.choice("FM"),
                age_group=rng.choice(["18_59", "18_59", "5_17"] if kind == "mhpss_group" else ["18_59"]),
                population_group=rng.choice([group, group, "host_community"]),
                by=None,
            )  # fmt: skip
            for n in range(rng.randint(8, 14))
        ]
        for session in held:
            activities.attendance_take(session=session, present={p.pk for p in people[:-1]}, by=None)
        activities.activity_close(activity=activity, by=None)
