"""factory_boy factories. `SCOPED_FACTORIES` builds one record of every scoped model in a given office,
so the generic access walk covers every model; a scoped model without an entry fails that test."""

from __future__ import annotations

import factory
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from liman.core import audit
from liman.core.choices import OfficeType, Role
from liman.core.models import (
    AdminArea,
    AuditEvent,
    ImportBatch,
    Office,
    Programme,
    RoleGrant,
    StagedRow,
    StateChange,
    TaskProgress,
    User,
)
from liman.health.models import FitToFlyCheck, HealthAssessment, MedicalClearance
from liman.movements.models import (
    Booking,
    CaseMember,
    CaseStepPartner,
    ExitPermission,
    FamilySplitApproval,
    Flight,
    FlightLeg,
    InterviewSlot,
    OrientationAttendance,
    OrientationSession,
    PromissoryNote,
    ResettlementCase,
    ReunificationCase,
    SelectionMission,
    SponsorshipAssurance,
    Visa,
)
from liman.registry.choices import WG_DOMAINS
from liman.registry.models import (
    Attachment,
    Consent,
    DisabilityAssessment,
    Household,
    HouseholdMember,
    Identifier,
    LegalStatus,
    Person,
    PersonNameKey,
    Vulnerability,
)
from tests.vault.models import Secret


class OfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Office
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"O{n:02d}")
    name = factory.LazyAttribute(lambda o: f"Office {o.code}")
    type = OfficeType.FIELD
    province = factory.LazyFunction(lambda: AdminArea.objects.get(pcode="TUR034"))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def grant(user: User, role: str, office: Office | None, programme: str | None = None) -> RoleGrant:
    programme_obj = Programme.objects.get(code=programme) if programme else None
    made = RoleGrant.objects.create(user=user, role=role, office=office, programme=programme_obj)
    user.__dict__.pop("_liman_grants", None)
    return made


def staff(role: str, office: Office | None, programme: str | None = None, username: str | None = None) -> User:
    user = UserFactory(username=username or f"{role}.{office.code.lower() if office else 'all'}")
    grant(user, role, office, programme)
    return user


def secret(office: Office, *, title: str, sensitivity: str = "normal", programme: str | None = None, **kwargs):
    programme_obj = Programme.objects.get(code=programme) if programme else None
    return Secret.objects.create(office=office, title=title, sensitivity=sensitivity, programme=programme_obj, **kwargs)


def _scoped_world(office: Office, marker: str) -> list:
    """One record of every scoped model, in `office`, each carrying `marker` where it has text."""
    member = staff(Role.CASEWORKER, office, username=f"{marker.lower()}-member")
    records = [
        office,
        member,
        RoleGrant.objects.get(user=member),
        TaskProgress.objects.create(name=f"{marker} task", owner=member, office=office, updated_at=timezone.now()),
        Secret.objects.create(office=office, title=f"{marker} normal secret"),
        Secret.objects.create(office=office, title=f"{marker} protection secret", sensitivity="protection"),
        Secret.objects.create(office=office, title=f"{marker} medical secret", sensitivity="medical"),
    ]
    records.append(audit.record("update", obj=records[-1], reason=f"{marker} audit reason"))
    records.append(
        StateChange.objects.create(
            office=office,
            content_type=ContentType.objects.get_for_model(Secret),
            object_id=str(records[4].pk),
            workflow="vault",
            from_state="open",
            to_state="closed",
            reason=f"{marker} closing reason",
        )
    )
    batch = ImportBatch.objects.create(office=office, kind="people", file_name=f"{marker}-people.csv")
    records += [batch, StagedRow.objects.create(batch=batch, row_number=2, data=f'{{"first_name": "{marker}"}}')]
    return records


