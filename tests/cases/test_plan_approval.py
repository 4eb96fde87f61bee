"""Four eyes on the service plan: the supervisor who approves it did not write it."""

import pytest
from django.core.exceptions import PermissionDenied

from liman.cases import services
from liman.core.choices import Role
from liman.core.models import AuditEvent
from tests.cases.builders import open_case
from tests.factories import staff

pytestmark = pytest.mark.django_db


def test_a_supervisor_cannot_approve_the_plan_they_wrote(person, supervisor):
    case = open_case(person, "protection", supervisor)
    services.planned_service_add(case=case, service_type="legal", by=supervisor)

    with pytest.raises(PermissionDenied, match="You wrote this service plan"):
        services.service_plan_approve(case=case, by=supervisor)

    case.plan.refresh_from_db()
    assert not case.plan.is_approved


def test_a_supervisor_who_added_a_service_cannot_approve_the_plan(person, caseworker, supervisor):
    case = open_case(person, "protection", caseworker)
    services.service_plan_write(case=case, goals="Safe housing", by=caseworker)
    services.planned_service_add(case=case, service_type="shelter", by=supervisor)

    with pytest.raises(PermissionDenied, match="You wrote this service plan"):
        services.service_plan_approve(case=case, by=supervisor)


def test_a_supervisor_who_rewrote_the_goals_cannot_approve_the_plan(person, caseworker, supervisor):
    case = open_case(person, "protection", caseworker)
    services.planned_service_add(case=case, service_type="legal", by=caseworker)
    services.service_plan_write(case=case, goals="Legal aid first", by=supervisor)

    with pytest.raises(PermissionDenied, match="You wrote this service plan"):
        services.service_plan_approve(case=case, by=supervisor)


def test_another_supervisor_approves_a_plan_a_supervisor_wrote(person, istanbul, supervisor):
    second = staff(Role.SUPERVISOR, istanbul, username="second.supervisor")
    case = open_case(person, "protection", supervisor)
    services.planned_service_add(case=case, service_type="legal", by=supervisor)

    services.service_plan_approve(case=case, by=second)

    case.plan.refresh_from_db()
    assert case.plan.is_approved and case.plan.approved_by == second
    assert AuditEvent.objects.filter(object_type="cases.serviceplan", actor=second, changes__has_key="approved_by")
