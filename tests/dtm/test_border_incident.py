"""Border mobile teams send field incidents from ODK Collect: the shipped XLSForm `liman_border_incident`, the
border-incident target, the field user's van, and what a submission leaves in the stock ledger."""

import datetime
import random
import re
import uuid
from pathlib import Path

import pytest
from defusedxml import ElementTree
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from liman.assistance import services as stock
from liman.assistance.catalogue import STANDARD_ITEMS
from liman.assistance.choices import (
    COMMON_NATIONALITIES,
    AgeGroup,
    Authority,
    HowMet,
    IncidentService,
    Sex,
    Terrain,
)
from liman.assistance.models import FieldIncident, Item, LedgerEntry, StockBalance
from liman.core.choices import Role
from liman.core.models import AuditEvent
from liman.dtm import services, targets
from liman.dtm.models import FieldUser, Submission
from liman.dtm.openrosa import digest_authorization
from liman.dtm.xlsform import convert_xlsform
from tests.dtm.conftest import FIELD_PASSWORD, basic, post_instance
from tests.factories import staff

pytestmark = pytest.mark.django_db

FORM_FILE = Path(__file__).resolve().parents[2] / "liman" / "dtm" / "data" / "forms" / "liman_border_incident.xlsx"
#: The group met in the instance below: (sex, age group, nationality, people).
GROUP = (("m", "18_59", "AFG", 7), ("f", "18_59", "AFG", 3), ("f", "5_17", "AFG", 2), ("m", "0_4", "SDN", 1))


# --- a van with stock, the form, the phone ------------------------------------------------------------------------


@pytest.fixture
def van(edirne):
    warehouse = stock.location_create(office=edirne, name="Edirne warehouse", by=None)
    van = stock.location_create(office=edirne, name="Edirne van 1", kind="vehicle", vehicle_plate="22 LM 101", by=None)
    blankets, food = Item.objects.get(code="BLANKET"), Item.objects.get(code="FOOD-PACK")
    stock.stock_receive(location=warehouse, item=blankets, quantity=100, project_code="TUR-ECHO-2026-011", by=None)
    stock.stock_receive(
        location=warehouse, item=food, quantity=100, project_code="TUR-ECHO-2026-011", lot_code="L-FP-1",
        expires_on=datetime.date.today() + datetime.timedelta(days=300), by=None,
    )  # fmt: skip
    for item, quantity, lot in ((blankets, 40, None), (food, 30, food.lots.get())):
        load = stock.transfer_dispatch(
            from_location=warehouse, to_location=van, item=item, lot=lot, quantity=quantity, by=None
        )
        stock.transfer_receive(transfer=load, by=None)
    return van


@pytest.fixture
def border_version(edirne):
    return services.form_upload(
        office=edirne, content=FORM_FILE.read_bytes(), file_name="liman_border_incident.xlsx", by=None
    )


@pytest.fixture
def van_user(edirne, van):
    field_user, _password = services.field_user_create(
        office=edirne, username="edr.van1", name="Mobile team, Edirne van 1", password=FIELD_PASSWORD, vehicle=van,
        by=None,
    )  # fmt: skip
    return field_user


def balance(van, code: str) -> int:
    return sum(StockBalance.objects.filter(location=van, item__code=code).values_list("quantity", flat=True))


def issues_for(incident: FieldIncident):
    return LedgerEntry.objects.filter(
        kind="issue", issued_for_type=ContentType.objects.get_for_model(FieldIncident), issued_for_id=str(incident.pk)
    )