def _registry_world(office: Office, marker: str) -> list:
    """A household of two with every kind of registry record, in `office`."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from liman.registry import services as registry
    from liman.registry.choices import IdentifierType, LegalStatusType, Relationship

    head = registry.person_register(
        office=office,
        data=registry.PersonInput(
            first_name=f"{marker}head",
            family_name=f"{marker}family",
            sex="M",
            nationality="SYR",
            phone="+905321112233",
            legal_status=LegalStatusType.TEMPORARY_PROTECTION,
            identifiers=[registry.IdentifierInput(IdentifierType.PASSPORT, f"{marker}PASS1")],
        ),
        by=None,
    )
    spouse = registry.person_register(
        office=office,
        data=registry.PersonInput(
            first_name=f"{marker}spouse", family_name=f"{marker}family", sex="F", nationality="SYR"
        ),
        by=None,
    )
    household = registry.household_create(office=office, head=head, by=None)
    member = registry.household_add_member(
        household=household, person=spouse, relationship=Relationship.SPOUSE, by=None
    )
    pdf = SimpleUploadedFile(f"{marker}-id.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    return [
        head,
        spouse,
        household,
        member,
        head.legal_statuses.get(),
        head.identifiers.get(),
        registry.disability_assess(person=head, answers=dict.fromkeys(WG_DOMAINS, 1), by=None),
        registry.vulnerability_add(person=spouse, type="single_parent", note=f"{marker} vulnerability note", by=None),
        # A protection fact about a normal-tier person: its own tier keeps it from normal-tier readers.
        registry.vulnerability_add(person=head, type="victim_of_trafficking", note=f"{marker} exploited", by=None),
        registry.consent_record(person=head, purpose="registration", legal_basis="consent", by=None),
        registry.attachment_add(person=head, kind="identity_document", upload=pdf, by=None),
    ]


def _health_world(office: Office, marker: str) -> list:
    """A traveller with a cleared health assessment (findings carrying `marker`) and a fit-to-fly check."""
    import datetime

    from liman.health import services as health
    from liman.registry import services as registry

    nurse = staff(Role.HEALTH, office, programme="health", username=f"{marker.lower()}-health")
    person = registry.person_register(
        office=office,
        data=registry.PersonInput(
            first_name=f"{marker}patient", family_name=f"{marker}family", sex="F", nationality="SYR"
        ),
        by=None,
    )
    assessment = health.health_assessment_request(person=person, by=None)
    health.health_assessment_record(
        assessment=assessment,
        by=nurse,
        changes={
            "assessed_on": timezone.localdate(),
            "medical_history": f"{marker} medical history finding",
            "examination": f"{marker} examination finding",
            "chest_xray": "normal",
            "fit_to_travel": True,
            "travel_needs": ["wheelchair"],
        },
    )
    assessment = health.health_assessment_clear(
        assessment=assessment, by=nurse, valid_until=timezone.localdate() + datetime.timedelta(days=180)
    )
    check = health.fit_to_fly_record(person=person, by=nurse, is_fit=True)
    return [person, assessment, person.medical_clearance, check]


def _movements_world(office: Office, marker: str) -> list:
    """A resettlement case of a household of two with every kind of movements record, in `office`."""
    import datetime

    from liman.core.models import Programme
    from liman.movements import services as movements
    from liman.movements.models import Booking, FamilySplitApproval, OrientationCourse
    from liman.registry import services as registry
    from liman.registry.choices import Relationship

    supervisor = staff(Role.SUPERVISOR, office, username=f"{marker.lower()}-resettlement")
    head = registry.person_register(
        office=office,
        data=registry.PersonInput(
            first_name=f"{marker}traveller", family_name=f"{marker}kin", sex="M", nationality="AFG"
        ),
        by=None,
    )
    child = registry.person_register(
        office=office,
        data=registry.PersonInput(
            first_name=f"{marker}child",
            family_name=f"{marker}kin",
            sex="F",
            nationality="AFG",
            birth_date=timezone.localdate() - datetime.timedelta(days=365 * 14),
        ),
        by=None,
    )
    household = registry.household_create(office=office, head=head, by=None)
    registry.household_add_member(household=household, person=child, relationship=Relationship.CHILD, by=None)
    case = movements.resettlement_case_open(
        office=office, principal=head, country="USA", unhcr_reference=f"{marker}-UNHCR", by=supervisor
    )
    today = timezone.localdate()
    mission = movements.selection_mission_create(
        office=office,
        country="USA",
        starts_on=today,
        ends_on=today + datetime.timedelta(days=3),
        place=f"{marker} mission hotel",
        interviewers=[f"{marker} interviewer"],
        by=supervisor,
    )
    slot = movements.interview_schedule(
        mission=mission, case=case, starts_at=timezone.now() + datetime.timedelta(hours=2), by=supervisor
    )
    course = OrientationCourse.objects.get(country="CAN")
    session = movements.orientation_session_create(
        office=office, course=course, starts_on=today, ends_on=today, place=f"{marker} classroom", by=supervisor
    )
    attendance = movements.orientation_attendance_record(session=session, person=head, hours_attended=15, by=supervisor)
    visa = movements.visa_record(
        case=case, person=head, issued_on=today, valid_until=today + datetime.timedelta(days=90), by=supervisor
    )
    exit_permission = movements.exit_permission_request(
        case=case, person=head, requested_on=today, authority_reference=f"{marker}-PMM", by=supervisor
    )
    note = movements.promissory_note_record(case=case, person=head, signed_on=today, by=supervisor)
    assurance = movements.sponsorship_assurance_record(
        case=case, agency=f"{marker} resettlement agency", received_on=today, by=supervisor
    )
    departure = timezone.now() + datetime.timedelta(days=2)
    flight = movements.flight_create(
        office=office,
        destination_country="USA",
        note=f"{marker} charter",
        legs=[
            movements.LegInput(
                "Turkish Airlines", "TK1", "IST", "JFK", departure, departure + datetime.timedelta(hours=11)
            )
        ],
        by=supervisor,
    )
    # Arranged directly: the booking rules have their own tests; this is one record of each kind for the walk.
    booking = Booking.objects.create(
        flight=flight,
        person=head,
        office=office,
        programme=Programme.objects.get(code="resettlement"),
        case=case,
        source_reference=case.reference,
        escort_name=f"{marker} escort",
    )
    split = FamilySplitApproval.objects.create(
        case=case, flight=flight, approved_by=supervisor, reason=f"{marker} split reason"
    )
    reunification = movements.reunification_case_open(
        office=office, person=child, country="DEU", is_fap=True, sponsor_name=f"{marker} sponsor", by=supervisor
    )
    return [
        head,
        child,
        case,
        *case.members.all(),
        *case.step_partners.all(),
        mission,
        slot,
        session,
        attendance,
        visa,
        exit_permission,
        note,
        assurance,
        flight,
        *flight.legs.all(),
        booking,
        split,
        reunification,
    ]


#: model -> how to build records of it in an office (see `_scoped_world`).
SCOPED_FACTORIES = {model: _scoped_world for model in (Office, User, RoleGrant, TaskProgress, Secret, AuditEvent)}
SCOPED_FACTORIES.update({model: _scoped_world for model in (StateChange, ImportBatch, StagedRow)})
SCOPED_FACTORIES.update(
    {
        model: _registry_world
        for model in (
            Person,
            Household,
            HouseholdMember,
            LegalStatus,
            Identifier,
            DisabilityAssessment,
            Vulnerability,
            Consent,
            Attachment,
        )
    }  # fmt: skip
)
# Search keys come with every person registered (person_register refreshes them).
SCOPED_FACTORIES[PersonNameKey] = _registry_world


# --- cases ---------------------------------------------------------------------------------------------------


def _cases_world(office: Office, marker: str) -> list:
    """A person with a case of each type, and every record that hangs off a case, in `office`."""
    import datetime

    from liman.cases import services as cases
    from liman.registry import services as registry

    caseworker = staff(Role.CASEWORKER, office, username=f"{marker.lower()}-caseworker")
    person = registry.person_register(
        office=office,
        data=registry.PersonInput(
            first_name=f"{marker}client", family_name=f"{marker}case", sex="F", nationality="AFG"
        ),
        by=None,
    )
    for purpose in ("referral", "sharing_partner"):
        registry.consent_record(person=person, purpose=purpose, legal_basis="consent", by=None)
    opened = timezone.localdate() - datetime.timedelta(days=30)
    protection = cases.case_open(person=person, type="protection", by=None, opened_on=opened)
    trafficking = cases.case_open(person=person, type="counter_trafficking", by=None, opened_on=opened)
    avrr = cases.case_open(person=person, type="avrr", by=None, opened_on=opened)
    cases.case_assign(case=protection, owner=caseworker, by=None, reason=f"{marker} assignment reason")
    partner = cases.partner_organisation_create(name=f"{marker} Partner Organisation", kind="ngo", by=None)
    agreement(partner, office=office, title=f"{marker} agreement")
    return [
        protection,
        trafficking,
        avrr,
        protection.assignments.get(),
        cases.case_note_add(case=trafficking, kind="note", text=f"{marker} note text", by=None),
        cases.assessment_record(case=protection, kind="initial", findings=f"{marker} findings", by=None),
        cases.planned_service_add(case=protection, service_type="legal", description=f"{marker} service", by=None),
        protection.plan,
        cases.service_deliver(case=protection, service_type="legal", note=f"{marker} delivered", by=None),
        cases.follow_up_schedule(case=protection, due_on=opened, purpose=f"{marker} follow-up purpose", by=None),
        cases.referral_send(case=protection, to_partner=partner, summary=f"{marker} partner message", by=None),
        cases.referral_send(
            case=trafficking,
            to_office=office,
            to_programme=Programme.objects.get(code="avrr"),
            summary=f"{marker} internal message",
            by=None,
        ),
    ]


from liman.cases import models as cases_models  # noqa: E402

SCOPED_FACTORIES.update(
    {
        model: _cases_world
        for model in (
            cases_models.Case,
            cases_models.CaseAssignment,
            cases_models.CaseNote,
            cases_models.Assessment,
            cases_models.ServicePlan,
            cases_models.PlannedService,
            cases_models.ServiceDelivery,
            cases_models.FollowUp,
            cases_models.Referral,
        )
    }  # fmt: skip
)


def _dtm_world(office: Office, marker: str) -> list:
    """A form with a version and a media file, a field user, a submission with an attachment, and one record
    of every DTM / MPM model (operation, round, site, assessment with group and need, flow point and count and
    its monthly rollup, presence figure, interception count, dataset record), in `office`."""
    import datetime

    from liman.dtm import models as dtm
    from liman.dtm import services as dtm_services
    from tests.dtm.builders import collect_xml, site_body, site_form

    code = f"{office.code}-{marker}".upper()
    hatay_district = AdminArea.objects.get(pcode="TUR031001")
    operation = dtm_services.operation_create(
        office=office, code=code, name=f"{marker} earthquake operation", kind="emergency",
        started_on=datetime.date(2023, 2, 6), provinces=[hatay_district.parent], by=None,
    )  # fmt: skip
    round_ = dtm_services.round_create(
        operation=operation, number=1, assessment_type="site_assessment", started_on=datetime.date(2023, 4, 1), by=None
    )
    version = dtm_services.form_upload(
        office=office,
        content=site_form(form_id=f"{marker.lower()}_sites", title=f"{marker} site form"),
        file_name=f"{marker}.xlsx",
        media=[dtm_services.MediaUpload(f"{marker}-sites.csv", b"name,label\na,A\n", "text/csv")],
        by=None,
    )
    form = version.form
    dtm_services.form_bind(
        form=form,
        target="site_assessment",
        mapping={"site_name": "site/site_name", "site_type": "site/site_type", "district": "site/district",
                 "location": "site/location", "households": "population/households",
                 "individuals": "population/individuals", "population_groups": "population/population_groups",
                 "needs": "need", "needs.sector": "need/sector", "needs.severity": "need/severity",
                 "assessed_on": "today"},
        operation=operation, round=round_, by=None,
    )  # fmt: skip
    field_user, _password = dtm_services.field_user_create(
        office=office, username=f"{marker.lower()}.{office.code.lower()}", name=f"{marker} enumerator", by=None
    )
    receipt = dtm_services.submission_receive(
        office=office,
        xml=collect_xml(form.form_id, version.version, site_body(site_name=f"{marker} Tent City")),
        attachments=[dtm_services.AttachmentUpload("1681723451234.jpg", b"\xff\xd8\xff\xe0jpeg", "image/jpeg")],
        field_user=field_user,
    )
    submission = receipt.submission
    assessment = dtm.SiteAssessment.objects.get(submission=submission)
    point = dtm_services.flow_point_create(
        office=office, code=f"FP-{code}", name=f"{marker} bus station", type="bus_station",
        district=hatay_district, operation=operation, by=None,
    )  # fmt: skip
    (flow,) = dtm_services.flow_counts_record(
        rows=[dtm_services.FlowCountInput(point, datetime.date(2023, 4, 3), "outgoing", "AFG", "M", "18_59", 37)],
        by=None,
    )
    (presence,) = dtm_services.presence_figures_record(
        office=office, operation=operation, by=None,
        rows=[dtm_services.PresenceInput(datetime.date(2023, 7, 1), hatay_district.parent, "temporary_protection",
                                         "SYR", "pmm", 302_315)],
    )  # fmt: skip
    (interception,) = dtm_services.interceptions_record(
        office=office, operation=operation, by=None,
        rows=[dtm_services.InterceptionInput(datetime.date(2023, 7, 1), "rescue", "aegean_sea", "coast_guard", "AFG",
                                             "F", "18_59", 41)],
    )  # fmt: skip
    dataset_form = dtm_services.form_upload(
        office=office,
        content=site_form(form_id=f"{marker.lower()}_survey", title=f"{marker} survey form"),
        file_name=f"{marker}-survey.xlsx",
        by=None,
    ).form
    dtm_services.form_bind(form=dataset_form, target="dataset", mapping={"collected_on": "today"}, by=None)
    survey = dtm_services.submission_receive(
        office=office,
        xml=collect_xml(dataset_form.form_id, dataset_form.versions.get().version, site_body(site_name=marker)),
        field_user=field_user,
    ).submission
    return [
        operation, round_, form, version, version.media.get(), field_user, submission,
        submission.attachments.get(), assessment.site, assessment, assessment.population_groups.first(),
        assessment.needs.first(), point, flow, presence, interception, survey, survey.dataset_record,
        dtm.FlowMonthly.objects.filter(office=office).first(),
    ]  # fmt: skip


from liman.dtm import models as _dtm_models  # noqa: E402

SCOPED_FACTORIES.update(
    {
        model: _dtm_world
        for model in (
            _dtm_models.Form,
            _dtm_models.FormVersion,
            _dtm_models.FormMedia,
            _dtm_models.FieldUser,
            _dtm_models.Submission,
            _dtm_models.SubmissionAttachment,
            _dtm_models.Operation,
            _dtm_models.Round,
            _dtm_models.Site,
            _dtm_models.SiteAssessment,
            _dtm_models.SitePopulationGroup,
            _dtm_models.SiteNeed,
            _dtm_models.FlowMonitoringPoint,
            _dtm_models.FlowCount,
            _dtm_models.FlowMonthly,
            _dtm_models.PresenceFigure,
            _dtm_models.InterceptionCount,
            _dtm_models.DatasetRecord,
        )
    }  # fmt: skip
)
SCOPED_FACTORIES.update(
    {model: _health_world for model in (HealthAssessment, MedicalClearance, FitToFlyCheck)}  # fmt: skip
)
SCOPED_FACTORIES.update(
    {
        model: _movements_world
        for model in (
            ResettlementCase,
            CaseMember,
            CaseStepPartner,
            SelectionMission,
            InterviewSlot,
            OrientationSession,
            OrientationAttendance,
            Visa,
            ExitPermission,
            PromissoryNote,
            SponsorshipAssurance,
            Flight,
            FlightLeg,
            Booking,
            FamilySplitApproval,
            ReunificationCase,
        )
    }  # fmt: skip
)


# --- registry: merged people ---------------------------------------------------------------------------------


def _merge_world(office: Office, marker: str) -> list:
    """Two registrations of one person in `office`, the second merged into the first."""
    from liman.registry import services as registry
    from liman.registry.merge import person_merge

    supervisor = staff(Role.SUPERVISOR, office, username=f"{marker.lower()}-merger")
    people = [
        registry.person_register(
            office=office,
            data=registry.PersonInput(
                first_name=f"{marker}twin", family_name=f"{marker}merged", sex="M", nationality="IRQ"
            ),
            by=None,
        )
        for _ in range(2)
    ]
    merge = person_merge(survivor=people[0], merged=people[1], by=supervisor, reason=f"{marker} duplicate")
    return [*people, merge]


from liman.registry.models import PersonMerge  # noqa: E402

SCOPED_FACTORIES[PersonMerge] = _merge_world


# --- dedup: possible duplicates --------------------------------------------------------------------------------


def _dedup_world(office: Office, marker: str) -> list:
    """Two registrations of one person in `office` as a pair waiting for review, a run, and the office's thresholds."""
    import datetime

    from liman.dedup.models import DedupRun, MatchPair, OfficeThresholds
    from liman.registry import services as registry

    people = [
        registry.person_register(
            office=office,
            data=registry.PersonInput(
                first_name=f"{marker}double",
                family_name=f"{marker}pair",
                sex="F",
                nationality="SYR",
                birth_date=datetime.date(1990, 1, 1),
            ),
            by=None,
        )
        for _ in range(2)
    ]
    supervisor = staff(Role.SUPERVISOR, office, username=f"{marker.lower()}-reviewer")
    run = DedupRun.objects.create(office=office, started_by=supervisor, message=f"{marker} run")
    pair = MatchPair.objects.create(
        person_l=people[0],
        person_r=people[1],
        match_probability=0.97,
        band="auto_link",
        model_version="test",
        run=run,
        reason=f"{marker} pair reason",
    )
    thresholds = OfficeThresholds.objects.create(office=office, auto_link=0.9, review=0.6)
    return [*people, pair, run, thresholds]


