"""The submissions and field users lists (core.lists): sort by a column, filter by state, form, office, name."""

from __future__ import annotations

import pytest
from django.urls import reverse

from liman.dtm import services
from liman.dtm.choices import SubmissionState
from liman.dtm.models import FieldUser
from tests.dtm.builders import collect_xml, site_body, site_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_client(client, dtm_officer):
    client.force_login(dtm_officer)
    return client


def _rows(response) -> list:
    return list(response.context["page"])


def test_submissions_sort_by_form_and_filter_by_state_and_form(officer_client, hatay):
    forms = {}
    for form_id, title in (("beta", "Beta survey"), ("alpha", "Alpha survey")):
        version = services.form_upload(
            office=hatay, content=site_form(form_id=form_id, title=title), file_name="f.xlsx", by=None
        )
        services.submission_receive(office=hatay, xml=collect_xml(form_id, version.version, site_body()))
        forms[title] = version.form
    url = reverse("dtm:dtm-submissions")

    everything = officer_client.get(url, {"state": "all", "sort": "form"})
    assert [row.form.title for row in _rows(everything)] == ["Alpha survey", "Beta survey"]
    assert [row.form.title for row in _rows(officer_client.get(url, {"state": "all", "sort": "-form"}))] == [
        "Beta survey",
        "Alpha survey",
    ]
    only_beta = officer_client.get(url, {"state": "all", "form": forms["Beta survey"].pk})
    assert [row.form.title for row in _rows(only_beta)] == ["Beta survey"]
    # With no state asked, the list shows what waits for review, as the home page's and the forms' links do.
    states = {row.state for row in _rows(everything)}
    waiting = _rows(officer_client.get(url))
    assert {row.state for row in waiting} <= {SubmissionState.REVIEW}
    assert len(waiting) == sum(row.state == SubmissionState.REVIEW for row in _rows(everything))
    assert _rows(officer_client.get(url, {"state": "review"})) == waiting
    for state in states - {SubmissionState.REVIEW}:
        assert {row.state for row in _rows(officer_client.get(url, {"state": state}))} == {state}
    refused = officer_client.get(url, {"state": "lost", "form": "999999"})
    assert refused.status_code == 200
    assert "“lost” is not a choice of state" in refused.content.decode()
    assert "“999999” is not a choice of form" in refused.content.decode()


def test_field_users_sort_and_filter_by_office_name_and_inactive(officer_client, hatay, edirne, dtm_officer):
    for office, username, name in ((hatay, "enum.b", "Zeynep Ak"), (hatay, "enum.a", "Ali Veli")):
        services.field_user_create(office=office, username=username, name=name, password="long-password-1", by=None)
    FieldUser.objects.filter(username="enum.b").update(is_active=False)
    url = reverse("dtm:dtm-field-users")

    assert [row.username for row in _rows(officer_client.get(url))] == ["enum.a", "enum.b"]
    assert [row.username for row in _rows(officer_client.get(url, {"sort": "-name"}))] == ["enum.b", "enum.a"]
    assert [row.username for row in _rows(officer_client.get(url, {"q": "zeyn"}))] == ["enum.b"]
    assert [row.username for row in _rows(officer_client.get(url, {"inactive": "1"}))] == ["enum.b"]
    assert [row.username for row in _rows(officer_client.get(url, {"office": "HTY", "sort": "username"}))] == [
        "enum.a",
        "enum.b",
    ]
    # Edirne is not the officer's office: not a choice, named, and the list is not narrowed to it.
    refused = officer_client.get(url, {"office": "EDR"})
    assert "“EDR” is not a choice of office" in refused.content.decode()
    # The form to add a field user is still on the page, below the list.
    assert 'name="username"' in officer_client.get(url, {"sort": "last_seen"}).content.decode()
