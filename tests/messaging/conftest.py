import pytest
from django.utils import timezone

from liman.core.choices import Role
from liman.messaging import services
from liman.registry import services as registry
from tests.factories import staff
from tests.messaging.gateway import Gateway


def register(office, first_name: str, *, phone: str = "", nationality: str = "SYR", **extra):
    return registry.person_register(
        office=office,
        data=registry.PersonInput(
            first_name=first_name, family_name="Haddad", sex="F", nationality=nationality, phone=phone, **extra
        ),
        by=None,
    )


def contactable(office, first_name: str, phone: str, *, language: str = "ar", **extra):
    """A person with a phone who agreed to be contacted today."""
    person = register(office, first_name, phone=phone, **extra)
    services.contact_preference_save(
        person=person, by=None, language=language, consent_on=timezone.localdate(), consent_how="in_person"
    )
    return person


def distribution_with_households(office):
    """A planned distribution of IST with three households, two of which may be told (one through a member); and
    its distribution clerk."""
    import datetime

    from liman.assistance import services as assistance
    from liman.assistance.choices import LocationKind
    from liman.assistance.models import Item
    from liman.registry.choices import Relationship

    clerk = staff(Role.DISTRIBUTION, office, username="distribution.ist")
    keeper = staff(Role.WAREHOUSE, office)
    warehouse = assistance.location_create(office=office, name="IST warehouse", by=keeper)
    site = assistance.location_create(office=office, name="Esenyurt point", kind=LocationKind.SITE, by=keeper)
    households = []
    heads = [
        contactable(office, "Amal", "+905321234561"),
        register(office, "Ahmad", phone="+905321234562"),
        register(office, "Yusuf"),
    ]
    for head in heads:
        households.append(registry.household_create(office=office, head=head, by=None))
    member = contactable(office, "Rania", "+905321234563", language="fa")
    registry.household_add_member(household=households[1], person=member, relationship=Relationship.SPOUSE, by=None)
    plan = assistance.distribution_plan_create(
        office=office, name="Food parcels", project_code="TUR-1", warehouse=warehouse, site=site,
        starts_on=timezone.localdate() + datetime.timedelta(days=2),
        ends_on=timezone.localdate() + datetime.timedelta(days=3),
        items=[(Item.objects.get(code="FOOD-PARCEL"), 1, None, 1)], by=clerk,
    )  # fmt: skip
    assistance.distribution_select(plan=plan, households=households, selection="test", by=clerk)
    return plan, clerk


@pytest.fixture
def gateway():
    server = Gateway().start()
    yield server
    server.stop()


@pytest.fixture
def http_gateway(gateway, settings):
    """The HTTP backend configured against the test gateway (short timeout, fast retries)."""
    settings.LIMAN_MESSAGE_BACKEND = "http"
    settings.LIMAN_MESSAGE_OPTIONS = {"url": gateway.url, "timeout": 1}
    settings.LIMAN_MESSAGE_RETRY_SECONDS = 30
    return gateway


@pytest.fixture(autouse=True)
def _file_backend_in_a_temporary_folder(settings, tmp_path):
    """The development backend writes under a throwaway folder, never var/."""
    settings.LIMAN_MESSAGE_BACKEND = "file"
    settings.LIMAN_MESSAGE_OPTIONS = {"path": str(tmp_path / "outbox.jsonl")}
    settings.LIMAN_MESSAGE_WEBHOOK_TOKEN = ""
