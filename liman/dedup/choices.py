"""Choices of duplicate detection: the bands of a match, what became of a pair, and what found it."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MatchBand(models.TextChoices):
    """The engine's bands (`liman.dedup.engine.Band`), with the words a reviewer reads."""

    AUTO_LINK = "auto_link", _("Likely the same person")
    REVIEW = "review", _("Needs review")
    DISTINCT = "distinct", _("Distinct")


class MatchStatus(models.TextChoices):
    OPEN = "open", _("Waiting for a decision")
    SAME_PERSON = "same_person", _("Same person")
    DIFFERENT_PEOPLE = "different_people", _("Different people")
    CLOSED = "closed", _("No longer matching")


#: A reviewer's decisions; a decided pair is never asked again.
DECISIONS = (MatchStatus.SAME_PERSON, MatchStatus.DIFFERENT_PEOPLE)


class FoundBy(models.TextChoices):
    RUN = "run", _("A run over the registry")
    REGISTRATION = "registration", _("The check at registration")
    IMPORT = "import", _("The check of an import")