from liman.dedup import models as _dedup_models  # noqa: E402

SCOPED_FACTORIES.update(
    {model: _dedup_world for model in (_dedup_models.MatchPair, _dedup_models.DedupRun, _dedup_models.OfficeThresholds)}
)


# --- assistance: the stock ledger ----------------------------------------------------------------------------


def _assistance_world(office: Office, marker: str) -> list:
    """A warehouse and a van in `office` with every kind of movement: receipt, transfer (one received, one in
    transit), issue, count, and losses (one approved by a second person, one pending)."""
    import datetime

    from liman.assistance import services as stock
    from liman.assistance.models import Item, StockBalance

    keeper = staff(Role.WAREHOUSE, office, username=f"{marker.lower()}-warehouse")
    manager = staff(Role.SUPERVISOR, office, username=f"{marker.lower()}-stock-manager")
    kits, blankets = Item.objects.get(code="HYG-KIT"), Item.objects.get(code="BLANKET")
    warehouse = stock.location_create(office=office, name=f"{marker} warehouse", by=keeper)
    van = stock.location_create(
        office=office, name=f"{marker} van", kind="vehicle", vehicle_plate="35 CN 001", by=keeper
    )
    receipt = stock.stock_receive(
        location=warehouse, item=kits, quantity=50, project_code=f"{marker}-PRJ", lot_code=f"{marker}-LOT",
        expires_on=timezone.localdate() + datetime.timedelta(days=60), supplier=f"{marker} supplier", by=keeper,
    )  # fmt: skip
    stock.stock_receive(location=warehouse, item=blankets, quantity=30, project_code=f"{marker}-PRJ", by=keeper)
    received = stock.transfer_dispatch(
        from_location=warehouse, to_location=van, item=kits, lot=receipt.lot, quantity=10, note=f"{marker} load",
        by=keeper,
    )  # fmt: skip
    stock.transfer_receive(transfer=received, by=keeper)
    in_transit = stock.transfer_dispatch(
        from_location=warehouse, to_location=van, item=blankets, quantity=5, note=f"{marker} second load", by=keeper
    )
    stock.stock_issue(
        location=van, item=kits, lot=receipt.lot, quantity=3, purpose=f"{marker} incident at sea", by=None
    )
    count = stock.stock_count(
        location=warehouse, item=blankets, counted_quantity=24, note=f"{marker} count note", by=keeper
    )
    approved = stock.loss_report(
        location=warehouse, item=kits, lot=receipt.lot, quantity=2, reason_kind="damaged",
        reason=f"{marker} loss reason", by=keeper,
    )  # fmt: skip
    approved = stock.loss_approve(loss=approved, by=manager, note=f"{marker} approval")
    pending = stock.loss_report(
        location=warehouse, item=blankets, quantity=1, reason_kind="missing", reason=f"{marker} pending loss",
        by=keeper,
    )  # fmt: skip
    return [
        warehouse,
        van,
        *StockBalance.objects.filter(office=office),
        *warehouse.entries.all(),
        *van.entries.all(),
        received,
        in_transit,
        count,
        approved,
        pending,
    ]


