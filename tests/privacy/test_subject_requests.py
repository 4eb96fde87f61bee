"""Requests from the people themselves: logged with a deadline, answered through their workflow; an access request's
export (CLI and page) holds what Liman has about the person minus what would harm others; a correction or a
deletion is linked to what was done, and a deletion is refused under a legal hold or with a case open."""

import hashlib
import io
import json
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from liman.cases import services as cases
from liman.core.choices import AuditAction, Role
from liman.core.models import AuditEvent, StateChange
from liman.core.selectors import home_next
from liman.core.workflows import TransitionRefused
from liman.privacy import person_export, services
from liman.privacy.models import SubjectRequest
from liman.registry import sections
from tests.cases.builders import consent, days_ago, register
from tests.factories import staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []


@pytest.fixture
def supervisor(istanbul):
    return staff(Role.SUPERVISOR, istanbul, username="sup")


@pytest.fixture
def person(istanbul):
    found = register(istanbul, first_name="Rania", family_name="Haddad", phone="+905551112299")
    consent(found, "registration")
    return found


def test_a_request_is_logged_with_its_deadline_at_protection_tier_and_scoped(settings, istanbul, izmir, person,
                                                                             supervisor):  # fmt: skip
    settings.LIMAN_SUBJECT_REQUEST_DAYS = 10
    logged = services.subject_request_log(person=person, kind="access", by=supervisor, received_on=days_ago(2))
    assert logged.due_on == days_ago(2) + __import__("datetime").timedelta(days=10)
    assert logged.sensitivity == "protection" and logged.reference.startswith("IST-DSR-")
    assert list(SubjectRequest.objects.visible_to(supervisor)) == [logged]
    for outsider in (staff(Role.SUPERVISOR, izmir), staff(Role.VIEWER, istanbul), staff(Role.ADMINISTRATOR, istanbul)):
        assert not SubjectRequest.objects.visible_to(outsider).exists()
    with pytest.raises(ValidationError, match="access, correction, objection or deletion"):
        services.subject_request_log(person=person, kind="forget", by=supervisor)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.subject_request_log(person=person, kind="access", by=staff(Role.SUPERVISOR, izmir, username="z"))


def test_the_workflow_needs_an_answer_keeps_history_and_the_overdue_list(client, settings, person, supervisor,
                                                                         django_assert_max_num_queries):  # fmt: skip
    settings.LIMAN_SUBJECT_REQUEST_DAYS = 30
    late = services.subject_request_log(person=person, kind="objection", by=supervisor, received_on=days_ago(40))
    current = services.subject_request_log(person=person, kind="access", by=supervisor)
    with pytest.raises(TransitionRefused, match="Write down the answer"):
        services.subject_request_step(request=late, to_state="answered", by=supervisor)
    services.subject_request_step(request=late, to_state="in_progress", by=supervisor)
    assert next(e for e in home_next(supervisor) if e["key"] == "data_requests_overdue")["value"] == 1
    client.force_login(supervisor)
    with django_assert_max_num_queries(16):
        page = client.get(reverse("privacy:privacy-requests") + "?overdue=1").content.decode()
    assert late.reference in page and current.reference not in page
    services.subject_request_step(request=late, to_state="answered", by=supervisor, answer="We stopped the SMS.")
    late.refresh_from_db()
    assert (late.status, late.answer, late.handled_by) == ("answered", "We stopped the SMS.", supervisor)
    assert list(StateChange.objects.filter(object_id=str(late.pk), workflow="subject_request")
                .values_list("to_state", flat=True).order_by("id")) == ["in_progress", "answered"]  # fmt: skip
    assert next(e for e in home_next(supervisor) if e["key"] == "data_requests_overdue")["value"] == 0


