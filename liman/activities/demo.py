"""Demo activities: a Turkish course in İstanbul with certificates, an MHPSS group in Gaziantep (protection-tier), a
social-cohesion event in Hatay, trainings for the Coast Guard in İzmir (a training of trainers, then a training its
graduate facilitates) with equipment handed over, and a border-management training for the Gendarmerie in Edirne."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from liman.core.choices import Role
from liman.core.demo import FAMILY_NAMES, GIVEN_NAMES, demo_username
from liman.core.models import AdminArea, Office, Programme, User
from liman.registry.models import Person

from . import services
from .choices import ActivityType, AgeGroup, Institution, PopulationGroup
from .models import Activity


def _user(role: str, code: str) -> User:
    return User.objects.get(username=demo_username(role, code))


def _people(office, tiers=("normal",)):
    """People of the office the seeding staff member reads (a programme officer: the normal tier)."""
    return Person.objects.filter(office=office, sensitivity__in=tiers, merged_into__isnull=True).order_by("pk")


def _district(province_pcode: str, rng: random.Random):
    districts = list(AdminArea.objects.filter(parent__pcode=province_pcode).order_by("pcode"))
    return rng.choice(districts) if districts else None


def _run(activity, *, sessions: int, by, rng, attend: float = 0.85, scores: bool = False, certify: bool = True):
    """Sessions on the activity's days, attendance ticked at each, scores, certificates, and the activity closed."""
    span = (activity.ends_on - activity.starts_on).days
    for number in range(sessions):
        day = activity.starts_on + datetime.timedelta(days=round(number * span / max(1, sessions - 1)))
        services.session_add(activity=activity, held_on=day, topic=f"Module {number + 1}", by=by)
    participants = list(activity.participants.order_by("number"))
    for session in activity.sessions.order_by("number"):
        if session.held_on > timezone.localdate():
            break
        present = [p.pk for p in participants if rng.random() < attend]
        services.attendance_take(session=session, present=present, by=by)
    for participant in activity.participants.order_by("number"):
        if scores:
            pre = rng.randint(25, 60)
            post = min(100, pre + rng.randint(5, 35))
            services.participant_scores(participant=participant, pre_score=pre, post_score=post, by=by)
        if certify and participant.completed:
            services.certificate_issue(participant=participant, by=by)
    activity.refresh_from_db()
    if activity.ends_on < timezone.localdate() and activity.state == "ongoing":
        services.activity_close(activity=activity, by=by)


def _light(activity, rng, count: int, *, by, group: str, institution: str = "", organisation: str = ""):
    for _ in range(count):
        services.participant_add_light(
            activity=activity, by=by, name=f"{rng.choice(GIVEN_NAMES)} {rng.choice(FAMILY_NAMES)}",
            sex=rng.choice("MF"), age_group=rng.choice([AgeGroup.ADULTS] * 5 + [AgeGroup.ELDERLY, AgeGroup.CHILDREN]),
            population_group=group, nationality="TUR" if group == PopulationGroup.HOST_COMMUNITY else "",
            institution=institution, organisation=organisation,
            position=rng.choice(["Officer", "Sergeant", "Specialist", "Team leader"]) if institution else "",
        )  # fmt: skip