from liman.assistance import models as _assistance_models  # noqa: E402

SCOPED_FACTORIES.update(
    {
        model: _assistance_world
        for model in (
            _assistance_models.StockLocation,
            _assistance_models.StockBalance,
            _assistance_models.LedgerEntry,
            _assistance_models.Transfer,
            _assistance_models.Loss,
            _assistance_models.StockCount,
        )
    }  # fmt: skip
)


def _incident_world(office: Office, marker: str) -> list:
    """A field incident of `office`'s mobile team with its people-met grid, services and items from its van."""
    import datetime

    from liman.assistance import services as stock
    from liman.assistance.models import Item

    keeper = staff(Role.WAREHOUSE, office, username=f"{marker.lower()}-van-keeper")
    crew = staff(Role.MOBILE_TEAM, office, username=f"{marker.lower()}-mobile-team")
    blankets = Item.objects.get(code="BLANKET")
    warehouse = stock.location_create(office=office, name=f"{marker} incident warehouse", by=keeper)
    van = stock.location_create(
        office=office, name=f"{marker} incident van", kind="vehicle", vehicle_plate="35 IN 001", by=keeper
    )
    stock.stock_receive(location=warehouse, item=blankets, quantity=20, project_code=f"{marker}-PRJ", by=keeper)
    load = stock.transfer_dispatch(from_location=warehouse, to_location=van, item=blankets, quantity=20, by=keeper)
    stock.transfer_receive(transfer=load, by=crew)
    incident = stock.incident_record(
        office=office, vehicle=van, occurred_at=timezone.now() - datetime.timedelta(days=2),
        district=AdminArea.objects.get(pcode="TUR035011"), terrain="sea", authority="coast_guard",
        how_met="rescue_at_sea", group_counts=[("f", "5_17", "AFG", 12), ("m", "18_59", "SYR", 14)],
        services_given={"first_aid": 3, "interpretation": 26}, items=[(blankets, 6)], unaccompanied_children=2,
        referred_to_health=1, referral_note=f"{marker} referral note", note=f"{marker} incident note", by=crew,
    )  # fmt: skip
    return [incident, *incident.group_counts.all(), *incident.services_given.all()]


SCOPED_FACTORIES.update(
    {
        model: _incident_world
        for model in (
            _assistance_models.FieldIncident,
            _assistance_models.IncidentGroupCount,
            _assistance_models.IncidentServiceGiven,
        )
    }  # fmt: skip
)


def _distribution_world(office: Office, marker: str) -> list:
    """A distribution of `office`: two households entitled, the goods at the site, one household served."""
    from liman.assistance import services as stock
    from liman.assistance.models import Item
    from liman.registry import services as registry

    keeper = staff(Role.WAREHOUSE, office, username=f"{marker.lower()}-dist-keeper")
    distributor = staff(Role.DISTRIBUTION, office, username=f"{marker.lower()}-distribution")
    blankets = Item.objects.get(code="BLANKET")
    warehouse = stock.location_create(office=office, name=f"{marker} distribution warehouse", by=keeper)
    site = stock.location_create(office=office, name=f"{marker} distribution site", kind="site", by=keeper)
    stock.stock_receive(location=warehouse, item=blankets, quantity=20, project_code=f"{marker}-PRJ", by=keeper)
    homes = []
    for n in range(2):
        head = registry.person_register(
            office=office,
            data=registry.PersonInput(first_name=f"{marker}head{n}", family_name="Hane", sex="F", nationality="SYR"),
            by=None,
        )
        homes.append(registry.household_create(office=office, head=head, by=None))
    today = timezone.localdate()
    plan = stock.distribution_plan_create(
        office=office, name=f"{marker} distribution", project_code=f"{marker}-PRJ", warehouse=warehouse, site=site,
        starts_on=today, ends_on=today, items=[(blankets, 1, None, 2)], by=distributor,
    )  # fmt: skip
    stock.distribution_select(plan=plan, households=homes, selection=f"{marker} selection", by=distributor)
    for transfer in stock.distribution_open(plan=plan, by=keeper):
        stock.transfer_receive(transfer=transfer, by=distributor)
    served = plan.entitlements.get(household=homes[0])
    stock.distribution_receive(entitlement=served, received_by_name=f"{marker} collector", by=distributor)
    entitlements = list(plan.entitlements.all())
    return [plan, *plan.plan_items.all(), *entitlements, *(line for e in entitlements for line in e.lines.all())]


SCOPED_FACTORIES.update(
    {
        model: _distribution_world
        for model in (
            _assistance_models.DistributionPlan,
            _assistance_models.PlanItem,
            _assistance_models.Entitlement,
            _assistance_models.EntitlementLine,
        )
    }  # fmt: skip
)


