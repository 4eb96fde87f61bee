"""What cash may send to a household (liman.core.messages): that its payment is loaded, to the households of a
cycle at once from the cycle's page ("Tell the households") once the list has gone to the provider."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liman.core import messages

from .choices import OFF_LIST, CycleState, PaymentStatus
from .permissions import CASH_PREPARE_ROLES

#: A cycle whose payments are loaded: the list went to the provider (and maybe came back reconciled).
LOADED_STATES = frozenset({CycleState.SENT, CycleState.RECONCILED})
#: Payments not to announce: those off the list (held, or held back for want of consent) were never sent, failed
#: ones were not loaded.
NOT_LOADED = (*OFF_LIST, PaymentStatus.FAILED)


def declare() -> None:
    messages.register_message_kind(
        messages.MessageKind(
            key="payment_loaded",
            label=_("Payment loaded"),
            purpose=_("Tells a household that its cash payment of a cycle is loaded, the amount, and from when."),
            placeholders=("name", "amount", "date"),
            roles=CASH_PREPARE_ROLES,
            manual=False,
            audience=messages.Audience(
                path="cash/cycles",
                button=_("Tell the households"),
                recipients=cycle_households,
                demo=_demo_cycle,
            ),
            templates={
                "tr": "{name}, hanenizin {amount} tutarındaki ödemesi kartınıza yüklendi. {date} tarihinden itibaren "
                "çekebilirsiniz. Mesaj almamak için DUR yazın.",
                "ar": "{name}، تم تحميل دفعة أسرتك بقيمة {amount} على بطاقتك. يمكنك سحبها اعتبارًا من {date}. "
                "للإلغاء أرسل توقف",
                "en": "{name}, your household's payment of {amount} is loaded on your card. You can collect it from "
                "{date}. Reply STOP to opt out.",
                "fa": "{name}، پرداخت خانواده شما به مبلغ {amount} روی کارت شما بارگذاری شد. از تاریخ {date} "
                "می‌توانید آن را برداشت کنید. برای لغو، «لغو» بفرستید.",
                "ps": "{name}، ستاسو د کورنۍ {amount} تادیه ستاسو په کارت بار شوه. له {date} نېټې وروسته یې "
                "اخیستلای شئ. د بندولو لپاره «بند» ولیږئ.",
            },
        )
    )


def cycle_households(user, pk: int) -> messages.AudienceList:
    """The households of a cycle whose payment is loaded, each told through its head (or another adult), with its
    own amount; the cycle is read through the user's scope (404 outside it), nothing before the list is sent."""
    from django.http import Http404
    from django.urls import reverse
    from django.utils import timezone

    from liman.registry.selectors import adults_to_tell

    from .selectors import cycle_for

    cycle = cycle_for(user, pk)
    if cycle.state not in LOADED_STATES:
        raise Http404
    payments = list(cycle.payments.exclude(status__in=NOT_LOADED).select_related("household").order_by("pk"))
    adults = adults_to_tell(user, [payment.household for payment in payments])
    loaded_on = (cycle.sent_at or timezone.now()).date()
    recipients = [
        messages.Recipient(
            people[0],
            {"amount": f"{payment.amount:,.2f} {payment.currency}", "date": payment.paid_on or loaded_on},
            key=f"payment:{payment.pk}",
            fallbacks=tuple(people[1:]),
        )
        for payment in payments
        if (people := adults.get(payment.household_id))
    ]
    return messages.AudienceList(
        title=f"{cycle.reference} · {cycle.programme.name}",
        office=cycle.office,
        recipients=recipients,
        back_url=reverse("cash:cash-cycle-detail", args=[cycle.pk]),
    )


def _demo_cycle():
    """The demo's payment-loaded message: the latest sent or reconciled cycle, sent by a programme officer of its
    office."""
    from liman.core.choices import Role
    from liman.core.models import User
    from liman.core.seeding import demo_username

    from .models import PaymentCycle

    cycle = PaymentCycle.objects.filter(state__in=LOADED_STATES).select_related("office").order_by("-pk").first()
    if cycle is None:
        return None
    officer = User.objects.filter(username=demo_username(Role.PROGRAMME_OFFICER, cycle.office.code)).first()
    return (officer, cycle.pk) if officer is not None else None
