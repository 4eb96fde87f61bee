"""What activities hold about a participant, anonymised with the person (core.retention)."""

from django.utils.translation import gettext_lazy as _

from liman.core import retention
from liman.core.retention import Purge

from .models import Participant


def participants_of_people(people, work: Purge) -> None:
    work.blank(Participant.objects.filter(person__in=people), "name", "organisation", "position", "certificate_number")


retention.register_part("registry.person", ("activities.participant", "activities.attendance"), participants_of_people)
retention.declare_no_personal_data(
    _("activities, sessions and equipment handed over (to organisations)"),
    "activities.activity",
    "activities.session",
    "activities.equipmenthandover",
)
retention.declare_no_personal_data(
    _("people reached, counted by activity type, province, month and group (no one named)"),
    "activities.reachcount",
    "activities.reachtotal",
)
retention.declare_kept(
    _(
        "the first reach of a person by activity type, province and month: keys and groups only (no name), kept so "
        "that the published counts stay as they were after the person is anonymised"
    ),
    "activities.personreach",
)