def _cash_world(office: Office, marker: str) -> list:
    """A cash programme of `office` with a targeting run, enrolments, and a cycle approved by a second person, sent
    and partly reconciled."""
    import datetime

    from liman.cash import services as cash
    from liman.cash.choices import PaymentStatus
    from liman.registry import services as registry

    officer = staff(Role.PROGRAMME_OFFICER, office, username=f"{marker.lower()}-cash-officer")
    approver = staff(Role.CASH_APPROVER, office, username=f"{marker.lower()}-cash-approver")
    for n in range(2):
        head = registry.person_register(
            office=office,
            data=registry.PersonInput(
                first_name=f"{marker}payee{n}", family_name=f"{marker}Cash{n}", sex="F", nationality="SYR",
                birth_date=datetime.date(1980 + 7 * n, 1, 1), legal_status="temporary_protection",
                legal_status_since=datetime.date(2020, 1, 1),
            ),
            by=None,
        )  # fmt: skip
        registry.household_create(office=office, head=head, by=None)
        registry.consent_record(person=head, purpose="sharing_payment_provider", legal_basis="consent", by=None)
    programme = cash.programme_create(
        code=f"{marker}-MPC", name=f"{marker} cash", offices=[office], eligibility="legal_status_current",
        transfer_value="13000", by=officer,
    )  # fmt: skip
    run = cash.targeting_run(programme=programme, office=office, by=officer)
    cash.enrol(run=run, by=officer)
    cycle = cash.cycle_create(programme=programme, office=office, provider="generic_csv", by=officer)
    cash.cycle_verify(cycle=cycle, by=officer)
    cash.cycle_approve(cycle=cycle, by=approver)
    cash.cycle_export(cycle=cycle, by=officer)
    first = cycle.payments.filter(status=PaymentStatus.LISTED).select_related("household").first()
    cash.reconcile_rows(
        cycle=cycle,
        rows=[{"reference": first.household.reference, "amount": "13000.00", "status": PaymentStatus.PAID,
               "date": "2026-12-01", "transaction_id": f"{marker}-TX"}],
        by=officer,
    )  # fmt: skip
    from liman.cash.pdm import pdm_sample_draw

    sample = pdm_sample_draw(cycle=cycle, size=1, seed=1, by=officer)
    return [
        programme,
        *programme.rule_versions.all(),
        run,
        *run.results.all(),
        *programme.enrolments.all(),
        cycle,
        *cycle.payments.all(),
        sample,
        *sample.visits.all(),
    ]


def _feedback_world(office: Office, marker: str) -> list:
    """Feedback of `office`: a complaint answered and closed, an anonymous note, and a protected-channel complaint
    naming a staff member, followed up by a PSEA focal point."""
    from liman.feedback import services as feedback
    from liman.registry import services as registry

    desk = staff(Role.CASEWORKER, office, username=f"{marker.lower()}-feedback-desk")
    handler = staff(Role.SUPERVISOR, office, username=f"{marker.lower()}-feedback-handler")
    focal = staff(Role.PSEA_FOCAL_POINT, office, username=f"{marker.lower()}-psea")
    person = registry.person_register(
        office=office,
        data=registry.PersonInput(first_name=f"{marker}caller", family_name="Arayan", sex="F", nationality="SYR"),
        by=None,
    )
    answered = feedback.feedback_record(
        office=office, channel="hotline", category="payment", summary=f"{marker} payment complaint", person=person,
        contact=f"{marker} contact", by=desk,
    )  # fmt: skip
    feedback.feedback_triage(feedback=answered, priority="high", by=handler)
    feedback.feedback_assign(feedback=answered, to=handler, by=handler)
    feedback.feedback_resolve(feedback=answered, resolution=f"{marker} resolution", by=handler)
    feedback.feedback_respond(feedback=answered, response=f"{marker} response", by=handler)
    feedback.feedback_close(feedback=answered, by=handler)
    anonymous = feedback.feedback_record(
        office=office, channel="box", category="quality", summary=f"{marker} anonymous note", anonymous=True, by=desk
    )
    protected = feedback.feedback_record(
        office=office, channel="desk", category="sea", summary=f"{marker} protected complaint", person=person,
        about_staff=desk, by=desk,
    )  # fmt: skip
    feedback.feedback_triage(feedback=protected, priority="urgent", by=focal)
    feedback.feedback_assign(feedback=protected, to=focal, by=focal)
    return [answered, anonymous, protected]


from liman.feedback import models as _feedback_models  # noqa: E402

SCOPED_FACTORIES[_feedback_models.Feedback] = _feedback_world


# --- messaging: how to reach a person, and messages in every state ------------------------------------------


def _messaging_world(office: Office, marker: str) -> list:
    """Two people of `office` who agreed to be contacted (one of them protection-tier), with messages in every
    state: queued, not sent (cancelled), sent, delivered, failed; the texts and reasons carry `marker`."""
    import datetime
    import uuid
    from pathlib import Path

    from django.conf import settings

    from liman.core.messages import Recipient
    from liman.messaging import services as messaging
    from liman.messaging.backends import DeliveryReport, get_backend
    from liman.messaging.models import Message
    from liman.messaging.sender import send_pending
    from liman.registry import services as registry

    def contactable(first_name: str, phone: str):
        person = registry.person_register(
            office=office,
            data=registry.PersonInput(
                first_name=first_name, family_name=f"{marker}Mesaj", sex="F", nationality="SYR", phone=phone
            ),
            by=None,
        )
        messaging.contact_preference_save(
            person=person, by=None, language="ar", consent_on=timezone.localdate(), consent_how="in_person"
        )
        return person

    person = contactable(f"{marker}reader", "+905321110001")
    protected = contactable(f"{marker}survivor", "+905321110002")
    protected = registry.person_update(person=protected, changes={"sensitivity": "protection"}, by=None)
    today = timezone.localdate()
    recipients = [
        Recipient(person, {"date": today, "place": f"{marker} clinic {number}"}, key=f"{marker}-{number}")
        for number in range(5)
    ] + [Recipient(protected, {"date": today, "place": f"{marker} shelter"}, key=f"{marker}-protected")]
    outcome = messaging.messages_queue(
        kind="health_assessment_appointment", recipients=recipients, by=None, source=f"{marker} round"
    )
    queued, cancelled, delivered, failed, *_sent = Message.objects.filter(pk__in=outcome.message_ids).order_by("pk")
    messaging.message_cancel(message=cancelled, by=None, reason=f"{marker} cancel reason")
    Message.objects.filter(pk=queued.pk).update(next_attempt_at=timezone.now() + datetime.timedelta(days=1))
    # The development backend, writing under the tests' throwaway media folder (never var/).
    outbox = Path(settings.MEDIA_ROOT) / f"outbox-{uuid.uuid4().hex}.jsonl"
    send_pending(backend=get_backend("file", {"path": str(outbox)}), concurrency=1)
    for report in (
        DeliveryReport(reference=delivered.idempotency_key, delivered=True),
        DeliveryReport(reference=failed.idempotency_key, error=f"{marker} absent subscriber"),
    ):
        messaging.delivery_report_apply(backend="file", report=report)
    return [
        person,
        protected,
        person.contact_preference,
        protected.contact_preference,
        *Message.objects.filter(pk__in=outcome.message_ids).order_by("pk"),
    ]


from liman.messaging import models as _messaging_models  # noqa: E402

SCOPED_FACTORIES.update(
    {model: _messaging_world for model in (_messaging_models.ContactPreference, _messaging_models.Message)}
)


from liman.cash import models as _cash_models  # noqa: E402

SCOPED_FACTORIES.update(
    {
        model: _cash_world
        for model in (
            _cash_models.CashProgramme,
            _cash_models.RuleVersion,
            _cash_models.TargetingRun,
            _cash_models.TargetingResult,
            _cash_models.Enrolment,
            _cash_models.PaymentCycle,
            _cash_models.Payment,
            _cash_models.PdmSample,
            _cash_models.PdmVisit,
        )
    }  # fmt: skip
)


# --- consignments: cross-border consignments ----------------------------------------------------------------