def incident_xml(
    version,
    *,
    group=GROUP,
    items=(("BLANKET", 10), ("FOOD-PACK", 13)),
    unaccompanied_children: int = 0,
    instance_id: str = "",
    deprecated_id: str = "",
    occurred_at: str = "2026-11-14T05:40:00.000+03:00",
) -> bytes:
    """An instance of the shipped form as ODK Collect writes it (calculations filled in, as Collect sends them)."""
    instance_id = instance_id or f"uuid:{uuid.uuid4()}"
    people = ""
    for sex, age, nationality, count in group:
        listed = nationality if nationality in COMMON_NATIONALITIES else "other"
        other = f"<nationality_other>{nationality}</nationality_other>" if listed == "other" else "<nationality_other/>"
        people += (
            f"<person><sex>{sex}</sex><age_group>{age}</age_group><nationality_listed>{listed}</nationality_listed>"
            f"{other}<nationality>{nationality}</nationality><count>{count}</count>"
            f"<children_in_entry>{count if age in ('0_4', '5_17') else 0}</children_in_entry>"
            f"<women_in_entry>{count if sex == 'f' and age != '0_4' else 0}</women_in_entry></person>"
        )
    people_met = sum(count for *_cell, count in group)
    given = "".join(f"<item><item_code>{code}</item_code><quantity>{n}</quantity></item>" for code, n in items)
    deprecated = f"<deprecatedID>{deprecated_id}</deprecatedID>" if deprecated_id else ""
    return (
        "<?xml version='1.0' ?>"
        '<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" '
        f'xmlns:odk="http://www.opendatakit.org/xforms" id="liman_border_incident" version="{version.version}">'
        "<start>2026-11-14T05:52:10.118+03:00</start><end>2026-11-14T06:21:47.902+03:00</end>"
        "<today>2026-11-14</today><deviceid>collect:Qm4Tz8Lr2Xv6Bn1c</deviceid><username>edr.van1</username>"
        f"<incident><occurred_at>{occurred_at}</occurred_at><province>TUR022</province>"
        "<district>TUR022007</district><location>41.18302 26.41544 31.0 8.0</location><terrain>land</terrain>"
        "<authority>gendarmerie</authority><how_met>apprehension</how_met></incident>"
        f"{people}<people_met>{people_met}</people_met><children_met>3</children_met><women_met>5</women_met>"
        "<people_checked>OK</people_checked>"
        f"<vulnerable><unaccompanied_children>{unaccompanied_children}</unaccompanied_children>"
        "<pregnant_women>1</pregnant_women><injured>1</injured><with_disability>0</with_disability></vulnerable>"
        "<referrals><referred_to_case>0</referred_to_case><referred_to_health>1</referred_to_health>"
        f"<referred_to_pmm>{people_met}</referred_to_pmm><referral_note>Handed over to the PMM</referral_note>"
        "</referrals><services><service_interpretation>13</service_interpretation>"
        "<service_first_aid>1</service_first_aid><service_psychosocial>0</service_psychosocial>"
        "<service_information>13</service_information><service_referral>1</service_referral></services>"
        f"{given}<note>Met at dawn near the river</note>"
        f"<meta><instanceID>{instance_id}</instanceID>{deprecated}<instanceName>incident</instanceName></meta>"
        "</data>"
    ).encode()


class Phone:
    """ODK Collect over plain HTTP: Digest, one nonce from the server's challenge, the count going up."""

    def __init__(self, client, username: str = "edr.van1", password: str = FIELD_PASSWORD):
        self.client, self.username, self.password, self.count = client, username, password, 0
        challenge = client.head("/openrosa/submission", HTTP_X_OPENROSA_VERSION="1.0")["WWW-Authenticate"]
        self.nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)

    def _auth(self, method: str, uri: str) -> dict:
        self.count += 1
        header = digest_authorization(
            username=self.username, password=self.password, realm="Liman", nonce=self.nonce, method=method, uri=uri,
            nc=self.count,
        )  # fmt: skip
        return {"HTTP_AUTHORIZATION": header, "HTTP_X_OPENROSA_VERSION": "1.0"}

    def send(self, xml: bytes):
        return post_instance(self.client, xml, auth=self._auth("POST", "/openrosa/submission"))

    def form_ids(self) -> list[str]:
        response = self.client.get("/openrosa/formList", **self._auth("GET", "/openrosa/formList"))
        assert response.status_code == 200
        return [node.text for node in ElementTree.fromstring(response.content).iter() if node.tag.endswith("formID")]


def message(response) -> str:
    return ElementTree.fromstring(response.content).find("{http://openrosa.org/http/response}message").text


# --- the shipped XLSForm ------------------------------------------------------------------------------------------


def _choices(list_name: str) -> list[str]:
    sheet = load_workbook(FORM_FILE, read_only=True)["choices"]
    return [str(row[1]) for row in sheet.iter_rows(min_row=2, values_only=True) if row[0] == list_name]


def test_the_shipped_form_converts_with_pyxform_in_english_and_turkish():
    converted = convert_xlsform(FORM_FILE.read_bytes(), file_name=FORM_FILE.name, new_version="unused")

    assert converted.form_id == "liman_border_incident"
    assert converted.warnings == []
    assert 'lang="English (en)"' in converted.xml and 'lang="Türkçe (tr)"' in converted.xml
    assert "Grupla nasıl karşılaşıldı" in converted.xml
    paths = {entry["path"]: entry["type"] for entry in converted.fields}
    assert paths["incident/occurred_at"] == "dateTime"
    assert paths["incident/location"] == "geopoint"
    assert paths["person"] == paths["item"] == "repeat"
    # ODK checks what it can before the phone sends: people counted, counts not negative, the group's rules.
    assert 'nodeset="/data/person/count" type="int" required="true()" constraint=". &gt; 0"' in converted.xml
    assert 'constraint=" /data/people_met  &gt; 0"' in converted.xml
    assert 'constraint=". &gt;= 0 and . &lt;=  /data/children_met "' in converted.xml
    assert "not(. = 'rescue_at_sea' and  /data/incident/terrain  = 'land')" in converted.xml


