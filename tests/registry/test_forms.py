"""The district a household lives in, typed into a form: by p-code, by name, by name and province."""

import pytest
from django.urls import reverse

from liman.core.choices import Role
from liman.registry.forms import HouseholdLocationForm, RegistrationForm
from liman.registry.models import Household
from tests.factories import staff
from tests.registry.test_views import field_errors, registration_post

pytestmark = pytest.mark.django_db


def district_of(text: str):
    form = HouseholdLocationForm({"district": text, "address": ""})
    assert form.is_valid(), form.errors
    return form.cleaned_data["district"]


def district_error(text: str) -> str:
    form = HouseholdLocationForm({"district": text, "address": ""})
    assert not form.is_valid()
    return " ".join(form.errors["district"])


def test_a_district_is_found_by_its_pcode():
    assert district_of("TUR034013").name == "Beyoğlu"
    assert district_of("tur034013").pcode == "TUR034013"


def test_a_district_is_found_by_its_name_written_any_way():
    for text in ("Kadıköy", "KADIKÖY", "kadikoy", "  Kadıköy "):
        assert district_of(text).pcode == "TUR034023", text


def test_a_district_is_found_by_its_name_and_province():
    assert district_of("Kadıköy, İstanbul").pcode == "TUR034023"
    assert district_of("Kadıköy, 34").pcode == "TUR034023"


def test_a_name_several_districts_share_is_refused_naming_them_until_the_province_is_given():
    message = district_error("Yenişehir")
    assert "“Yenişehir” is the name of several districts" in message
    for province in ("Bursa", "Diyarbakır", "Mersin"):
        assert f"Yenişehir, {province}" in message
    assert district_of("Yenişehir, Bursa").parent.name == "Bursa"


def test_an_unknown_name_is_refused_saying_what_was_typed():
    assert "No district is called “Atlantis”" in district_error("Atlantis")
    assert "No district is called “TUR099001”" in district_error("TUR099001")


def test_a_district_of_another_province_or_an_unknown_province_is_refused():
    assert "İzmir has no district “Kadıköy”" in district_error("Kadıköy, İzmir")
    assert "No province is called “Narnia”" in district_error("Kadıköy, Narnia")


def test_a_province_is_not_a_district():
    assert "“İstanbul” is a province" in district_error("İstanbul")
    assert "“TUR034” is a province" in district_error("TUR034")


def test_the_registration_form_suggests_the_districts_of_the_offices_province(istanbul, izmir):
    form = RegistrationForm(user=None, offices=[istanbul])
    options = form.fields["district"].widget.options
    assert ("Kadıköy, İstanbul", "TUR034023") in options
    assert all(label.endswith(", İstanbul") for label, _pcode in options)
    html = str(form["district"])
    assert 'list="id_district-options"' in html and '<option value="Kadıköy, İstanbul">TUR034023</option>' in html


def test_registration_places_the_new_household_in_the_district_typed(client, istanbul):
    client.force_login(staff(Role.CASEWORKER, istanbul))
    response = client.post(
        reverse("registry:person-create"), registration_post(district="Beyoğlu", address="Kuloğlu Mah. 12")
    )
    assert response.status_code == 302
    household = Household.objects.get()
    assert (household.district.pcode, household.address) == ("TUR034013", "Kuloğlu Mah. 12")


def test_registration_shows_the_ambiguous_district_next_to_the_field_and_registers_nobody(client, istanbul):
    client.force_login(staff(Role.CASEWORKER, istanbul))
    response = client.post(reverse("registry:person-create"), registration_post(district="Yenişehir"))
    assert response.status_code == 200
    assert "is the name of several districts" in field_errors(response.content.decode(), "district")
    assert not Household.objects.exists()


def test_registration_refuses_a_district_for_no_household_rather_than_drop_it(client, istanbul):
    client.force_login(staff(Role.CASEWORKER, istanbul))
    response = client.post(reverse("registry:person-create"), registration_post(household="none", district="Kadıköy"))
    assert "Only a new household is given a district" in field_errors(response.content.decode(), "district")