def _consignments_world(office: Office, marker: str) -> list:
    """A consignment from a hub of `office` to a partner organisation, taken through every step: two trucks (one held,
    then cleared), the handover with a transit loss, a staged XLSX report upload and the partner's report."""
    import io

    import openpyxl

    from liman.assistance import services as stock
    from liman.assistance.models import Item
    from liman.cases import services as cases
    from liman.consignments import services as consignments
    from liman.consignments.models import TruckLine

    keeper = staff(Role.WAREHOUSE, office, username=f"{marker.lower()}-hub-keeper")
    monitor = staff(Role.PROGRAMME_OFFICER, office, username=f"{marker.lower()}-monitor")
    reporter = staff(Role.PARTNER, office, username=f"{marker.lower()}-xb-partner")
    partner = cases.partner_organisation_create(name=f"{marker} Cross-border Partner", kind="ngo", by=None)
    cases.partner_member_add(organisation=partner, user=reporter, by=None)
    tents, tarps = Item.objects.get(code="TENT"), Item.objects.get(code="TARP")
    hub = stock.location_create(office=office, name=f"{marker} cross-border hub", by=keeper)
    stock.stock_receive(location=hub, item=tents, quantity=100, project_code=f"{marker}-PRJ", by=keeper)
    stock.stock_receive(location=hub, item=tarps, quantity=100, project_code=f"{marker}-PRJ", by=keeper)
    consignment = consignments.consignment_plan(
        hub=hub, partner=partner, crossing="cilvegozu", destination=f"{marker} partner warehouse",
        planned_on=timezone.localdate(), project_code=f"{marker}-PRJ", note=f"{marker} consignment note", by=keeper,
    )  # fmt: skip
    trucks = [
        consignments.truck_add(
            consignment=consignment,
            plate=f"31 CN {number}01",
            driver_name=f"{marker} driver {number}",
            seal_numbers=f"{marker}-SEAL-{number}",
            lines=[consignments.LoadLine(item, 20)],
            by=keeper,
        )
        for number, item in ((1, tents), (2, tarps))
    ]
    consignments.consignment_loaded(consignment=consignment, by=keeper)
    consignments.consignment_dispatch(consignment=consignment, by=keeper)
    held = consignments.crossing_check(
        truck=trucks[0], seals_intact=False, outcome="held", reason=f"{marker} held reason", by=monitor
    )
    checks = [held]
    for truck in trucks:
        checks.append(
            consignments.crossing_check(
                truck=truck, seals_intact=True, outcome="cleared", reason=f"{marker} check note", by=monitor
            )
        )
    lines = list(TruckLine.objects.filter(truck__consignment=consignment).order_by("pk"))
    handover = consignments.handover_record(
        consignment=consignment,
        received=[
            consignments.Received(lines[0], 18, "stolen", f"{marker} loss reason"),
            consignments.Received(lines[1], 20),
        ],
        received_by_name=f"{marker} receiver", place=f"{marker} handover place", note=f"{marker} handover note",
        by=monitor,
    )  # fmt: skip
    workbook = openpyxl.Workbook()
    workbook.active.append(["subdistrict_pcode", "subdistrict_name", "households", "people", "female_18_59", "tent"])
    workbook.active.append(["SY070301", f"{marker} Dana", 5, 9, 9, 5])
    content = io.BytesIO()
    workbook.save(content)
    upload = consignments.report_upload_stage(
        consignment=consignment, file=content, file_name=f"{marker}-report.xlsx", by=reporter
    )
    report = consignments.report_submit(
        consignment=consignment,
        lines=[
            consignments.ReportLineInput(
                subdistrict_name=f"{marker} Salqin",
                subdistrict_pcode="SY070303",
                households=4,
                people=10,
                sadd={("f", "5_17"): 6, ("m", "60"): 4},
                items={"TENT": 10, "TARP": 20},
            )
        ],
        note=f"{marker} report note",
        by=reporter,
    )
    report_lines = list(report.lines.all())
    return [
        consignment,
        *trucks,
        *lines,
        *checks,
        handover,
        *handover.lines.all(),
        *(line.loss for line in handover.lines.all() if hasattr(line, "loss")),
        report,
        *report_lines,
        *(row for line in report_lines for row in line.people_counts.all()),
        *(row for line in report_lines for row in line.items.all()),
        upload,
    ]


from liman.consignments import models as _consignment_models  # noqa: E402

SCOPED_FACTORIES.update(
    {
        model: _consignments_world
        for model in (
            _consignment_models.Consignment,
            _consignment_models.Truck,
            _consignment_models.TruckLine,
            _consignment_models.CrossingCheck,
            _consignment_models.Handover,
            _consignment_models.HandoverLine,
            _consignment_models.TransitLoss,
            _consignment_models.DistributionReport,
            _consignment_models.ReportLine,
            _consignment_models.ReportPeople,
            _consignment_models.ReportItem,
            _consignment_models.ReportUpload,
        )
    }  # fmt: skip
)


# --- activities: a training with its sessions, attendance and a certificate; an MHPSS group (protection tier) ----


def _activities_world(office: Office, marker: str) -> list:
    """A training of `office` with a registered and a light participant, a session attended and a certificate; an
    MHPSS group whose participants and attendance are protection-tier; equipment handed over with the training."""
    from liman.activities import services as activities
    from liman.registry import services as registry

    officer = staff(Role.PROGRAMME_OFFICER, office, username=f"{marker.lower()}-activities")
    counsellor = staff(Role.CASEWORKER, office, username=f"{marker.lower()}-mhpss")
    today = timezone.localdate()
    person = registry.person_register(
        office=office,
        data=registry.PersonInput(first_name=f"{marker}trainee", family_name="Kursiyer", sex="F", nationality="SYR"),
        by=None,
    )
    training = activities.activity_create(
        office=office, type="training", title=f"{marker} tailoring course", starts_on=today, ends_on=today,
        venue=f"{marker} venue", facilitators=f"{marker} facilitator", by=officer,
    )  # fmt: skip
    registered = activities.participant_add_person(activity=training, person=person, by=officer)
    official = activities.participant_add_light(
        activity=training, name=f"{marker} Official", sex="M", age_group="18_59", population_group="host_community",
        institution="coast_guard", organisation=f"{marker} Coast Guard", position=f"{marker} sergeant", by=officer,
    )  # fmt: skip
    session = activities.session_add(activity=training, held_on=today, topic=f"{marker} topic", by=officer)
    activities.attendance_take(session=session, present={registered.pk, official.pk}, by=officer)
    registered = activities.certificate_issue(participant=registered, by=officer)
    group = activities.activity_create(
        office=office, type="mhpss_group", title=f"{marker} support group", starts_on=today, ends_on=today,
        by=counsellor,
    )  # fmt: skip
    survivor = activities.participant_add_light(
        activity=group, name=f"{marker} Survivor", sex="F", age_group="18_59", population_group="syrian_tp",
        organisation=f"{marker} shelter", by=counsellor,
    )  # fmt: skip
    group_session = activities.session_add(activity=group, held_on=today, topic=f"{marker} group topic", by=counsellor)
    activities.attendance_take(session=group_session, present={survivor.pk}, by=counsellor)
    handover = activities.equipment_handover_record(
        office=office, institution="coast_guard", unit=f"{marker} station", item=f"{marker} blankets", quantity=5,
        donor_project=f"{marker}-PROJECT", handed_over_on=today, activity=training, by=officer,
    )  # fmt: skip
    return [
        person,
        training,
        group,
        session,
        group_session,
        registered,
        official,
        survivor,
        *session.attendance.all(),
        *group_session.attendance.all(),
        handover,
        *_activity_models.PersonReach.objects.filter(office=office),
        *_activity_models.ReachCount.objects.filter(office=office),
    ]


from liman.activities import models as _activity_models  # noqa: E402