def test_the_shipped_forms_choices_are_the_assistance_apps_values():
    assert _choices("terrain") == Terrain.values
    assert _choices("authority") == Authority.values
    assert _choices("how_met") == HowMet.values
    assert _choices("incident_sex") == Sex.values
    assert _choices("incident_age") == AgeGroup.values
    assert _choices("nationality") == [*COMMON_NATIONALITIES, "other"]
    assert _choices("item") == [code for code, *_rest in STANDARD_ITEMS]
    survey = load_workbook(FORM_FILE, read_only=True)["survey"]
    names = [row[1] for row in survey.iter_rows(min_row=2, values_only=True)]
    assert [name for name in names if name and name.startswith("service_")] == [
        f"service_{value}" for value in IncidentService.values
    ]


def test_the_shipped_form_is_bound_on_upload_with_every_target_field_mapped(border_version):
    form = border_version.form

    assert form.target == "border_incident"
    assert set(form.field_mapping) == {spec.key for spec in targets.fields_for("border_incident")}
    assert form.field_mapping["people.nationality"] == "person/nationality"
    assert form.field_mapping["items.item"] == "item/item_code"
    assert form.field_mapping["unaccompanied_children"] == "vulnerable/unaccompanied_children"


# --- what a submission becomes --------------------------------------------------------------------------------------


def test_an_incident_sent_from_collect_is_recorded_with_its_items_issued_from_the_van(
    client, border_version, van_user, van
):
    response = Phone(client).send(incident_xml(border_version))

    assert response.status_code == 201
    assert message(response) == "Form received successfully."
    submission = Submission.objects.get()
    assert (submission.state, submission.review_reason) == ("processed", "")
    incident = FieldIncident.objects.get()
    assert submission.incident == incident
    assert (incident.office, incident.vehicle, incident.district_id) == (van.office, van, "TUR022007")
    assert incident.occurred_at == datetime.datetime(2026, 11, 14, 2, 40, tzinfo=datetime.UTC)
    assert (incident.terrain, incident.authority, incident.how_met) == ("land", "gendarmerie", "apprehension")
    assert (str(incident.latitude), str(incident.longitude)) == ("41.18302", "26.41544")
    assert incident.people_met == 13
    assert sorted(incident.group_counts.values_list("sex", "age_group", "nationality", "count")) == sorted(GROUP)
    assert dict(incident.services_given.values_list("service", "quantity")) == {
        "interpretation": 13, "first_aid": 1, "information": 13, "referral": 1,
    }  # fmt: skip
    assert (incident.pregnant_women, incident.injured, incident.referred_to_health) == (1, 1, 1)
    assert incident.referred_to_pmm == 13
    assert incident.referral_note == "Handed over to the PMM"
    assert incident.recorded_by is None  # the phone's record: its field user is on the submission
    assert submission.submitted_by == van_user
    issued = {(entry.item.code, entry.quantity) for entry in issues_for(incident)}
    assert issued == {("BLANKET", -10), ("FOOD-PACK", -13)}
    assert all(entry.location == van for entry in issues_for(incident))
    assert (balance(van, "BLANKET"), balance(van, "FOOD-PACK")) == (30, 17)
    event = AuditEvent.objects.filter(object_type="dtm.submission", action="create").get()
    assert event.actor_username == "field:edr.van1"
    assert incident.reference in str(event.changes["field_incident"])


def test_more_than_the_van_holds_waits_for_review_naming_the_item_and_the_balance(
    client, border_version, van_user, van
):
    response = Phone(client).send(incident_xml(border_version, items=(("FOOD-PACK", 5), ("BLANKET", 50))))

    assert response.status_code == 201  # the phone's work is kept: it waits in the review list
    submission = Submission.objects.get()
    assert submission.state == "review"
    assert submission.review_reason == (
        "items.quantity (item[2]/quantity): Only 40 × Blanket left at Edirne van 1; 50 asked for."
    )
    assert not FieldIncident.objects.exists()
    assert not LedgerEntry.objects.filter(kind="issue").exists()  # the food packs were not issued either
    assert (balance(van, "BLANKET"), balance(van, "FOOD-PACK")) == (40, 30)
    assert submission.incident is None


