"""Forms: XLSForm upload with pyxform, IDs and versions, refusals with pyxform's message and row, the CLI."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from hypothesis import given
from hypothesis import strategies as st

from liman.dtm import services
from liman.dtm.instance import parse_geopoint
from liman.dtm.models import FieldUser, Form
from liman.dtm.openrosa import digest_ha1
from liman.dtm.xlsform import XLSFormError, form_id_from_file_name
from tests.dtm.builders import collect_xml, site_body, site_form, xlsform

pytestmark = pytest.mark.django_db

MINIMAL = [["type", "name", "label"], ["text", "name", "Name"], ["integer", "age", "Age"]]


def test_a_form_without_settings_gets_an_id_from_its_file_name_and_a_version(hatay):
    version = services.form_upload(
        office=hatay, content=xlsform(MINIMAL), file_name="Rapid Needs (Hatay).xlsx", by=None
    )

    assert version.form.form_id == "rapid_needs_hatay"
    assert version.form.title == "Rapid Needs (Hatay)"
    assert version.version.isdigit() and len(version.version) == 14
    assert f'id="rapid_needs_hatay" version="{version.version}"' in version.xml


def test_every_upload_is_a_new_version_and_submissions_keep_theirs(hatay):
    first = services.form_upload(office=hatay, content=xlsform(MINIMAL), file_name="needs.xlsx", by=None)
    submission = services.submission_receive(
        office=hatay, xml=collect_xml("needs", first.version, "<name>Ali</name><age>40</age>")
    ).submission

    second = services.form_upload(office=hatay, content=xlsform(MINIMAL), file_name="needs.xlsx", by=None)

    assert second.form == first.form
    assert second.version != first.version
    assert list(first.form.versions.all()) == [second, first]
    submission.refresh_from_db()
    assert submission.form_version == first


def test_a_version_already_used_is_refused(hatay):
    services.form_upload(office=hatay, content=site_form(version="7"), file_name="a.xlsx", by=None)

    with pytest.raises(ValidationError, match="Version 7 of form 'site_assessment' already exists"):
        services.form_upload(office=hatay, content=site_form(version="7"), file_name="b.xlsx", by=None)


def test_a_new_version_must_be_the_same_form(hatay):
    form = services.form_upload(office=hatay, content=site_form(), file_name="site.xlsx", by=None).form

    with pytest.raises(XLSFormError, match="is form 'other_form'"):
        services.form_upload(
            office=hatay, content=site_form(form_id="other_form"), file_name="x.xlsx", form=form, by=None
        )


def test_a_new_version_without_settings_keeps_the_forms_id(hatay):
    form = services.form_upload(office=hatay, content=site_form(), file_name="site.xlsx", by=None).form

    version = services.form_upload(
        office=hatay, content=site_form(form_id=""), file_name="whatever.xlsx", form=form, by=None
    )

    assert version.form == form
    assert 'id="site_assessment"' in version.xml


def test_a_new_version_without_a_title_keeps_the_forms_title_not_its_file_name(hatay):
    """A form saved again under another file name ("upstream.xlsx") and uploaded without a settings sheet is the
    same form, with the same title: the file name names a file, not the form."""
    form = services.form_upload(
        office=hatay, content=site_form(), file_name="site.xlsx", by=None
    ).form  # its settings sheet gives form_id and a title
    titled = form.title

    # As a new version of the form, and uploaded again without saying which form (found by its ID).
    for number, chosen in enumerate((form, None), start=8):
        version = services.form_upload(
            office=hatay,
            content=site_form(title="", version=str(number)),
            file_name="upstream.xlsx",
            form=chosen,
            by=None,
        )
        form.refresh_from_db()
        assert version.form == form and form.title == version.title == titled
        assert "upstream" not in version.xml


@pytest.mark.parametrize(
    ("sheets", "sheet", "row", "words"),
    [
        (
            {"survey": [["type", "name", "label"], ["select_one yn", "q", "Q"]],
             "choices": [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "", "No"]]},
            "choices", 3, "'choices' sheet",
        ),
        (
            {"survey": [["type", "name", "label"], ["integr", "b", "B"]]},
            "survey", 2, "Unknown question type 'integr'",
        ),
    ],
    ids=["choices-sheet", "survey-sheet"],
)  # fmt: skip
def test_pyxforms_errors_name_the_sheet_they_are_about(hatay, sheets, sheet, row, words):
    with pytest.raises(XLSFormError) as refused:
        services.form_upload(
            office=hatay, content=xlsform(sheets["survey"], choices=sheets.get("choices")), file_name="b.xlsx", by=None
        )

    assert (refused.value.sheet, refused.value.row) == (sheet, row)
    assert words in refused.value.message


@pytest.mark.parametrize(
    ("survey", "row", "words"),
    [
        ([["type", "name", "label"], ["text", "a", "A"], ["integr", "b", "B"]], 3, "Unknown question type 'integr'"),
        ([["type", "name", "label"], ["begin_group", "g", "G"], ["text", "a", "A"]], 2, "Unmatched 'begin_group'"),
        ([["type", "name", "label"], ["text", "a", "A"], ["text", "a", "Again"]], 3, "must be unique"),
    ],
    ids=["unknown-type", "unclosed-group", "duplicate-name"],
)
def test_a_bad_xlsform_is_refused_with_pyxforms_message_and_row(hatay, survey, row, words):
    with pytest.raises(XLSFormError) as refused:
        services.form_upload(office=hatay, content=xlsform(survey), file_name="bad.xlsx", by=None)

    assert refused.value.row == row
    assert words in refused.value.message
    assert not Form.objects.exists()


def test_a_file_that_is_not_a_spreadsheet_is_refused(hatay):
    with pytest.raises(XLSFormError, match="not"):
        services.form_upload(office=hatay, content=b"PK\x03\x04 broken", file_name="broken.xlsx", by=None)


def test_the_questions_of_a_form_are_listed_with_groups_repeats_and_types(site_version):
    fields = {entry["path"]: entry for entry in site_version.fields}

    assert fields["site/location"]["type"] == "geopoint"
    assert fields["population/population_groups"]["type"] == "select_multiple"
    assert fields["need"]["type"] == "repeat"
    assert (fields["need/sector"]["type"], fields["need/sector"]["repeat"]) == ("select_one", "need")
    assert fields["photo"]["type"] == "binary"


def test_file_names_become_valid_form_ids():
    assert form_id_from_file_name("2023 Şanlıurfa survey.xlsx") == "form_2023_sanliurfa_survey"
    assert form_id_from_file_name("ÇEŞME-count.xlsx") == "cesme_count"


@given(st.floats(-90, 90), st.floats(-180, 180), st.floats(-500, 9000), st.floats(0, 1000))
def test_any_geopoint_collect_can_write_is_read_back(latitude, longitude, altitude, accuracy):
    point = parse_geopoint(f"{latitude!r} {longitude!r} {altitude!r} {accuracy!r}")

    assert (point.latitude, point.longitude, point.altitude, point.accuracy) == (
        latitude,
        longitude,
        altitude,
        accuracy,
    )


@given(st.floats(allow_nan=False, allow_infinity=False).filter(lambda value: abs(value) > 90))
def test_a_latitude_off_the_globe_is_refused(latitude):
    with pytest.raises(ValueError, match="outside the globe"):
        parse_geopoint(f"{latitude!r} 30 0 0")


# --- the CLI ------------------------------------------------------------------------------------------------------


def test_forms_add_publishes_an_xlsform_for_an_office(hatay, tmp_path, capsys):
    path = tmp_path / "site.xlsx"
    path.write_bytes(site_form())

    call_command("forms", "add", str(path), "--office", "hty")

    assert "Published site_assessment version 2023040301" in capsys.readouterr().out
    assert Form.objects.get().office == hatay


def test_forms_add_says_which_row_pyxform_refused(hatay, tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(xlsform([["type", "name", "label"], ["text", "a", "A"], ["integr", "b", "B"]]))

    with pytest.raises(CommandError, match=r"row 3 of the survey sheet.*Unknown question type 'integr'"):
        call_command("forms", "add", str(path), "--office", "HTY")


def test_forms_add_names_the_offices_when_the_code_is_wrong(hatay, tmp_path):
    path = tmp_path / "site.xlsx"
    path.write_bytes(site_form())

    with pytest.raises(CommandError, match="offices are: HTY"):
        call_command("forms", "add", str(path), "--office", "XXX")


def test_field_user_create_prints_a_password_that_works(hatay, capsys):
    call_command("field-user", "create", "enumerator.hty.02", "--office", "HTY")

    out = capsys.readouterr().out
    password = next(line.split(": ", 1)[1] for line in out.splitlines() if "password:" in line)
    field_user = FieldUser.objects.get(username="enumerator.hty.02")
    assert services.field_user_check_password(field_user, password)
    assert field_user.digest_ha1 == digest_ha1("enumerator.hty.02", "Liman", password)


def test_field_user_create_with_a_password_and_a_qr_file(hatay, tmp_path, capsys):
    qr = tmp_path / "collect.svg"

    call_command("field-user", "create", "enum.x", "--office", "HTY", "--password", "a-long-password", "--qr", str(qr))

    assert services.field_user_check_password(FieldUser.objects.get(), "a-long-password")
    assert qr.read_text().startswith("<?xml")


def test_the_field_users_password_is_stored_hashed_and_its_digest_encrypted(hatay):
    from django.db import connection

    services.field_user_create(office=hatay, username="enum.y", password="a-long-password", by=None)

    with connection.cursor() as cursor:
        cursor.execute("SELECT password_hash, digest_ha1 FROM dtm_fielduser")
        stored_hash, stored_ha1 = cursor.fetchone()
    assert "a-long-password" not in stored_hash and stored_hash.startswith(("md5$", "argon2"))
    assert digest_ha1("enum.y", "Liman", "a-long-password") not in stored_ha1


def test_a_short_field_password_is_refused(hatay):
    with pytest.raises(CommandError, match="at least 10 characters"):
        call_command("field-user", "create", "enum.z", "--office", "HTY", "--password", "short")


def test_collect_like_instance_round_trip_through_the_site_form(site_version):
    # The builder writes what Collect writes; the form's own questions accept it.
    xml = collect_xml("site_assessment", site_version.version, site_body())

    receipt = services.submission_receive(office=site_version.form.office, xml=xml)

    assert receipt.outcome == "created"
