"""What the registry keeps about a person, and for how long (core.retention)."""

from datetime import date

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from liman.core import retention
from liman.core.retention import Kind, Purge

from .models import (
    Attachment,
    Consent,
    Household,
    Identifier,
    LegalStatus,
    Person,
    PersonMerge,
    PersonNameKey,
    Vulnerability,
)

#: A person's name fields once anonymised: the record stays (sex, birth date, nationality, household, office)
#: for every figure counted from it, and says what happened to it.
ANONYMISED_NAME = "—"


def people_due(cutoff: date):
    """People whose record has not changed since the cutoff, who have no open case, and not yet anonymised."""
    return (
        Person.objects.filter(updated_at__date__lt=cutoff)
        .exclude(cases__closed_on__isnull=True)
        .exclude(first_name=ANONYMISED_NAME, family_name=ANONYMISED_NAME)
        .distinct()
    )


def people_anonymise(people, work: Purge) -> None:
    work.touch_related(Person, people.values_list("pk", flat=True))
    work.touch_related(Household, Household.objects.filter(head__in=people).values_list("pk", flat=True))
    work.blank(Identifier.objects.filter(person__in=people), "value")
    work.delete(Identifier.objects.filter(person__in=people))
    work.delete(Attachment.objects.filter(person__in=people))
    work.delete(PersonNameKey.objects.filter(person__in=people))
    work.blank(Vulnerability.objects.filter(person__in=people), "note")
    work.blank(LegalStatus.objects.filter(person__in=people), "note")
    work.blank(Consent.objects.filter(person__in=people), "note")
    work.blank(Household.objects.filter(head__in=people), "address")
    work.blank(
        PersonMerge.objects.filter(Q(merged__in=people) | Q(survivor__in=people)),
        "reason",
        "person_values",
        "sealed_values",
        "survivor_changes",
    )
    work.blank(
        people,
        "father_name",
        "original_name",
        "phone",
        first_name=ANONYMISED_NAME,
        family_name=ANONYMISED_NAME,
    )


retention.register(
    Kind(
        "registry.person",
        _("People"),
        _("the person's record last changed (and no case of theirs is open)"),
        (
            "registry.person",
            "registry.identifier",
            "registry.attachment",
            "registry.personnamekey",
            "registry.vulnerability",
            "registry.legalstatus",
            "registry.consent",
            "registry.household",
            "registry.personmerge",
            "registry.householdmember",
            "registry.disabilityassessment",
        ),
        due=people_due,
        anonymise=people_anonymise,
        default_days=365 * 7,
        keeps=_(
            "sex, date of birth (age group), nationality, languages, office, household and its district, legal "
            "status, disability answers; names, phone, identifiers, notes, address and files go"
        ),
    )
)
retention.declare_no_personal_data(
    _("consonant skeletons of name words, shared by everyone (no link to a person)"), "registry.nameskeleton"
)