def _archive(content: bytes) -> tuple[dict, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert sorted(archive.namelist()) == ["person.json", "person.pdf"]
        return json.loads(archive.read("person.json")), archive.read("person.pdf")


def test_the_access_export_from_the_command_line_holds_the_records_and_is_audited(istanbul, izmir, person, supervisor,
                                                                                 tmp_path):  # fmt: skip
    caseworker = staff(Role.CASEWORKER, istanbul, programme="protection")
    case = cases.case_open(person=person, type="protection", by=caseworker)
    output = tmp_path / "rania.zip"
    call_command("person", "export", person.reference.lower(), "--output", str(output), "--user", supervisor.username)
    document, pdf = _archive(output.read_bytes())
    assert document["reference"] == person.reference and pdf.startswith(b"%PDF-")
    text = json.dumps(document, ensure_ascii=False)
    assert case.reference in text and "Rania" in text and "+905551112299" in text
    event = AuditEvent.objects.get(action=AuditAction.EXPORT, object_type="registry.person")
    assert event.actor == supervisor and event.changes["sha256"] == hashlib.sha256(output.read_bytes()).hexdigest()
    assert event.sensitivity == "protection"
    with pytest.raises(CommandError, match="sees no person"):
        call_command("person", "export", person.reference, "--output", str(output), "--user",
                     staff(Role.SUPERVISOR, izmir).username)  # fmt: skip
    with pytest.raises(CommandError, match="No active user"):
        call_command("person", "export", person.reference, "--output", str(output), "--user", "nobody")
    with pytest.raises(CommandError, match="--user"):
        call_command("person", "export", person.reference, "--output", str(output))


def test_each_harm_rule_withholds_what_it_says(istanbul, person, supervisor):
    """A section that showed other people's records (a household's) would leak them: the rules hold them back."""
    from liman.feedback import services as feedback

    relative = register(istanbul, first_name="Omar", family_name="Haddad")
    caseworker = staff(Role.CASEWORKER, istanbul, programme="protection")
    theirs = cases.case_open(person=relative, type="protection", by=caseworker)
    their_note = cases.case_note_add(case=theirs, kind="note", text="Omar spoke of his brother", by=caseworker)
    complaint = feedback.feedback_record(office=istanbul, channel="hotline", category="quality", by=None,
                                         summary="Rania took my share", person=relative, about=person)  # fmt: skip
    protected = feedback.feedback_record(office=istanbul, channel="hotline", category="sea", by=None,
                                         summary="About Rania", person=relative)  # fmt: skip
    own = feedback.feedback_record(office=istanbul, channel="hotline", category="information", by=None,
                                   summary="When is the next distribution?", person=person)  # fmt: skip
    rules = {rule.key: rule for rule in person_export.HARM_RULES}
    assert rules["others_sensitive"].applies(theirs, person) and not rules["others_sensitive"].applies(own, person)
    assert rules["complaint_about_them"].applies(complaint, person)
    assert not rules["complaint_about_them"].applies(own, person)
    assert rules["psea_about_them"].applies(protected, person)
    assert rules["note_about_others"].applies(their_note, person)
    for rule in rules.values():
        assert str(rule.reason)
    shown = [theirs, their_note, complaint, protected, own]
    leaky = sections.PersonSection("household-test", "Household", "none.html", lambda user, subject: {"rows": shown})
    sections.register(leaky)
    try:
        gathered = person_export.gather(supervisor, person)
    finally:
        sections.PERSON_SECTIONS[:] = [s for s in sections.PERSON_SECTIONS if s.key != "household-test"]
    text = json.dumps(gathered.sections, ensure_ascii=False, default=str)
    assert "When is the next distribution?" in text
    for leaked in ("Omar spoke", "took my share", "About Rania", theirs.reference):
        assert leaked not in text, leaked
    assert gathered.withheld == {"others_sensitive": 1, "note_about_others": 1, "complaint_about_them": 1,
                                 "psea_about_them": 1}  # fmt: skip


def test_a_note_on_the_persons_own_case_marked_as_about_others_is_left_out_of_their_export(istanbul, person,
                                                                                         supervisor):  # fmt: skip
    caseworker = staff(Role.CASEWORKER, istanbul, programme="protection")
    case = cases.case_open(person=person, type="protection", by=caseworker)
    cases.case_note_add(case=case, kind="note", text="Rania asked for a shelter place", by=caseworker)
    marked = cases.case_note_add(case=case, kind="contact", text="Her neighbour Selim says he saw the recruiter",
                                 by=caseworker, about_others=True)  # fmt: skip
    rule = next(rule for rule in person_export.HARM_RULES if rule.key == "note_about_others")

    gathered = person_export.gather(supervisor, person)

    assert marked.about_others and rule.applies(marked, person)
    text = json.dumps(gathered.sections, ensure_ascii=False, default=str)
    assert "Rania asked for a shelter place" in text and "Selim" not in text
    assert gathered.withheld == {"note_about_others": 1}


def test_the_note_form_marks_a_note_as_about_others(client, istanbul, person):
    caseworker = staff(Role.CASEWORKER, istanbul, programme="protection")
    case = cases.case_open(person=person, type="protection", by=caseworker)
    client.force_login(caseworker)

    assert (
        "Mentions other people / third-party information"
        in client.get(reverse("cases:case-form", args=[case.reference, "note"])).content.decode()
    )
    client.post(reverse("cases:case-note-add", args=[case.reference]), {"kind": "note", "text": "Said by her uncle",
                                                                   "about_others": "on"})  # fmt: skip
    client.post(reverse("cases:case-note-add", args=[case.reference]), {"kind": "note", "text": "Her own words"})

    assert dict(case.notes.values_list("text", "about_others")) == {"Said by her uncle": True, "Her own words": False}


def test_the_pdf_is_in_the_persons_language_where_liman_has_it(person):
    person.languages = ["ku", "tr"]
    assert person_export.language_of(person) == "tr"
    person.languages = ["ku"]
    assert person_export.language_of(person) == "en"


def test_a_deletion_is_refused_under_a_hold_or_an_open_case_and_otherwise_anonymises(istanbul, person, supervisor):
    caseworker = staff(Role.CASEWORKER, istanbul, programme="protection")
    case = cases.case_open(person=person, type="protection", by=caseworker)
    request = services.subject_request_log(person=person, kind="deletion", by=supervisor, details="Forget me")
    with pytest.raises(ValidationError, match=f"The case {case.reference} is open"):
        services.subject_request_delete(request=request, by=supervisor)
    cases.case_transition(case=case, to_state="closed", by=caseworker, reason="Moved away",
                          closure_reason="left_area")  # fmt: skip
    admin = staff(Role.ADMINISTRATOR, istanbul)
    hold = services.hold_place(kind="cases.closed_case", reference=case.reference, reason="Prosecutor", by=admin)
    with pytest.raises(ValidationError, match="legal hold"):
        services.subject_request_delete(request=request, by=supervisor)
    services.hold_lift(hold=hold, reason="Case dropped", by=admin)
    services.subject_request_delete(request=request, by=supervisor)
    person.refresh_from_db()
    request.refresh_from_db()
    assert (person.first_name, person.phone) == ("—", "")
    assert request.status == "answered" and request.details == ""
    event = AuditEvent.objects.get(seq=request.outcome_event_seq)
    assert event.action == AuditAction.PURGE and event.changes["request"] == request.reference
    assert "Rania" not in json.dumps([e.changes for e in AuditEvent.objects.all()], ensure_ascii=False)


def test_a_correction_updates_the_record_audited_and_links_the_request(client, person, supervisor):
    request = services.subject_request_log(person=person, kind="correction", by=supervisor, details="Name is Raniya")
    client.force_login(supervisor)
    url = reverse("privacy:privacy-request-act", args=[request.reference])
    response = client.post(url, {"act": "correct", "field": "office", "value": "x"}, follow=True)
    assert "Field: choose one of the list." in response.content.decode()
    client.post(url, {"act": "correct", "field": "first_name", "value": "Raniya"})
    person.refresh_from_db()
    request.refresh_from_db()
    assert person.first_name == "Raniya" and request.status == "answered"
    event = AuditEvent.objects.get(seq=request.outcome_event_seq)
    assert event.action == AuditAction.UPDATE and event.object_id == str(person.pk)
    with pytest.raises(ValidationError, match="Only a deletion request"):
        services.subject_request_delete(request=request, by=supervisor)


def test_the_request_page_and_the_person_page_export_a_zip(client, istanbul, izmir, person, supervisor):
    request = services.subject_request_log(person=person, kind="access", by=supervisor)
    client.force_login(supervisor)
    page = client.get(reverse("privacy:privacy-request", args=[request.reference])).content.decode()
    assert reverse("privacy:privacy-request-export", args=[request.reference]) in page
    response = client.get(reverse("privacy:privacy-request-export", args=[request.reference]))
    document, _pdf = _archive(response.content)
    assert document["person"]["id"] == person.pk
    request.refresh_from_db()
    assert AuditEvent.objects.get(seq=request.outcome_event_seq).action == AuditAction.EXPORT
    assert client.get(reverse("privacy:privacy-person-export", args=[person.reference])).status_code == 200
    client.force_login(staff(Role.SUPERVISOR, izmir))
    assert client.get(reverse("privacy:privacy-request", args=[request.reference])).status_code == 404
    assert client.get(reverse("privacy:privacy-person-export", args=[person.reference])).status_code == 404
    assert timezone.localdate() <= request.due_on