SCOPED_FACTORIES.update(
    {
        model: _activities_world
        for model in (
            _activity_models.Activity,
            _activity_models.Session,
            _activity_models.Participant,
            _activity_models.Attendance,
            _activity_models.EquipmentHandover,
            _activity_models.PersonReach,
            _activity_models.ReachCount,
        )
    }  # fmt: skip
)


# --- livelihoods: a small-business grant from the call to a paid tranche and a monitoring visit ------------------


def _livelihoods_world(office: Office, marker: str) -> list:
    """A call of `office` with criteria and a panel; an application scored (one member declared a conflict on a
    second one), approved by someone who did not prepare it, under agreement with a tranche paid and a visit."""
    import datetime
    from decimal import Decimal

    from liman.livelihoods import services as grants
    from liman.livelihoods.rules import vkn_with_checksum

    officer = staff(Role.PROGRAMME_OFFICER, office, username=f"{marker.lower()}-grants")
    member = staff(Role.SUPERVISOR, office, username=f"{marker.lower()}-panel")
    other = staff(Role.CASEWORKER, office, username=f"{marker.lower()}-panel2")
    approver = staff(Role.CASH_APPROVER, office, username=f"{marker.lower()}-committee")
    today = timezone.localdate()
    call = grants.call_open(
        office=office, title=f"{marker} grants call", opens_on=today - datetime.timedelta(days=30), closes_on=today,
        max_amount=Decimal(100000), donor_project=f"{marker}-DONOR", by=officer,
    )  # fmt: skip
    criteria = [grants.criterion_add(call=call, name=f"{marker} viability", weight=60, by=officer),
                grants.criterion_add(call=call, name=f"{marker} jobs", weight=40, by=officer)]  # fmt: skip
    panel = [grants.panel_add(call=call, member=user, by=officer) for user in (member, other)]

    def apply(name):
        return grants.application_submit(
            call=call, by=officer,
            data=grants.ApplicationInput(
                business_name=f"{marker} {name}", sector="trade", registration="formal", owner_name=f"{marker} Owner",
                owner_sex="F", owner_nationality="SYR", tax_kind="vkn", tax_number=vkn_with_checksum("123456789"),
                requested_amount=Decimal(50000), employees={"syrian_f": 2}, plan=f"{marker} business plan",
            ),
        )  # fmt: skip

    funded, waiting = apply("bakery"), apply("tailor")
    for application in (funded, waiting):
        grants.application_to_panel(application=application, by=officer)
    conflict = grants.conflict_declare(application=waiting, member=other, note=f"{marker} cousin")
    for user in (member, other):
        grants.scores_record(application=funded, member=user, values={c.pk: 7 for c in criteria})
    grants.scoring_close(application=funded, by=officer)
    grants.application_approve(application=funded, by=approver)
    funded.refresh_from_db()
    agreement = grants.agreement_sign(
        application=funded, amount=Decimal(50000), signed_on=today, by=officer,
        tranches=[(Decimal(30000), f"{marker} equipment"), (Decimal(20000), f"{marker} workers hired")],
    )  # fmt: skip
    first = agreement.tranches.get(number=1)
    grants.tranche_milestone_met(tranche=first, evidence=f"{marker} invoices", met_on=today, by=officer)
    grants.tranche_pay(tranche=first, paid_on=today, payment_reference=f"{marker}-EFT", by=approver)
    visit = grants.visit_record(agreement=agreement, visited_on=today, jobs_created=2, jobs_retained=3,
                                note=f"{marker} visit note", by=officer)  # fmt: skip
    return [call, *criteria, *panel, funded, waiting, conflict, *funded.scores.all(), agreement,
            *agreement.tranches.all(), visit]  # fmt: skip


from liman.livelihoods import models as _livelihood_models  # noqa: E402

SCOPED_FACTORIES.update(
    {
        model: _livelihoods_world
        for model in (
            _livelihood_models.GrantCall,
            _livelihood_models.Criterion,
            _livelihood_models.PanelMember,
            _livelihood_models.GrantApplication,
            _livelihood_models.ConflictDeclaration,
            _livelihood_models.Score,
            _livelihood_models.GrantAgreement,
            _livelihood_models.Tranche,
            _livelihood_models.MonitoringVisit,
        )
    }  # fmt: skip
)


# --- reporting: a project with its results framework, and a submitted 4W month ------------------------------


def _reporting_world(office: Office, marker: str) -> list:
    """A project of `office` (outcome → output → indicators computed and entered by hand, targets), and the office's
    4W of the last complete month submitted, with a row from a border incident."""
    import datetime

    from liman.assistance import services as stock
    from liman.reporting import fourw
    from liman.reporting import services as reporting
    from liman.reporting.models import Donor, ThreeRPMapping

    officer = staff(Role.REPORTING_OFFICER, office, username=f"{marker.lower()}-reporting")
    crew = staff(Role.MOBILE_TEAM, office, username=f"{marker.lower()}-reporting-crew")
    ThreeRPMapping.objects.get_or_create(
        measure_key="assistance.people_met_border",
        defaults={"sector": "Protection", "indicator_code": "PRT-1.4", "indicator": "People met at the border",
                  "activity": "Mobile teams at the border"},
    )  # fmt: skip
    donor, _created = Donor.objects.get_or_create(code="EU", defaults={"name": "European Union"})
    year = timezone.localdate().year
    project = reporting.project_create(
        by=officer, offices=[office], grant_code=f"{marker}-GRANT", title=f"{marker} project", donor=donor,
        starts_on=datetime.date(year, 1, 1), ends_on=datetime.date(year, 12, 31), budget=100000, currency="EUR",
        sectors=["Protection"],
    )  # fmt: skip
    outcome = reporting.outcome_add(project=project, code="OC1", title=f"{marker} outcome", by=officer)
    output = reporting.output_add(outcome=outcome, code="OP1", title=f"{marker} output", by=officer)
    computed = reporting.indicator_add(
        output=output, code="IND1", title=f"{marker} people met", by=officer,
        measure_key="assistance.people_met_border", targets=[(project.starts_on, project.ends_on, 100)],
    )  # fmt: skip
    manual = reporting.indicator_add(
        output=output, code="IND2", title=f"{marker} trained", kind="manual", unit="people", by=officer,
        targets=[(project.starts_on, project.ends_on, 5)],
    )  # fmt: skip
    value = reporting.manual_value_enter(indicator=manual, starts_on=project.starts_on, ends_on=project.starts_on,
                                         value=2, evidence=f"{marker} attendance", by=officer)  # fmt: skip
    month = fourw.previous_month(timezone.localdate().replace(day=1))
    stock.incident_record(
        office=office, by=crew, occurred_at=timezone.make_aware(datetime.datetime(month.year, month.month, 5, 10)),
        district=AdminArea.objects.get(pcode="TUR035011"), terrain="sea", authority="coast_guard",
        how_met="rescue_at_sea", group_counts=[("f", "18_59", "AFG", 12)],
    )  # fmt: skip
    submission = reporting.fourw_submit(month=month, office=office, by=officer, note=f"{marker} submitted")
    return [project, outcome, output, computed, manual, *computed.targets.all(), *manual.targets.all(), value,
            submission, *submission.rows.all()]  # fmt: skip


from liman.reporting import models as _reporting_models  # noqa: E402

SCOPED_FACTORIES.update(
    {
        model: _reporting_world
        for model in (
            _reporting_models.Project,
            _reporting_models.Outcome,
            _reporting_models.Output,
            _reporting_models.Indicator,
            _reporting_models.IndicatorTarget,
            _reporting_models.ManualValue,
            _reporting_models.FourWSubmission,
            _reporting_models.FourWRow,
        )
    }  # fmt: skip
)


