"""How long closed feedback keeps what the person said (core.retention)."""

from datetime import date

from django.utils.translation import gettext_lazy as _

from liman.core import retention
from liman.core.retention import Kind, Purge

from .models import Feedback


def feedback_due(cutoff: date):
    return Feedback.objects.filter(closed_at__date__lt=cutoff)


def feedback_anonymise(items, work: Purge) -> None:
    work.blank(items, "contact", "summary", "resolution", "response")


def feedback_of_people(people, work: Purge) -> None:
    """A person anonymised: how to reach them is gone from their feedback (what they said goes with its own kind)."""
    work.blank(Feedback.objects.filter(person__in=people), "contact")


retention.register(
    Kind(
        "feedback.feedback",
        _("Feedback and complaints"),
        _("the feedback was closed"),
        ("feedback.feedback",),
        due=feedback_due,
        anonymise=feedback_anonymise,
        delete=lambda items, work: work.delete(items),
        default_days=365 * 2,
        keeps=_(
            "channel, category, priority, states and dates (for the feedback figures); contact, words and answers go"
        ),
    )
)
retention.register_part("registry.person", ("feedback.feedback",), feedback_of_people)
