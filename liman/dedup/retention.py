"""What deduplication holds about a person, anonymised with them (core.retention)."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from liman.core import retention
from liman.core.retention import Purge

from .models import MatchPair


def pairs_of_people(people, work: Purge) -> None:
    work.blank(MatchPair.objects.filter(Q(person_l__in=people) | Q(person_r__in=people)), "reason")


retention.register_part("registry.person", ("dedup.matchpair",), pairs_of_people)
retention.declare_no_personal_data(_("thresholds and runs (counts only)"), "dedup.officethresholds", "dedup.deduprun")
