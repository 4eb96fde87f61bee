import datetime

import pytest

from liman.cash import services
from liman.core.choices import Role
from liman.registry import services as registry
from liman.registry.choices import ConsentPurpose, LegalBasis, Relationship
from tests.factories import staff

ELIGIBILITY = 'legal_status_current and nationality in ["SYR", "AFG"] and household_size >= 2 and not departed'
VALUE = "13000 + 2000 * (household_size - 2) + (has_disability ? 3000 : 0)"


def family(office, first: str, family_name: str, size: int, *, nationality="SYR", born=None, foreigner_id="",
           phone="", status="temporary_protection", shares_with_provider=True):  # fmt: skip
    """A household of `size` people, its head with a legal status (and a foreigner ID when given) and, unless
    `shares_with_provider` is false, the head's consent to share with the payment provider (asked at enrolment)."""
    identifiers = [registry.IdentifierInput(type="foreigner_id", value=foreigner_id)] if foreigner_id else []
    head = registry.person_register(
        office=office,
        data=registry.PersonInput(
            first_name=first, family_name=family_name, father_name="Ahmad", sex="F", nationality=nationality,
            birth_date=born or datetime.date(1985, 3, 14), phone=phone, legal_status=status,
            legal_status_since=datetime.date(2020, 1, 1), identifiers=identifiers,
        ),
        by=None,
    )  # fmt: skip
    household = registry.household_create(office=office, head=head, by=None)
    if shares_with_provider:
        registry.consent_record(
            person=head, purpose=ConsentPurpose.SHARING_PAYMENT_PROVIDER, legal_basis=LegalBasis.CONSENT, by=None
        )
    for number in range(size - 1):
        child = registry.person_register(
            office=office,
            data=registry.PersonInput(
                first_name=f"{first}child{number}", family_name=family_name, sex="M", nationality=nationality,
                birth_date=datetime.date(2015, 1, 1 + number),
            ),
            by=None,
        )  # fmt: skip
        registry.household_add_member(household=household, person=child, relationship=Relationship.CHILD, by=None)
    return household


@pytest.fixture
def officer(istanbul):
    return staff(Role.PROGRAMME_OFFICER, istanbul, username="po.ist")


@pytest.fixture
def approver(istanbul):
    return staff(Role.CASH_APPROVER, istanbul, username="approver.ist")


@pytest.fixture
def programme(istanbul, officer):
    return services.programme_create(
        code="MPC", name="Multipurpose cash", offices=[istanbul], eligibility=ELIGIBILITY, transfer_value=VALUE,
        by=officer,
    )  # fmt: skip
