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
