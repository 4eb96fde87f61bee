"""Demo data of data protection: a few schedules (off: the demo keeps its records) and one legal hold."""

import random

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
