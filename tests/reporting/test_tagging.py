"""Projects own their records: a distribution is tagged with its office × programme's default project when created,
a re-tag (audited, with a reason, within the record's office) moves it and its figures, and an indicator counts only
its project's records."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.urls import reverse

from liman.assistance.models import DistributionPlan
from liman.core.choices import Role
from liman.core.models import AuditEvent, Programme
from liman.reporting import services
from liman.reporting.models import ProjectDefault, ProjectTag
from tests.factories import staff

from .conftest import achieved

pytestmark = pytest.mark.django_db


def tag_of(entitlement) -> ProjectTag:
    return ProjectTag.objects.get(
        content_type=ContentType.objects.get_for_model(DistributionPlan), object_id=entitlement.plan_id
    )


def test_records_belong_to_their_default_project_and_move_with_a_retag(istanbul, izmir, make_project, months,
                                                                       served):  # fmt: skip
    locked, last = months
    officer = staff(Role.REPORTING_OFFICER, istanbul, username="rep.tag")
    earlier_household, earlier = served(locked.replace(day=3))  # before any default: no project
    assert not ProjectTag.objects.exists()
    first = make_project("EU-A", [istanbul], default_for=istanbul, by=officer)
    # Setting the default tags the office's records of the programme that no project held (one audited event).
    assert tag_of(earlier).project == first and not tag_of(earlier).retagged
    [event] = AuditEvent.objects.filter(reason__contains="with no project tagged with EU-A")
    assert event.changes["tagged"] == ["0", "1"]
    second = make_project("EU-B", [istanbul], by=officer)
    _household, entitlement = served(last.replace(day=3))  # tagged at creation with the default
    assert tag_of(entitlement).project == first
    assert (achieved(first), achieved(second)) == (4, 0)

    services.record_retag(record=entitlement.plan, project=second, by=officer, reason="Paid from the EU-B grant")
    assert (achieved(first), achieved(second)) == (2, 2)
    tag = tag_of(entitlement)
    assert tag.retagged and tag.project == second
    event = AuditEvent.objects.filter(object_id=str(tag.pk), action="update").latest("pk")
    assert event.reason == "Paid from the EU-B grant" and event.actor == officer

    with pytest.raises(ValidationError, match="already belongs"):
        services.record_retag(record=entitlement.plan, project=second, by=officer, reason="again")
    with pytest.raises(ValidationError, match="Say why"):
        services.record_retag(record=entitlement.plan, project=first, by=officer, reason=" ")
    elsewhere = make_project("EU-IZM", [izmir], by=officer)
    with pytest.raises(ValidationError, match="does not run"):
        services.record_retag(record=entitlement.plan, project=elsewhere, by=officer, reason="wrong office")
    with pytest.raises(ValidationError, match="does not run"):
        services.project_default_set(office=istanbul, programme=Programme.objects.get(code="assistance"),
                                     project=elsewhere, by=officer)  # fmt: skip
    # A second default for the same office × programme replaces the first (audited), new records follow it.
    services.project_default_set(office=istanbul, programme=Programme.objects.get(code="assistance"), project=second,
                                 by=officer)  # fmt: skip
    assert ProjectDefault.objects.get(office=istanbul).project == second
    _h, third = served(last.replace(day=5), household=earlier_household)
    assert tag_of(third).project == second
    assert achieved(second) == 4  # the earlier household's two people, and the re-tagged household's two


def test_a_measure_of_untagged_records_counts_over_the_projects_offices(istanbul, make_project):
    project = make_project("EU-BORDER", [istanbul], measure="assistance.people_met_border")
    from liman.reporting import selectors

    [(_o, _p, row)] = selectors.indicator_table(project)
    assert row.over_offices
    assert not make_project("EU-KIND", [istanbul]).tags.exists()


def test_the_tagging_page_sets_defaults_and_retags_within_scope(client, istanbul, izmir, make_project, months,
                                                               served):  # fmt: skip
    _locked, last = months
    officer = staff(Role.REPORTING_OFFICER, istanbul, username="rep.page")
    first = make_project("EU-A", [istanbul, izmir])
    second = make_project("EU-B", [istanbul])
    client.force_login(officer)
    assistance = Programme.objects.get(code="assistance")
    response = client.post(reverse("reporting:project-tags"), {"action": "default", "office": istanbul.pk,
                                                     "programme": assistance.pk, "project": first.pk})  # fmt: skip
    assert response.status_code == 302 and ProjectDefault.objects.get(office=istanbul).project == first
    # An office the officer does not report for is not theirs to set.
    response = client.post(reverse("reporting:project-tags"), {"action": "default", "office": izmir.pk,
                                                     "programme": assistance.pk, "project": first.pk})  # fmt: skip
    assert response.status_code == 200 and not ProjectDefault.objects.filter(office=izmir).exists()
    _h, entitlement = served(last.replace(day=3))
    reference = entitlement.plan.reference
    response = client.post(reverse("reporting:project-tags"), {"action": "retag", "kind": "assistance.DistributionPlan",
                                                     "reference": reference, "project": second.pk,
                                                     "reason": "Moved to B"})  # fmt: skip
    assert response.status_code == 302 and tag_of(entitlement).project == second
    page = client.get(reverse("reporting:project-tags"))
    assert reference in page.content.decode()
    # An unknown reference is refused with a message naming the field.
    unknown = {"action": "retag", "kind": "assistance.DistributionPlan", "reference": "IST-NOPE", "project": first.pk,
               "reason": "x"}  # fmt: skip
    response = client.post(reverse("reporting:project-tags"), unknown)
    assert "No such record in the offices you report for" in response.content.decode()
    # The project's records page lists it, in bounded queries; a programme officer reads but does not tag.
    records = client.get(reverse("reporting:project-records", args=[second.pk]))
    assert [tag.reference for tag, _label, _visible in records.context["rows"]] == [reference]
    client.force_login(staff(Role.PROGRAMME_OFFICER, istanbul, username="po.page"))
    assert client.get(reverse("reporting:project-tags")).status_code == 200
    assert client.post(reverse("reporting:project-tags"), {"action": "retag"}).status_code == 404
    # Izmir's officer does not see Istanbul's tags.
    client.force_login(staff(Role.REPORTING_OFFICER, izmir, username="rep.izm.page"))
    assert client.get(reverse("reporting:project-records", args=[second.pk])).status_code == 404
    assert client.get(reverse("reporting:project-records", args=[first.pk])).context["rows"] == []


def test_the_records_page_costs_the_same_queries_however_many(client, istanbul, make_project, months, served,
                                                             django_assert_max_num_queries):  # fmt: skip
    _locked, last = months
    project = make_project("EU-Q", [istanbul], default_for=istanbul)
    client.force_login(staff(Role.REPORTING_OFFICER, istanbul, username="rep.q"))
    served(last.replace(day=3))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("reporting:project-records", args=[project.pk]))
    for day in (4, 5, 6):
        served(last.replace(day=day))
    with django_assert_max_num_queries(len(few)):
        page = client.get(reverse("reporting:project-records", args=[project.pk]))
    assert len(page.context["rows"]) == 4


def test_a_case_is_tagged_and_moved_only_by_who_may_see_it(client, istanbul, make_project):
    from liman.cases import services as cases
    from liman.registry import services as registry

    caseworker = staff(Role.CASEWORKER, istanbul, username="cw.tag", programme="counter_trafficking")
    caseworker.role_grants.create(role=Role.REPORTING_OFFICER, office=istanbul)
    officer = staff(Role.REPORTING_OFFICER, istanbul, username="rep.case")
    first = make_project("EU-CT-A", [istanbul])
    second = make_project("EU-CT-B", [istanbul])
    services.project_default_set(office=istanbul, programme=Programme.objects.get(code="counter_trafficking"),
                                 project=first, by=officer)  # fmt: skip
    person = registry.person_register(office=istanbul, data=registry.PersonInput(
        first_name="Leyla", family_name="Gizli", sex="F", nationality="UZB"), by=None)  # fmt: skip
    case = cases.case_open(person=person, type="counter_trafficking", by=caseworker)
    tag = ProjectTag.objects.get(object_id=case.pk, content_type__model="case")
    assert tag.project == first
    retag = {"action": "retag", "kind": "cases.Case", "reference": case.reference, "project": second.pk,
             "reason": "CT grant"}  # fmt: skip
    # The reporting officer may not see the case: it is not found, and its reference does not show.
    client.force_login(officer)
    assert "No such record" in client.post(reverse("reporting:project-tags"), retag).content.decode()
    [(_tag, label, visible)] = client.get(reverse("reporting:project-records", args=[first.pk])).context["rows"]
    assert (str(label), visible) == ("Case", False)
    assert case.reference not in client.get(reverse("reporting:project-records", args=[first.pk])).content.decode()
    # The caseworker who also reports for the office moves it.
    client.force_login(caseworker)
    assert client.post(reverse("reporting:project-tags"), retag).status_code == 302
    assert ProjectTag.objects.get(pk=tag.pk).project == second
