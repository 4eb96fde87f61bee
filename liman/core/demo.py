"""Demo data: offices, programmes and one user per role per office, reproducible from a seed.

Later apps declare their own seeders by dotted path in AppConfig.ready() (`core.seeding`); `liman seed` runs them
in app order, each with the same random generator. Nothing but `liman seed` and the tests imports this module.
"""

from __future__ import annotations

import base64
import hashlib
import random

from django.conf import settings
from django.db import transaction

from . import seeding
from .choices import OfficeType, Role
from .models import AdminArea, Office, Programme, RoleGrant, User
from .seeding import demo_username
from .services import office_create, role_grant_add, role_grant_approve, user_create

DEMO_PASSWORD = "liman-demo-2026"  # noqa: S105  (published in the README on purpose: demo only)

DEMO_OFFICES = [
    ("ANK", "Ankara Country Office", "TUR006", OfficeType.COUNTRY),
    ("IST", "Istanbul Sub-Office", "TUR034", OfficeType.SUB),
    ("IZM", "Izmir Field Office", "TUR035", OfficeType.FIELD),
    ("EDR", "Edirne Mobile Team Base", "TUR022", OfficeType.MOBILE),
    ("GAZ", "Gaziantep Sub-Office", "TUR027", OfficeType.SUB),
    ("HTY", "Hatay Field Office", "TUR031", OfficeType.FIELD),
    ("SUR", "Şanlıurfa Field Office", "TUR063", OfficeType.FIELD),
    ("VAN", "Van Mobile Team Base", "TUR065", OfficeType.MOBILE),
]

#: Roles that hold one programme only; the others hold every programme of their office.
ROLE_PROGRAMME = {
    Role.HEALTH: "health",
    Role.CASH_APPROVER: "assistance",
    Role.DTM_OFFICER: "dtm",
    Role.MOBILE_TEAM: "mobile_teams",
    Role.DISTRIBUTION: "assistance",
}

#: Roles whose demo user of the country office (ANK) holds them in every office.
COUNTRY_WIDE_ROLES = (Role.ADMINISTRATOR, Role.REPORTING_OFFICER, Role.DATA_PROTECTION_FOCAL_POINT)

GIVEN_NAMES = [
    "Ayşe", "Mehmet", "Elif", "Mustafa", "Zeynep", "Ahmet", "Fatma", "Emre", "Selin", "Burak",
    "Derya", "Hakan", "Leyla", "Omar", "Rania", "Yusuf", "Merve", "Kerem", "Nour", "Deniz",
]  # fmt: skip
FAMILY_NAMES = [
    "Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Aydın", "Öztürk", "Arslan", "Doğan",
    "Koç", "Kurt", "Özdemir", "Al-Hassan", "Haddad", "Karimi", "Güneş", "Aksoy", "Erdem", "Polat",
]  # fmt: skip


def demo_totp_key(username: str, seed: int) -> str:
    """A fixed TOTP key per demo user whose role confirms a code (hex, as django-otp stores it)."""
    return hashlib.sha256(f"liman-demo-totp:{seed}:{username}".encode()).hexdigest()[:40]


def demo_totp_secret(key_hex: str) -> str:
    """The base32 form an authenticator app asks for."""
    return base64.b32encode(bytes.fromhex(key_hex)).decode().rstrip("=")


def seed_core(rng: random.Random, seed: int) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    programmes = {programme.code: programme for programme in Programme.objects.all()}
    for code, name, pcode, office_type in DEMO_OFFICES:
        office = Office.objects.filter(code=code).first()
        if office is None:
            office = office_create(
                code=code, name=name, province=AdminArea.objects.get(pcode=pcode), type=office_type, by=None
            )
        for role in Role.values:
            username = demo_username(role, code)
            user = User.objects.filter(username=username).first()
            if user is None:
                user = user_create(
                    username=username,
                    password=DEMO_PASSWORD,
                    first_name=rng.choice(GIVEN_NAMES),
                    last_name=rng.choice(FAMILY_NAMES),
                    email=f"{username}@liman.example",
                    by=None,
                )
            # The country office's administrator, reporting officer and data protection focal point work across
            # every office.
            grant_office = None if code == "ANK" and role in COUNTRY_WIDE_ROLES else office
            programme = programmes.get(ROLE_PROGRAMME.get(role, ""))
            role_grant_add(user=user, role=role, office=grant_office, programme=programme, by=None)
            # The roles that confirm a code after the password get a fixed key (`liman demo_totp` prints the code).
            if role in settings.LIMAN_SECOND_FACTOR_ROLES and not TOTPDevice.objects.filter(user=user).exists():
                TOTPDevice.objects.create(user=user, name="demo", key=demo_totp_key(username, seed), confirmed=True)
    # Grants of protection and medical roles wait for a second administrator: the country administrator
    # approves the ones the seed gave, through the same service as the staff page.
    approver = User.objects.get(username=demo_username(Role.ADMINISTRATOR, "ANK"))
    demo_users = [demo_username(role, code) for code, *_rest in DEMO_OFFICES for role in Role.values]
    for grant in RoleGrant.objects.pending().filter(user__username__in=demo_users):
        role_grant_approve(grant=grant, by=approver)


def run_seeders(seed: int) -> None:
    rng = random.Random(seed)
    for _name, seeder in seeding.seeders():
        with transaction.atomic():
            seeder(rng, seed)
    refresh_planner_statistics()


def refresh_planner_statistics() -> None:
    """After a bulk load, let the planner know the tables' sizes: PostgreSQL's autovacuum would, minutes later, and
    SQLite never does (core.dbstats); until then a page over the fresh demo can take a plan meant for empty tables."""
    from . import dbstats

    dbstats.refresh_statistics(everything=True)


def demo_logins() -> list[tuple[str, str]]:
    """(role, example user name) for the README and `make run`."""
    return [(str(label), demo_username(role, "IST")) for role, label in Role.choices]
