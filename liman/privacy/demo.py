"""Demo data of data protection: a few schedules (off: the demo keeps its records), one legal hold, the sharing
agreements with the demo partners, and people's requests about their data in Istanbul (for the caseworkers' list
and the focal point's register)."""

import random
from datetime import timedelta

from liman.core import retention


def seed_privacy(rng: random.Random, seed: int) -> None:
    from liman.cases.models import Case

    from .models import LegalHold, RetentionSchedule

    for key, days in (("cases.closed_case", 365 * 5), ("core.staged_import", 90), ("feedback.feedback", 365 * 2)):
        kind = retention.KINDS.get(key) if retention.kinds() else None
        if kind is not None:
            RetentionSchedule.objects.get_or_create(kind=key, defaults={"days": days, "action": kind.default_action})
    case = Case.objects.select_related("office").order_by("pk").first()
    if case is not None and not LegalHold.objects.filter(kind="cases.closed_case", object_id=str(case.pk)).exists():
        from liman.core.choices import Role
        from liman.core.demo import demo_username
        from liman.core.models import User
        from liman.core.services import record_create

        admin = User.objects.filter(username=demo_username(Role.ADMINISTRATOR, case.office.code)).first()
        record_create(
            LegalHold(
                office_id=case.office_id,
                kind="cases.closed_case",
                object_id=str(case.pk),
                reference=case.reference,
                reason="Investigation by the prosecutor's office (demo)",
                placed_by=admin,
            ),
            by=admin,
            reason="Legal hold placed",
        )
    seed_subject_requests()


#: Istanbul's requests: (kind, days since received, what the person asks, where it stands). The deadline is
#: `LIMAN_SUBJECT_REQUEST_DAYS` (30) after receipt: the objection is past it.
SUBJECT_REQUESTS = (
    ("access", 6, "Asks for a copy of everything the mission holds about her, to show her lawyer.", "in_progress"),
    ("correction", 12, "Her father's name is written wrongly on her record and on her assistance card.", "corrected"),
    ("objection", 41, "Objects to her details being used for research and statistics.", "received"),
    ("access", 58, "Asked what is held about him before moving to another province.", "closed"),
)


def seed_subject_requests() -> None:
    """A few requests of Istanbul's people about their data, logged and answered by the office's caseworker through
    the services: an access request in progress, a correction answered by correcting the record, an objection past
    its deadline, and an access request answered and closed. Runs once."""
    from django.utils import timezone

    from liman.core.choices import Role, Sensitivity
    from liman.core.demo import demo_username
    from liman.core.models import User
    from liman.registry.models import Person

    from .choices import RequestStatus
    from .models import SubjectRequest
    from .services import subject_request_correct, subject_request_log, subject_request_step

    caseworker = User.objects.filter(username=demo_username(Role.CASEWORKER, "IST")).first()
    if caseworker is None or SubjectRequest.objects.exists():
        return
    today = timezone.localdate()
    adults = Person.objects.filter(
        office__code="IST", sensitivity=Sensitivity.NORMAL, birth_date__lte=today - timedelta(days=365 * 25)
    )
    women = list(adults.filter(sex="F").order_by("pk")[:3])
    men = list(adults.filter(sex="M").order_by("pk")[:1])
    if len(women) < 3 or not men:
        return
    for (kind, days, details, outcome), person in zip(SUBJECT_REQUESTS, [*women, *men], strict=True):
        request = subject_request_log(
            person=person, kind=kind, by=caseworker, details=details, received_on=today - timedelta(days=days)
        )
        if outcome == "in_progress":
            subject_request_step(request=request, to_state=RequestStatus.IN_PROGRESS, by=caseworker)
        elif outcome == "corrected":
            father = "Abdulkarim" if person.father_name != "Abdulkarim" else "Abdulkader"
            subject_request_correct(request=request, changes={"father_name": father}, by=caseworker)
        elif outcome == "closed":
            subject_request_step(
                request=request, to_state=RequestStatus.ANSWERED, by=caseworker,
                answer="The export was printed and handed to him at the Istanbul office; he had no correction.",
            )  # fmt: skip
            subject_request_step(request=request, to_state=RequestStatus.CLOSED, by=caseworker)


def seed_agreements(rng: random.Random, seed: int) -> None:
    """Before the cases' seeder: each demo partner organisation, and a current agreement of every office with it
    covering the referrals the demo sends (one of them ends within 30 days, to show the warning)."""
    from datetime import timedelta

    from django.utils import timezone

    from liman.cases import services as cases
    from liman.cases.demo import PARTNERS
    from liman.cases.models import PartnerOrganisation
    from liman.registry.choices import ConsentPurpose

    from .choices import DataCategory, SharingBasis
    from .models import SharingAgreement
    from .services import agreement_record

    today = timezone.localdate()
    categories = [value for value in DataCategory.values if value != DataCategory.MEDICAL]
    for position, (name, acronym, kind, _office) in enumerate(PARTNERS):
        partner = PartnerOrganisation.objects.filter(name=name).first()
        if partner is None:
            partner = cases.partner_organisation_create(name=name, acronym=acronym, kind=kind, by=None)
        if SharingAgreement.objects.filter(partner=partner).exists():
            continue
        agreement_record(
            by=None,
            title=f"Referral and case coordination with {acronym}",
            partner=partner,
            purposes=[ConsentPurpose.REFERRAL, ConsentPurpose.SHARING_PARTNER],
            categories=categories,
            legal_basis=SharingBasis.CONSENT,
            starts_on=today - timedelta(days=400),
            ends_on=today + timedelta(days=20 if position == len(PARTNERS) - 1 else 700),
            focal_points=f"Protection officer, country office · Programme coordinator, {acronym}",
        )
