"""Enforcement of data-sharing agreements: one function says which current agreement covers a transfer.

A referral to a partner (`cases.services.referral_send`), a partner's access to the referrals sent to it
(`cases.models.ReferralQuerySet`), and a `liman dedup file --agreement REF` exchange ask here; each transfer's
audit event names the agreement's reference (`transfer_payload`). An agreement that ends within `WARN_DAYS`
still covers, with a warning; once ended it covers nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import DataCategory
from .models import SharingAgreement

#: An agreement ending within this many days is shown as expiring (lists, home page, the warning of a transfer).
WARN_DAYS = 30


def _labels(categories: Iterable[str]) -> str:
    names = dict(DataCategory.choices)
    return ", ".join(str(names.get(value, value)).lower() for value in categories)


def _purpose_label(purpose: str) -> str:
    from liman.registry.choices import ConsentPurpose

    return str(dict(ConsentPurpose.choices).get(purpose, purpose)).lower()


def covers(agreement: SharingAgreement, purpose: str, categories: Iterable[str], on: date) -> bool:
    return (
        agreement.starts_on <= on <= agreement.ends_on
        and purpose in agreement.purposes
        and set(categories) <= set(agreement.categories)
    )


def agreement_for(partner, purpose: str, categories: Iterable[str], *, office=None, on: date | None = None):
    """The current agreement with `partner` (an organisation) that covers `purpose` for every one of `categories`,
    signed by `office` or by the country office for every office; the one in force longest when several do.
    Raises ValidationError saying what is missing: no agreement, one that ended, or one that does not cover."""
    on = on or timezone.localdate()
    categories = sorted(set(categories))
    office_id = getattr(office, "pk", office)
    signed = SharingAgreement.objects.filter(partner=partner)
    signed = signed.filter(Q(office__isnull=True) | Q(office_id=office_id)) if office_id else signed
    agreements = list(signed.order_by("-ends_on", "pk"))
    for agreement in agreements:
        if covers(agreement, purpose, categories, on):
            return agreement
    values = {"party": partner, "purpose": _purpose_label(purpose), "categories": _labels(categories) or "—"}
    ended = [a for a in agreements if a.ends_on < on and purpose in a.purposes]
    if ended:
        values.update(reference=ended[0].reference, date=ended[0].ends_on.isoformat())
        message = _(
            "The data-sharing agreement %(reference)s with %(party)s ended on %(date)s: nothing is shared with "
            "them for %(purpose)s until a new agreement is recorded."
        )
    else:
        message = _(
            "No current data-sharing agreement with %(party)s covers %(purpose)s of %(categories)s data: record "
            "one (Data protection › Sharing agreements) before sharing."
        )
    raise ValidationError({"agreement": message % values})


def agreement_named(reference: str, purpose: str, categories: Iterable[str], *, on: date | None = None):
    """The agreement of `reference`, checked to be current and to cover the transfer (a file exchange names it)."""
    on = on or timezone.localdate()
    agreement = SharingAgreement.objects.filter(reference=reference.strip().upper()).first()
    if agreement is None:
        raise ValidationError({"agreement": _("No data-sharing agreement has the reference %(reference)s.")
                               % {"reference": reference.strip()}})  # fmt: skip
    categories = sorted(set(categories))
    if not covers(agreement, purpose, categories, on):
        if not agreement.starts_on <= on <= agreement.ends_on:
            message = _("The data-sharing agreement %(reference)s is not in force today (%(start)s to %(end)s).")
        else:
            message = _("The data-sharing agreement %(reference)s does not cover %(purpose)s of %(categories)s data.")
        raise ValidationError({"agreement": message % {
            "reference": agreement.reference, "start": agreement.starts_on.isoformat(),
            "end": agreement.ends_on.isoformat(), "purpose": _purpose_label(purpose), "categories": _labels(categories),
        }})  # fmt: skip
    return agreement


def expiry_warning(agreement: SharingAgreement, *, on: date | None = None) -> str:
    """A warning when the agreement ends within `WARN_DAYS` (the transfer goes ahead), else an empty string."""
    on = on or timezone.localdate()
    left = agreement.days_left(on)
    if left > WARN_DAYS:
        return ""
    return _(
        "The data-sharing agreement %(reference)s with %(party)s ends on %(date)s (in %(days)s days): renew it, or "
        "sharing under it stops then."
    ) % {"reference": agreement.reference, "party": agreement.party, "date": agreement.ends_on.isoformat(),
         "days": left}  # fmt: skip


def transfer_payload(agreement: SharingAgreement, purpose: str, categories: Iterable[str]) -> dict:
    """What a transfer's audit event records of its agreement (reference, purpose, categories: no value)."""
    return {"agreement": agreement.reference, "purpose": purpose, "categories": sorted(set(categories))}


def partner_covered(*, partner_path: str = "to_partner", office_path: str = "office", on: date | None = None):
    """A condition (no query of its own) true of rows whose partner has a current agreement signed by the row's
    office or for every office: what a partner user sees stops when the agreement ends."""
    on = on or timezone.localdate()
    current = SharingAgreement.objects.filter(partner=OuterRef(partner_path), starts_on__lte=on, ends_on__gte=on)
    return Exists(current.filter(Q(office__isnull=True) | Q(office=OuterRef(office_path))))


def expiring_soon(on: date | None = None):
    on = on or timezone.localdate()
    return SharingAgreement.objects.current(on).filter(ends_on__lte=on + timedelta(days=WARN_DAYS))


#: The category of data each detail a referral may carry belongs to (cases.choices.SharedField).
SHARED_FIELD_CATEGORY = {
    "full_name": DataCategory.IDENTITY,
    "sex": DataCategory.DEMOGRAPHIC,
    "age": DataCategory.DEMOGRAPHIC,
    "nationality": DataCategory.DEMOGRAPHIC,
    "languages": DataCategory.DEMOGRAPHIC,
    "phone": DataCategory.CONTACT,
}
#: The category of data a referral of a case of each type reveals (that the person has such a case).
CASE_TYPE_CATEGORY = {
    "protection": DataCategory.PROTECTION,
    "counter_trafficking": DataCategory.PROTECTION,
    "avrr": DataCategory.MOVEMENT,
}


def referral_categories(case_type: str, shared_fields: Iterable[str]) -> list[str]:
    """The categories of data a referral of a case of `case_type` carrying `shared_fields` transfers."""
    found = {SHARED_FIELD_CATEGORY[name] for name in shared_fields if name in SHARED_FIELD_CATEGORY}
    found.add(CASE_TYPE_CATEGORY.get(case_type, DataCategory.PROTECTION))
    return sorted(str(value) for value in found)
