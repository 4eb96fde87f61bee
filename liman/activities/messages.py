"""What activities may send to a participant (liman.core.messages): that their certificate is ready, to the
registered participants of an activity at once from its page. Never to someone whose consent is withdrawn, nor to a
light participant (no registry record: no contact)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liman.core import messages

from .permissions import ACTIVITY_MANAGE_ROLES


def declare() -> None:
    messages.register_message_kind(
        messages.MessageKind(
            key="certificate_ready",
            label=_("Certificate ready"),
            purpose=_("Tells a participant who completed an activity that their certificate is ready to collect."),
            placeholders=("name", "activity", "number"),
            roles=ACTIVITY_MANAGE_ROLES,
            manual=False,
            audience=messages.Audience(
                path="activities/certificates", button=_("Tell the participants"), recipients=certificate_holders
            ),
            templates={
                "tr": "{name}, {activity} katılım belgeniz ({number}) hazır. Merkezimizden alabilirsiniz. Mesaj "
                "almamak için DUR yazın.",
                "ar": "{name}، شهادة مشاركتك في {activity} ({number}) جاهزة. يمكنك استلامها من مركزنا. "
                "للإلغاء أرسل توقف",
                "en": "{name}, your certificate for {activity} ({number}) is ready to collect at our centre. Reply "
                "STOP to opt out.",
                "fa": "{name}، گواهی شرکت شما در {activity} ({number}) آماده است. می‌توانید آن را از مرکز ما "
                "دریافت کنید. برای لغو، «لغو» بفرستید.",
                "ps": "{name}، په {activity} کې ستاسو د ګډون سند ({number}) چمتو دی. زموږ له مرکز څخه یې "
                "واخلئ. د بندولو لپاره «بند» ولیږئ.",
            },
        )
    )


def certificate_holders(user, pk: int) -> messages.AudienceList:
    """The activity's registered participants with a certificate whose consent stands (read through the user's
    scope: 404 outside it): the registry's consent check for the purpose their participation was recorded under
    (activities; registration for an enrolment recorded before activities had a purpose of their own)."""
    from django.http import Http404
    from django.urls import reverse

    from liman.registry.consent import consent_for

    from .choices import ACTIVITY_CONSENT_PURPOSE
    from .models import Activity, Participant

    activity = Activity.objects.visible_to(user).filter(pk=pk).select_related("office").first()
    if activity is None:
        raise Http404
    participants = (
        Participant.objects.visible_to(user)
        .filter(activity=activity, person__isnull=False)
        .exclude(certificate_number="")
        .select_related("person", "consent")
        .order_by("number")
    )
    recipients = [
        messages.Recipient(
            participant.person,
            {"activity": activity.title, "number": participant.certificate_number},
            key=f"certificate:{participant.pk}",
        )
        for participant in participants
        if consent_for(participant.person_id, getattr(participant.consent, "purpose", ACTIVITY_CONSENT_PURPOSE))
        is not None
    ]
    return messages.AudienceList(
        title=f"{activity.reference} · {activity.title}",
        office=activity.office,
        recipients=recipients,
        back_url=reverse("activities:activity-detail", args=[activity.reference]),
    )