def test_counts_that_break_a_rule_wait_for_review_naming_the_question(client, border_version, van_user, van):
    Phone(client).send(incident_xml(border_version, unaccompanied_children=4))

    submission = Submission.objects.get()
    assert submission.state == "review"
    assert submission.review_reason == (
        "unaccompanied_children (vulnerable/unaccompanied_children): More than the 3 children met."
    )
    assert not FieldIncident.objects.exists()
    assert not LedgerEntry.objects.filter(kind="issue").exists()


def test_an_item_outside_the_catalogue_waits_for_review(client, border_version, van_user, van):
    Phone(client).send(incident_xml(border_version, items=(("BLANKET", 2), ("SLEEPING-BAG", 3))))

    submission = Submission.objects.get()
    assert submission.review_reason == "items.item (item[2]/item_code): SLEEPING-BAG is not an item of the catalogue"
    assert not FieldIncident.objects.exists()


def test_the_same_instance_sent_again_records_nothing_new(client, border_version, van_user, van):
    phone = Phone(client)
    xml = incident_xml(border_version)

    first, again = phone.send(xml), phone.send(xml)

    assert (first.status_code, again.status_code) == (201, 201)
    assert message(again) == "This form was already received; nothing was changed."
    assert Submission.objects.count() == FieldIncident.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="issue").count() == 2
    assert (balance(van, "BLANKET"), balance(van, "FOOD-PACK")) == (30, 17)


def test_processing_again_neither_records_nor_issues_twice(client, border_version, van_user, van, edirne):
    Phone(client).send(incident_xml(border_version))
    submission = Submission.objects.get()

    services.submission_retry(submission=submission, by=staff(Role.DTM_OFFICER, edirne, username="dtm.edr"))

    assert submission.state == "processed"
    assert FieldIncident.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="issue").count() == 2
    assert balance(van, "BLANKET") == 30


def test_a_shortage_made_good_is_recorded_once_by_reprocessing_the_form(client, border_version, van_user, van):
    Phone(client).send(incident_xml(border_version, items=(("BLANKET", 50),)))
    warehouse = van.office.stock_locations.get(kind="warehouse")
    load = stock.transfer_dispatch(
        from_location=warehouse, to_location=van, item=Item.objects.get(code="BLANKET"), quantity=20, by=None
    )
    stock.transfer_receive(transfer=load, by=None)

    assert services.form_reprocess(form=border_version.form, by=None) == 1
    assert services.form_reprocess(form=border_version.form, by=None) == 0  # processed: not run again

    assert Submission.objects.get().state == "processed"
    assert FieldIncident.objects.count() == 1
    assert balance(van, "BLANKET") == 10


def test_an_edit_of_a_submission_that_became_an_incident_waits_for_review(client, border_version, van_user, van):
    phone = Phone(client)
    phone.send(incident_xml(border_version, instance_id="uuid:0b7e1c4e-5d36-4b8e-9d0f-1f6f0c1b2a01"))
    incident = FieldIncident.objects.get()

    response = phone.send(
        incident_xml(
            border_version,
            items=(("BLANKET", 12),),
            instance_id="uuid:7c2f9a10-3b4d-4e5f-8a6b-9c0d1e2f3a4b",
            deprecated_id="uuid:0b7e1c4e-5d36-4b8e-9d0f-1f6f0c1b2a01",
        )
    )

    assert message(response) == "Edited form received successfully."
    edit = Submission.objects.get(is_current=True)
    assert edit.state == "review"
    assert incident.reference in edit.review_reason
    assert "does not record it again" in edit.review_reason
    assert FieldIncident.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="issue").count() == 2
    assert balance(van, "BLANKET") == 30


# --- the field user's van -------------------------------------------------------------------------------------------


def test_a_field_user_without_a_van_sending_items_waits_for_review(client, border_version, edirne, van):
    services.field_user_create(office=edirne, username="edr.phone", password=FIELD_PASSWORD, by=None)

    Phone(client, username="edr.phone").send(incident_xml(border_version))

    submission = Submission.objects.get()
    assert submission.state == "review"
    assert submission.review_reason.startswith(
        "items (item): the field user edr.phone has no team vehicle to issue the items from"
    )
    assert not FieldIncident.objects.exists()
    assert balance(van, "BLANKET") == 40