def seed_activities(rng: random.Random, seed: int) -> None:
    if Activity.objects.exists():
        return
    today = timezone.localdate()
    livelihoods = Programme.objects.get(code="livelihoods")
    offices = {office.code: office for office in Office.objects.filter(code__in=["IST", "GAZ", "HTY", "IZM", "EDR"])}

    if "IST" in offices:
        office, by = offices["IST"], _user(Role.PROGRAMME_OFFICER, "IST")
        course = services.activity_create(
            office=office, programme=livelihoods, type=ActivityType.COURSE, title="Turkish for work (A2)",
            district=_district("TUR034", rng), venue="Community centre, Esenyurt",
            starts_on=today - datetime.timedelta(days=40), ends_on=today - datetime.timedelta(days=12),
            facilitators="İŞKUR instructor", target_group="Job seekers under temporary protection", by=by,
        )  # fmt: skip
        for person in _people(office)[:18]:
            services.participant_add_person(activity=course, person=person, by=by)
        _light(course, rng, 6, by=by, group=PopulationGroup.HOST_COMMUNITY)
        _run(course, sessions=5, by=by, rng=rng, scores=True)

    if "GAZ" in offices:
        office, by = offices["GAZ"], _user(Role.CASEWORKER, "GAZ")
        group = services.activity_create(
            office=office, programme=Programme.objects.get(code="protection"), type=ActivityType.MHPSS_GROUP,
            title="Women's psychosocial support group", district=_district("TUR027", rng), venue="Safe space",
            starts_on=today - datetime.timedelta(days=21), ends_on=today + datetime.timedelta(days=14),
            facilitators="Psychologist", target_group="Women", by=by,
        )  # fmt: skip
        for person in _people(office, ("normal", "protection")).filter(sex="F")[:9]:
            services.participant_add_person(activity=group, person=person, by=by)
        _run(group, sessions=6, by=by, rng=rng, certify=False)

    if "HTY" in offices:
        office, by = offices["HTY"], _user(Role.PROGRAMME_OFFICER, "HTY")
        event = services.activity_create(
            office=office, programme=livelihoods, type=ActivityType.SOCIAL_COHESION,
            title="Neighbourhood picnic and football", district=_district("TUR031", rng), venue="Antakya park",
            starts_on=today - datetime.timedelta(days=9), ends_on=today - datetime.timedelta(days=9), by=by,
        )  # fmt: skip
        for person in _people(office)[:20]:
            services.participant_add_person(activity=event, person=person, by=by)
        _light(event, rng, 16, by=by, group=PopulationGroup.HOST_COMMUNITY)
        _run(event, sessions=1, by=by, rng=rng, attend=0.95, certify=False)

    if "IZM" in offices:
        office, by = offices["IZM"], _user(Role.PROGRAMME_OFFICER, "IZM")
        mobile = Programme.objects.get(code="mobile_teams")
        tot = services.activity_create(
            office=office, programme=mobile, type=ActivityType.AUTHORITIES_TRAINING,
            title="Training of trainers: humanitarian border management at sea", district=_district("TUR035", rng),
            venue="Coast Guard Aegean Region Command", starts_on=today - datetime.timedelta(days=75),
            ends_on=today - datetime.timedelta(days=71), facilitators="Mission border management team",
            target_group="Coast Guard trainers", by=by,
        )  # fmt: skip
        _light(tot, rng, 12, by=by, group=PopulationGroup.HOST_COMMUNITY, institution=Institution.COAST_GUARD,
               organisation="Sahil Güvenlik Ege Bölge Komutanlığı")  # fmt: skip
        _run(tot, sessions=3, by=by, rng=rng, attend=0.95, scores=True)
        graduate = tot.participants.filter(completed=True).order_by("number").first()
        cascade = services.activity_create(
            office=office, programme=mobile, type=ActivityType.AUTHORITIES_TRAINING,
            title="Rescue at sea: first contact and referral", district=_district("TUR035", rng),
            venue="Ayvalık station", starts_on=today - datetime.timedelta(days=20),
            ends_on=today - datetime.timedelta(days=18), trained_facilitator=graduate,
            facilitators=graduate.name if graduate else "", target_group="Coast Guard crews", by=by,
        )  # fmt: skip
        _light(cascade, rng, 24, by=by, group=PopulationGroup.HOST_COMMUNITY, institution=Institution.COAST_GUARD,
               organisation="Ayvalık Sahil Güvenlik")  # fmt: skip
        _run(cascade, sessions=3, by=by, rng=rng, scores=True)
        handed = (("Thermal blankets (case of 50)", 40, 85), ("Rescue boat engine 150 hp", 1, 18500))
        for item, quantity, value in handed:
            services.equipment_handover_record(
                office=office, institution=Institution.COAST_GUARD, unit="Ayvalık Coast Guard Station", item=item,
                quantity=quantity, unit_value=value, donor_project="EU-HBM-2026-03", activity=cascade,
                handed_over_on=cascade.ends_on, by=by,
            )  # fmt: skip

    if "EDR" in offices:
        office, by = offices["EDR"], _user(Role.PROGRAMME_OFFICER, "EDR")
        training = services.activity_create(
            office=office, programme=Programme.objects.get(code="mobile_teams"),
            type=ActivityType.AUTHORITIES_TRAINING, title="Identifying victims of trafficking at the land border",
            district=_district("TUR022", rng), venue="Provincial Gendarmerie Command",
            starts_on=today - datetime.timedelta(days=30), ends_on=today - datetime.timedelta(days=29),
            target_group="Gendarmerie and PMM staff", by=by,
        )  # fmt: skip
        _light(training, rng, 10, by=by, group=PopulationGroup.HOST_COMMUNITY, institution=Institution.GENDARMERIE,
               organisation="Edirne İl Jandarma Komutanlığı")  # fmt: skip
        _light(training, rng, 5, by=by, group=PopulationGroup.HOST_COMMUNITY, institution=Institution.PMM,
               organisation="Edirne İl Göç İdaresi")  # fmt: skip
        _run(training, sessions=2, by=by, rng=rng, attend=0.9)