def _reporting_tags_world(office: Office, marker: str) -> list:
    """A project of `office` that is the default of each of its programmes, a training tagged with it when created,
    and a donor report with a story, issued."""
    import datetime

    from liman.activities import services as activities
    from liman.reporting import services as reporting
    from liman.reporting.models import Donor

    officer = staff(Role.REPORTING_OFFICER, office, username=f"{marker.lower()}-reporting-tags")
    trainer = staff(Role.PROGRAMME_OFFICER, office, username=f"{marker.lower()}-reporting-trainer")
    donor, _created = Donor.objects.get_or_create(code="EU", defaults={"name": "European Union"})
    year = timezone.localdate().year
    project = reporting.project_create(
        by=officer, offices=[office], grant_code=f"{marker}-TAGS", title=f"{marker} tagged project", donor=donor,
        starts_on=datetime.date(year, 1, 1), ends_on=datetime.date(year, 12, 31), budget=1000, currency="EUR",
    )  # fmt: skip
    defaults = [reporting.project_default_set(office=office, programme=programme, project=project, by=officer)
                for programme in Programme.objects.all()]  # fmt: skip
    today = timezone.localdate()
    training = activities.activity_create(office=office, type="training", title=f"{marker} tagged course",
                                          starts_on=today, ends_on=today, by=trainer)  # fmt: skip
    report = reporting.donor_report_create(project=project, by=officer, title=f"{marker} report",
                                           starts_on=project.starts_on, ends_on=project.ends_on,
                                           summary=f"{marker} summary")  # fmt: skip
    story = reporting.story_add(report=report, by=officer, title=f"{marker} story", text=f"{marker} story text",
                                consent=True)  # fmt: skip
    issue = reporting.donor_report_issue(report=report, by=officer)
    return [*defaults, *project.tags.filter(object_id=training.pk), report, story, issue]


SCOPED_FACTORIES.update(
    {
        model: _reporting_tags_world
        for model in (
            _reporting_models.ProjectDefault,
            _reporting_models.ProjectTag,
            _reporting_models.DonorReport,
            _reporting_models.BeneficiaryStory,
            _reporting_models.DonorReportIssue,
        )
    }  # fmt: skip
)


def _employment_world(office: Office, marker: str) -> list:
    """A job seeker of `office` referred, placed (with follow-ups) and supported with a work permit; a second, whose
    person is protection-tier, with a profile and a referral."""
    import datetime
    from decimal import Decimal

    from liman.livelihoods import employment
    from liman.registry import services as registry

    officer = staff(Role.PROGRAMME_OFFICER, office, username=f"{marker.lower()}-employment")
    today = timezone.localdate()

    def register(first_name: str):
        return registry.person_register(
            office=office,
            data=registry.PersonInput(first_name=first_name, family_name="İşçi", sex="M", nationality="SYR",
                                      legal_status="temporary_protection",
                                      legal_status_since=today - datetime.timedelta(days=400)),
            by=None,
        )  # fmt: skip

    worker, survivor = register(f"{marker}worker"), register(f"{marker}survivor")
    survivor = registry.person_update(person=survivor, changes={"sensitivity": "protection"}, by=None)
    employer = employment.employer_add(
        office=office, name=f"{marker} Tekstil", province=office.province, sector="manufacturing",
        tax_number="1234567890", turkish_employees=40, by=officer,
    )  # fmt: skip
    seeker = employment.job_seeker_register(person=worker, skills=f"{marker} sewing", languages="ar, tr", by=officer)
    other = employment.job_seeker_register(person=survivor, skills=f"{marker} cooking", by=officer)
    vacancy = employment.vacancy_open(employer=employer, title=f"{marker} machinist", monthly_wage=Decimal(30000),
                                      by=officer)  # fmt: skip
    referral = employment.refer(seeker=seeker, vacancy=vacancy, by=officer)
    other_referral = employment.refer(seeker=other, vacancy=vacancy, by=officer)
    placement = employment.place(referral=referral, started_on=today, monthly_wage=Decimal(30000), by=officer)
    permit = employment.permit_prepare(person=worker, employer=employer, placement=placement,
                                       monthly_wage=Decimal(30000), by=officer)  # fmt: skip
    employment.permit_submit(permit=permit, submitted_on=today, by=officer)
    return [worker, survivor, employer, seeker, other, vacancy, referral, other_referral, placement,
            *placement.follow_ups.all(), permit]  # fmt: skip


SCOPED_FACTORIES.update(
    {
        model: _employment_world
        for model in (
            _livelihood_models.Employer,
            _livelihood_models.JobSeeker,
            _livelihood_models.Vacancy,
            _livelihood_models.Referral,
            _livelihood_models.Placement,
            _livelihood_models.PlacementFollowUp,
            _livelihood_models.WorkPermitApplication,
        )
    }  # fmt: skip
)


# --- privacy: a legal hold on a closed case ------------------------------------------------------------------


def _privacy_world(office: Office, marker: str) -> list:
    """A legal hold, placed and current, on a case of `office`; its reason carries `marker`."""
    from liman.cases import services as cases
    from liman.privacy import services as privacy
    from liman.registry import services as registry

    person = registry.person_register(
        office=office,
        data=registry.PersonInput(first_name=f"{marker}held", family_name="Tutulan", sex="M", nationality="IRQ"),
        by=None,
    )
    case = cases.case_open(person=person, type="protection", by=None)
    admin = staff(Role.ADMINISTRATOR, office, username=f"{marker.lower()}-privacy-admin")
    hold = privacy.hold_place(kind="cases.closed_case", reference=case.reference, reason=f"{marker} hold", by=admin)
    breach = privacy.breach_record(
        office=office, by=admin, found_on=timezone.localdate(), what_happened=f"{marker} breach",
        data_affected=f"{marker} data affected", people_affected=3,
    )  # fmt: skip
    caseworker = staff(Role.CASEWORKER, office, username=f"{marker.lower()}-privacy-caseworker")
    request = privacy.subject_request_log(person=person, kind="access", by=caseworker, details=f"{marker} asks")
    signed = agreement(None, office=office, authority=f"{marker} Provincial Directorate", title=f"{marker} agreement",
                       focal_points=f"{marker} focal point")  # fmt: skip
    return [hold, breach, request, signed]


def agreement(partner=None, *, office=None, purposes=None, categories=None, days_left: int = 365, **fields):
    """A current data-sharing agreement with `partner` (signed by `office`, or for every office when None),
    covering every purpose and every category of data unless told: what referrals to a partner need."""
    from datetime import timedelta

    from liman.privacy import services as privacy
    from liman.privacy.choices import DataCategory, SharingBasis
    from liman.registry.choices import ConsentPurpose

    today = timezone.localdate()
    values = {"title": "Referral coordination", "focal_points": "Protection officer; partner coordinator"} | fields
    return privacy.agreement_record(
        by=None, partner=partner, office=office, purposes=purposes or list(ConsentPurpose.values),
        categories=categories or list(DataCategory.values), legal_basis=SharingBasis.CONSENT,
        starts_on=today - timedelta(days=30), ends_on=today + timedelta(days=days_left), **values,
    )  # fmt: skip


from liman.privacy import models as _privacy_models  # noqa: E402

SCOPED_FACTORIES[_privacy_models.LegalHold] = _privacy_world
SCOPED_FACTORIES[_privacy_models.Breach] = _privacy_world
SCOPED_FACTORIES[_privacy_models.SharingAgreement] = _privacy_world
SCOPED_FACTORIES[_privacy_models.SubjectRequest] = _privacy_world