def test_a_field_user_without_a_van_records_an_incident_without_items(client, border_version, edirne):
    services.field_user_create(office=edirne, username="edr.phone", password=FIELD_PASSWORD, by=None)

    Phone(client, username="edr.phone").send(incident_xml(border_version, items=()))

    incident = FieldIncident.objects.get()
    assert (incident.vehicle, incident.people_met) == (None, 13)
    assert Submission.objects.get().state == "processed"


def test_a_field_users_van_must_be_a_van_of_its_office(edirne, hatay, van, van_user):
    other = stock.location_create(office=hatay, name="Hatay van", kind="vehicle", vehicle_plate="31 LM 1", by=None)
    warehouse = van.office.stock_locations.get(kind="warehouse")

    with pytest.raises(ValidationError, match="Hatay van belongs to another office"):
        services.field_user_set_vehicle(field_user=van_user, vehicle=other, by=None)
    with pytest.raises(ValidationError, match="Edirne warehouse is not a vehicle"):
        services.field_user_set_vehicle(field_user=van_user, vehicle=warehouse, by=None)
    van_user.refresh_from_db()
    assert van_user.vehicle == van


def test_field_user_create_with_a_vehicle_on_the_command_line(edirne, van, capsys):
    call_command("field-user", "create", "edr.van2", "--office", "EDR", "--vehicle", "22lm101", "--password",
                 FIELD_PASSWORD)  # fmt: skip

    assert FieldUser.objects.get(username="edr.van2").vehicle == van
    assert "team's vehicle: Edirne van 1 (22 LM 101)" in capsys.readouterr().out
    call_command("field-user", "vehicle", "edr.van2", "--none")
    assert FieldUser.objects.get(username="edr.van2").vehicle is None
    call_command("field-user", "vehicle", "edr.van2", "--vehicle", "22 LM 101")
    assert FieldUser.objects.get(username="edr.van2").vehicle == van
    with pytest.raises(CommandError, match=r"EDR has no van in use with the plate '35 LM 201'; its vans: 22 LM 101"):
        call_command("field-user", "create", "edr.van3", "--office", "EDR", "--vehicle", "35 LM 201")


def test_the_field_user_page_gives_a_field_user_their_van(client, edirne, van):
    field_user, _password = services.field_user_create(office=edirne, username="edr.phone", by=None)
    client.force_login(staff(Role.DTM_OFFICER, edirne, username="dtm.edr"))

    page = client.get(f"/dtm/field-users/{field_user.pk}/")
    response = client.post(f"/dtm/field-users/{field_user.pk}/", {"action": "vehicle", "vehicle": van.pk})

    assert "Edirne van 1 (22 LM 101)" in page.content.decode()
    assert response.status_code == 302
    field_user.refresh_from_db()
    assert field_user.vehicle == van


# --- who sees the form ----------------------------------------------------------------------------------------------


def test_the_form_is_listed_for_the_offices_field_users_only(client, border_version, van_user, field_user):
    assert "liman_border_incident" in Phone(client).form_ids()
    other_office = client.get("/openrosa/formList", **basic())  # enumerator.hty, of Hatay
    assert b"liman_border_incident" not in other_office.content


def test_the_demo_gives_each_border_van_a_field_user_that_lists_the_form(client):
    from liman.assistance.demo import seed_assistance
    from liman.core import demo
    from liman.dtm.demo import demo_login_lines, seed_dtm

    rng = random.Random(2026)
    demo.seed_core(rng, 2026)
    seed_assistance(rng, 2026)
    seed_dtm(rng, 2026)

    vans = dict(FieldUser.objects.filter(vehicle__isnull=False).values_list("username", "vehicle__name"))
    assert vans == {"edr.van1": "Edirne van 1", "edr.van2": "Edirne van 2", "izm.van1": "İzmir van 1"}
    edirne = client.get("/openrosa/formList", **basic("edr.van1", demo.DEMO_PASSWORD)).content.decode()
    izmir = client.get("/openrosa/formList", **basic("izm.van1", demo.DEMO_PASSWORD)).content.decode()
    hatay = client.get("/openrosa/formList", **basic("enumerator.hty", demo.DEMO_PASSWORD)).content.decode()
    assert "liman_border_incident" in edirne and "liman_border_incident" in izmir
    assert "liman_border_incident" not in hatay
    sent = Submission.objects.get(form__form_id="liman_border_incident")
    assert (sent.state, sent.submitted_by.username, sent.incident.vehicle.name) == ("processed", "edr.van1",
                                                                                   "Edirne van 1")  # fmt: skip
    assert any("edr.van1, edr.van2, izm.van1" in line for line in demo_login_lines())
