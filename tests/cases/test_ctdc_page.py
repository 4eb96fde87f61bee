"""The CTDC export page: for counter-trafficking caseworkers of an office, scoped to the cases they see, with the
same k = 11 suppression as `liman export ctdc`, audited; the column names are CTDC's."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from liman.cases import ctdc, services
from liman.core.choices import Role
from liman.core.models import AuditEvent
from tests.cases.builders import days_ago, register, trafficking_identified
from tests.factories import staff

pytestmark = pytest.mark.django_db

#: The header of CTDC's k-anonymised global victim of trafficking dataset (as published in 2021).
CTDC_GLOBAL_HEADER = """yearOfRegistration Datasource gender ageBroad majorityStatus majorityStatusAtExploit
majorityEntry citizenship meansOfControlDebtBondage meansOfControlTakesEarnings meansOfControlRestrictsFinancialAccess
meansOfControlThreats meansOfControlPsychologicalAbuse meansOfControlPhysicalAbuse meansOfControlSexualAbuse
meansOfControlFalsePromises meansOfControlPsychoactiveSubstances meansOfControlRestrictsMovement
meansOfControlRestrictsMedicalCare meansOfControlExcessiveWorkingHours meansOfControlUsesChildren
meansOfControlThreatOfLawEnforcement meansOfControlWithholdsNecessities meansOfControlWithholdsDocuments
meansOfControlOther meansOfControlNotSpecified meansOfControlConcatenated isForcedLabour isSexualExploit
isOtherExploit isSexAndLabour isForcedMarriage isForcedMilitary isOrganRemoval isSlaveryAndPractices
typeOfExploitConcatenated typeOfLabourAgriculture typeOfLabourAquafarming typeOfLabourBegging
typeOfLabourConstruction typeOfLabourDomesticWork typeOfLabourHospitality typeOfLabourIllicitActivities
typeOfLabourManufacturing typeOfLabourMiningOrDrilling typeOfLabourPeddling typeOfLabourTransportation
typeOfLabourOther typeOfLabourNotSpecified typeOfLabourConcatenated typeOfSexProstitution typeOfSexPornography
typeOfSexRemoteInteractiveServices typeOfSexPrivateSexualServices typeOfSexConcatenated isAbduction
RecruiterRelationship CountryOfExploitation recruiterRelationIntimatePartner recruiterRelationFriend
recruiterRelationFamily recruiterRelationOther recruiterRelationUnknown""".split()


def test_the_columns_are_ctdcs_own_names_in_its_order():
    positions = [CTDC_GLOBAL_HEADER.index(column) for column in ctdc.COLUMNS]
    assert positions == sorted(positions)


@pytest.fixture
def ct_caseworker(istanbul):
    return staff(Role.CASEWORKER, istanbul, programme="counter_trafficking", username="ct.ist")


@pytest.fixture
def victims(istanbul, ct_caseworker):
    """Twelve identified victims much alike, and one unlike any other."""
    people = [register(istanbul, first_name=f"Victim{n}", birth_date=datetime.date(2000, 1, 1)) for n in range(12)]
    people.append(
        register(istanbul, first_name="Unusual", sex="M", nationality="UZB", birth_date=datetime.date(1960, 5, 5))
    )
    for person in people:
        case = trafficking_identified(person, by=ct_caseworker, identified_on=days_ago(5))
        services.case_facts_update(case=case, by=ct_caseworker, changes={"exploitation_types": ["forced_labour"]})
    return people


def download(client) -> tuple[object, list[dict]]:
    response = client.get(reverse("cases:ctdc-export-download"))
    return response, list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


def test_the_page_says_how_many_victims_the_export_holds(client, victims, ct_caseworker):
    client.force_login(ct_caseworker)
    page = client.get(reverse("cases:ctdc-export")).content.decode()
    assert "The export holds the 13 identified victims" in page
    assert "fewer than 11 victims" in page and reverse("cases:ctdc-export-download") in page


def test_the_download_is_the_k_anonymised_ctdc_csv_without_names(client, victims, ct_caseworker):
    client.force_login(ct_caseworker)
    response, rows = download(client)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="ctdc-')
    assert response.content.decode().splitlines()[0].split(",") == ctdc.COLUMNS
    assert len(rows) == 12  # the unusual victim is alone in their group: left out
    text = response.content.decode()
    assert not any(person.first_name in text or person.reference in text for person in victims)


def test_the_download_is_audited(client, victims, ct_caseworker):
    client.force_login(ct_caseworker)
    download(client)
    event = AuditEvent.objects.get(action="export", object_type="cases.ctdc")
    assert event.actor == ct_caseworker
    assert (event.changes["victims"], event.changes["rows"], event.changes["k"]) == (
        [None, "13"],
        [None, "12"],
        [None, "11"],
    )


def test_another_offices_counter_trafficking_caseworker_exports_none_of_these_cases(client, victims, izmir):
    client.force_login(staff(Role.CASEWORKER, izmir, programme="counter_trafficking"))
    assert "The export holds the 0 identified victims" in client.get(reverse("cases:ctdc-export")).content.decode()
    _response, rows = download(client)
    assert rows == []


@pytest.mark.parametrize(
    ("role", "programme"), [(Role.CASEWORKER, "protection"), (Role.VIEWER, None), (Role.REPORTING_OFFICER, None)]
)
def test_users_without_a_counter_trafficking_casework_grant_get_404(client, victims, istanbul, role, programme):
    client.force_login(staff(role, istanbul, programme=programme))
    assert client.get(reverse("cases:ctdc-export")).status_code == 404
    assert client.get(reverse("cases:ctdc-export-download")).status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()


def test_a_caseworker_of_every_programme_may_export(client, victims, istanbul):
    client.force_login(staff(Role.SUPERVISOR, istanbul))
    _response, rows = download(client)
    assert len(rows) == 12


def test_the_page_costs_the_same_queries_however_many_victims(
    client, istanbul, ct_caseworker, django_assert_max_num_queries
):
    client.force_login(ct_caseworker)
    for count in (1, 5):
        for n in range(count):
            trafficking_identified(
                register(istanbul, first_name=f"V{count}{n}"), by=ct_caseworker, identified_on=days_ago(3)
            )
        with django_assert_max_num_queries(12):
            client.get(reverse("cases:ctdc-export"))
        with django_assert_max_num_queries(16):
            download(client)
