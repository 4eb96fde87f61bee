"""The navigation shows each role only what it may open: every link any role is shown answers 200."""

import re

import pytest

from liman.core import navigation
from liman.core.choices import Role
from tests.factories import staff

pytestmark = pytest.mark.django_db


def menus() -> list[str]:
    return sorted({item.menu for item in navigation.NAV_ITEMS})


@pytest.mark.parametrize("role", Role.values)
def test_every_link_a_role_is_shown_opens(role, client, istanbul, settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []
    user = staff(role, istanbul)
    client.force_login(user)
    shown = {entry["url"] for menu in menus() for entry in navigation.items_for(user, "/", menu)}
    page = client.get("/").content.decode()
    # The main bar on the page is the one the registry gives.
    assert set(re.findall(r'<a href="([^"]+)" data-nav=', page)) == {
        entry["url"] for entry in navigation.items_for(user, "/")
    }
    refused = {url: client.get(url).status_code for url in sorted(shown)}
    assert {url: status for url, status in refused.items() if status != 200} == {}


def test_there_are_menus_besides_the_main_bar():
    assert "main" in menus() and "dtm" in menus()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.PROGRAMME_OFFICER, Role.REPORTING_OFFICER])
def test_readers_of_field_data_see_operations_but_not_the_field_data_tabs(role, client, istanbul):
    client.force_login(staff(role, istanbul))
    page = client.get("/dtm/").content.decode()
    subnav = re.search(r'<nav class="subnav".*?</nav>', page, re.S).group(0)
    assert "/dtm/" in subnav and "/dtm/forms/" not in subnav and "/dtm/submissions/" not in subnav
