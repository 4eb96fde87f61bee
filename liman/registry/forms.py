"""Forms of the registry pages: they parse and check input; the services write."""

from __future__ import annotations

import datetime
import gettext as gettext_module
import re
from dataclasses import dataclass
from functools import lru_cache

import pycountry
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import get_language, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from liman.core.choices import Sensitivity
from liman.core.districts import DistrictField
from liman.core.models import Office
from liman.core.widgets import QuickSelect

from .choices import (
    WG_DOMAINS,
    AttachmentKind,
    ConsentPurpose,
    DatePrecision,
    IdentifierType,
    LegalBasis,
    LegalStatusType,
    Relationship,
    Sex,
    VulnerabilityType,
    WGAnswer,
)
from .identifiers import normalise_phone, ykn_problems
from .models import DisabilityAssessment
from .rules import EXTRA_NATIONALITIES, birth_date_problem
from .services import IdentifierInput, PersonInput

# The checks in identifiers.py speak English; listing their messages here puts them in the catalogue,
# so the forms can show them in the reader's language.
IDENTIFIER_MESSAGES = (
    gettext_noop("A foreigner ID (YKN) has 11 digits."),
    gettext_noop("A foreigner ID (YKN) starts with 99."),
    gettext_noop("The foreigner ID's check digits do not match: check it against the document."),
)


# --- dates known to the day, the month or the year ------------------------------------------------------------


@dataclass(frozen=True)
class PartialDate:
    """A date of birth as far as it is known: `date` is the first day of the month or year when less is known."""

    date: datetime.date
    precision: str

    def __str__(self) -> str:
        if self.precision == DatePrecision.YEAR:
            return f"{self.date.year:04d}"
        if self.precision == DatePrecision.MONTH:
            return f"{self.date.year:04d}-{self.date.month:02d}"
        return self.date.isoformat()


_ISO_PARTIAL = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?$")
# 17.05.1990 and 05.1990, as dates are written on Turkish documents.
_DAY_FIRST = re.compile(r"^(?:(\d{1,2})[./-])?(\d{1,2})[./-](\d{4})$")


def parse_partial_date(text: str, *, today: datetime.date | None = None) -> PartialDate | None:
    """`1990` → year only, `1990-05` → month, `1990-05-17` → exact (also `17.05.1990`, `05.1990`).

    Empty text is None; anything else that is not such a date, or lies in the future or before 1900,
    raises ValueError with a message for the person typing it.
    """
    text = (text or "").strip()
    if not text:
        return None
    today = today or timezone.localdate()
    year = month = day = None
    if match := _ISO_PARTIAL.match(text):
        year, month, day = (int(part) if part else None for part in match.groups())
    elif match := _DAY_FIRST.match(text):
        day, month, year = (int(part) if part else None for part in match.groups())
    else:
        raise ValueError(_("Write the date as 1990, 1990-05 or 1990-05-17."))
    try:
        value = datetime.date(year, month or 1, day or 1)
    except ValueError as exc:
        raise ValueError(_("%(text)s is not a date in the calendar.") % {"text": text}) from exc
    precision = DatePrecision.DAY if day else DatePrecision.MONTH if month else DatePrecision.YEAR
    if problem := birth_date_problem(value, today=today):
        raise ValueError(problem)
    return PartialDate(value, precision)


class PartialDateInput(forms.TextInput):
    input_type = "text"

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "numeric", "placeholder": "1990-05-17", "autocomplete": "off", **(attrs or {})})


class PartialDateField(forms.CharField):
    """A date of birth typed as `1990`, `1990-05` or `1990-05-17`; cleans to a `PartialDate` or None."""

    widget = PartialDateInput

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", _("Year only, year and month, or the full date: 1990, 1990-05, 1990-05-17."))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return str(value) if isinstance(value, PartialDate) else value

    def to_python(self, value):
        if isinstance(value, PartialDate):
            return value
        try:
            return parse_partial_date(super().to_python(value))
        except ValueError as exc:
            raise ValidationError(str(exc), code="invalid") from exc


def partial_date_of(person) -> PartialDate | None:
    if person.birth_date is None:
        return None
    return PartialDate(person.birth_date, person.birth_date_precision)


# --- countries, languages, phones -----------------------------------------------------------------------------

#: The nationalities met most often, offered first (docs/domain.md: Syria, then those met at the borders).
FREQUENT_NATIONALITIES = ("SYR", "AFG", "IRQ", "IRN", "PAK", "SOM", "PSE", "ERI", "BGD", "TKM", "UZB", "TUR")


@lru_cache(maxsize=8)
def _country_names(language: str) -> dict[str, str]:
    catalogue = gettext_module.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True)
    names = {}
    for country in pycountry.countries:
        common = getattr(country, "common_name", "")
        translated = catalogue.gettext(common) if common else ""
        if not translated or (translated == common and language != "en"):
            translated = catalogue.gettext(country.name)
        names[country.alpha_3] = translated
    return names


def country_name(code: str) -> str:
    """The country's name in the reader's language (`SYR` → Syria / Suriye / الجمهوريّة العربيّة السّوريّة)."""
    if not code:
        return ""
    from django.utils.translation import gettext

    extra = dict(EXTRA_NATIONALITIES)
    if code in extra:
        return gettext(extra[code])
    return _country_names((get_language() or "en").split("-")[0]).get(code, code)


def country_choices(*, blank: str | None = None) -> list:
    """Grouped choices: the frequent nationalities first, then every country by its name in the reader's language."""
    from django.utils.translation import gettext

    names = _country_names((get_language() or "en").split("-")[0])
    frequent = [(code, names[code]) for code in FREQUENT_NATIONALITIES]
    everyone = sorted(names.items(), key=lambda item: item[1].casefold())
    everyone += [(code, gettext(label)) for code, label in EXTRA_NATIONALITIES]
    choices = [] if blank is None else [("", blank)]
    return [*choices, (gettext("Most frequent"), frequent), (gettext("All countries"), everyone)]


def _language(text: str):
    text = text.strip()
    found = None
    if len(text) == 2:
        found = pycountry.languages.get(alpha_2=text.lower())
    elif len(text) == 3:
        found = pycountry.languages.get(alpha_3=text.lower())
    if found is None:
        found = pycountry.languages.get(name=text.capitalize())
    return found


def language_code(text: str) -> str:
    """An ISO 639 code (two letters when there is one) for a code or English name; ValueError when unknown."""
    found = _language(text)
    if found is None:
        raise ValueError(text)
    return getattr(found, "alpha_2", None) or found.alpha_3


def language_name(code: str) -> str:
    found = _language(code)
    if found is None:
        return code
    language = (get_language() or "en").split("-")[0]
    catalogue = gettext_module.translation("iso639-3", pycountry.LOCALES_DIR, languages=[language], fallback=True)
    return catalogue.gettext(found.name)


class LanguagesField(forms.CharField):
    """Languages spoken, as ISO 639 codes or English names separated by commas: `ar, ku` or `Arabic, Kurdish`."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("ISO 639 codes or names, separated by commas: ar, ku, fa."))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value):
        text = super().to_python(value)
        codes, unknown = [], []
        for part in filter(None, (piece.strip() for piece in re.split(r"[,;]", text or ""))):
            try:
                code = language_code(part)
            except ValueError:
                unknown.append(part)
                continue
            if code not in codes:
                codes.append(code)
        if unknown:
            raise ValidationError(
                _("Unknown language: %(names)s. Use ISO 639 codes such as ar, ku, fa, ps, or English names.")
                % {"names": ", ".join(unknown)},
                code="invalid",
            )
        return codes


class PhoneField(forms.CharField):
    """A phone number, stored in E.164 (`0532 123 45 67` → `+905321234567`)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("With the country code (+90 532 123 45 67); a Turkish number may start 0."))
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return ""
        try:
            return normalise_phone(text)
        except ValueError as exc:
            raise ValidationError(
                _("“%(value)s” is not a phone number. Write it with the country code, e.g. +90 532 123 45 67.")
                % {"value": text},
                code="invalid",
            ) from exc


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# --- where a household lives ----------------------------------------------------------------------------------


def address_field() -> forms.CharField:
    return forms.CharField(
        label=_("Home address"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off"}),
        help_text=_("Neighbourhood, street, building and flat. Stored encrypted."),
    )


class HouseholdLocationForm(forms.Form):
    """Where a household lives: its district, for the map and the reports, and its address."""

    district = DistrictField(label=_("District"))
    address = address_field()

    def __init__(self, *args, household=None, **kwargs):
        if household is not None and "initial" not in kwargs:
            kwargs["initial"] = {"district": household.district, "address": household.address}
        super().__init__(*args, **kwargs)
        if household is not None:
            self.fields["district"].offer([household.office.province_id])


# --- search ---------------------------------------------------------------------------------------------------


class PersonSearchForm(forms.Form):
    """Search first: by name, an identifier, a phone or the date of birth, in any combination."""

    name = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "placeholder": _("Name")}),
    )
    identifier = forms.CharField(
        label=_("Identifier"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": _("YKN, passport, UNHCR…")}),
    )
    phone = PhoneField(label=_("Phone"), help_text="")
    born = PartialDateField(label=_("Date of birth"), required=False, help_text="")

    def terms(self):
        from .selectors import SearchTerms

        if not self.is_bound or not self.is_valid():
            return SearchTerms()
        data = self.cleaned_data
        born = data["born"]
        return SearchTerms(
            name=data["name"].strip(),
            identifier=data["identifier"].strip(),
            phone=data["phone"],
            birth_date=born.date if born else None,
        )


# --- a person's details ---------------------------------------------------------------------------------------


class PersonDetailsForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    father_name = forms.CharField(label=_("Father's name"), max_length=100, required=False)
    family_name = forms.CharField(label=_("Family name"), max_length=100)
    original_name = forms.CharField(
        label=_("Name in original script"),
        max_length=200,
        required=False,
        help_text=_("Arabic, Persian or Pashto script."),
        widget=forms.TextInput(attrs={"dir": "auto"}),
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, widget=forms.RadioSelect)
    birth_date = PartialDateField(label=_("Date of birth"), required=False)
    nationality = forms.ChoiceField(label=_("Nationality"), widget=QuickSelect)
    languages = LanguagesField(label=_("Languages"))
    phone = PhoneField(label=_("Phone"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nationality"].choices = country_choices(blank="—")

    def person_fields(self) -> dict:
        data = self.cleaned_data
        born: PartialDate | None = data["birth_date"]
        return {
            "first_name": data["first_name"].strip(),
            "father_name": data["father_name"].strip(),
            "family_name": data["family_name"].strip(),
            "original_name": data.get("original_name", "").strip(),
            "sex": data["sex"],
            "birth_date": born.date if born else None,
            "birth_date_precision": born.precision if born else DatePrecision.DAY,
            "nationality": data["nationality"],
            # A family member's row asks neither (see `FamilyMemberForm`).
            "languages": data.get("languages", []),
            "phone": data.get("phone", ""),
        }


class PersonEditForm(PersonDetailsForm):
    sensitivity = forms.ChoiceField(
        label=_("Sensitivity"),
        choices=[(tier, tier.label) for tier in (Sensitivity.NORMAL, Sensitivity.PROTECTION)],
        help_text=_("Protection-sensitive people are hidden from viewers and every view of them is logged."),
    )

    @classmethod
    def for_person(cls, person, data=None) -> PersonEditForm:
        initial = {
            "first_name": person.first_name,
            "father_name": person.father_name,
            "family_name": person.family_name,
            "original_name": person.original_name,
            "sex": person.sex,
            "birth_date": partial_date_of(person),
            "nationality": person.nationality,
            "languages": person.languages,
            "phone": person.phone,
            "sensitivity": person.sensitivity,
        }
        return cls(data, initial=initial)

    def changes(self, person) -> dict:
        """Only what differs from the stored record, so the audit diff shows exactly what was changed."""
        wanted = {**self.person_fields(), "sensitivity": self.cleaned_data["sensitivity"]}
        return {name: value for name, value in wanted.items() if getattr(person, name) != value}


class HouseholdPlace:
    NEW = "new"
    JOIN = "join"
    NONE = "none"
    CHOICES = [
        (NEW, _("Start a new household, as its head")),
        (JOIN, _("Join an existing household")),
        (NONE, _("No household for now")),
    ]


class RegistrationForm(PersonDetailsForm):
    office = forms.ModelChoiceField(label=_("Office"), queryset=Office.objects.none(), empty_label=None)
    legal_status = forms.ChoiceField(
        label=_("Legal status in Türkiye"), required=False, choices=[("", "—"), *LegalStatusType.choices]
    )
    legal_status_since = forms.DateField(label=_("Since"), required=False, widget=date_input())
    household = forms.ChoiceField(
        label=_("Place in a household"),
        choices=HouseholdPlace.CHOICES,
        initial=HouseholdPlace.NEW,
        widget=forms.RadioSelect,
    )
    household_reference = forms.CharField(
        label=_("Household reference"),
        required=False,
        max_length=24,
        widget=forms.TextInput(attrs={"placeholder": "IST-H-…", "autocomplete": "off"}),
    )
    relationship = forms.ChoiceField(
        label=_("Relationship to the head"),
        required=False,
        choices=[("", "—"), *[(value, label) for value, label in Relationship.choices if value != Relationship.HEAD]],
    )
    legal_basis = forms.ChoiceField(
        label=_("Legal basis for registering"), choices=LegalBasis.choices, initial=LegalBasis.CONSENT
    )
    consent_given = forms.BooleanField(
        label=_("The person was told what is recorded and why, and consents to registration."), required=False
    )
    confirmed_new = forms.BooleanField(label=_("None of the people listed above is this person."), required=False)
    district = DistrictField(label=_("District"))
    address = address_field()

    def __init__(self, *args, user, offices: list[Office], has_matches: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.has_matches = has_matches
        self.fields["office"].queryset = Office.objects.filter(pk__in=[office.pk for office in offices])
        self.fields["district"].offer({office.province_id for office in offices})
        if len(offices) == 1:
            # Nothing to choose: the field keeps its one value whatever is posted.
            self.fields["office"].initial = offices[0].pk
            self.fields["office"].disabled = True
            self.fields["office"].widget = forms.HiddenInput()
        if not has_matches:
            del self.fields["confirmed_new"]

    def clean_household_reference(self):
        return self.cleaned_data["household_reference"].strip().upper()

    def clean(self):
        data = super().clean()
        if data.get("legal_basis") == LegalBasis.CONSENT and not data.get("consent_given"):
            self.add_error(
                "consent_given", _("Tick the consent box, or choose the other legal basis this registration rests on.")
            )
        if self.has_matches and not data.get("confirmed_new"):
            self.add_error("confirmed_new", _("Check the possible matches first: is this person already registered?"))
        if data.get("legal_status_since") and not data.get("legal_status"):
            self.add_error("legal_status", _("Choose the status that started on this date."))
        if data.get("household") == HouseholdPlace.JOIN:
            self._clean_household_to_join(data)
        if data.get("household") != HouseholdPlace.NEW:
            # Nothing typed is dropped unsaid: a district or address belongs to a household started here.
            message = _(
                "Only a new household is given a district and address here; change an existing one's on its page."
            )
            for name in ("district", "address"):
                if data.get(name):
                    self.add_error(name, message)
        return data

    def _clean_household_to_join(self, data):
        from .models import Household

        reference = data.get("household_reference")
        if not reference:
            self.add_error("household_reference", _("Give the reference of the household to join."))
        else:
            household = Household.objects.visible_to(self.user).filter(reference=reference).first()
            if household is None:
                self.add_error(
                    "household_reference",
                    _("No household %(reference)s in your offices.") % {"reference": reference},
                )
            data["household_object"] = household
        if not data.get("relationship"):
            self.add_error("relationship", _("Say how this person is related to the head of that household."))

    def person_input(self, identifiers: list[IdentifierInput]) -> PersonInput:
        data = self.cleaned_data
        return PersonInput(
            **self.person_fields(),
            legal_status=data["legal_status"],
            legal_status_since=data["legal_status_since"],
            identifiers=identifiers,
        )


def names_from_search(text: str) -> dict[str, str]:
    """The name fields a name search fills: `Haddad` is a family name, `Karim Haddad` a first and family name, and
    `Karim Nouri Haddad` a first name, father's name and family name (the order on Syrian and Turkish documents)."""
    words = text.split()
    if not words:
        return {}
    if len(words) == 1:
        return {"family_name": words[0]}
    if len(words) == 2:
        return {"first_name": words[0], "family_name": words[1]}
    return {"first_name": words[0], "father_name": " ".join(words[1:-1]), "family_name": words[-1]}


# --- a family at once -----------------------------------------------------------------------------------------

#: The most members one family registration takes (a larger household adds the rest on its page).
FAMILY_MAX_MEMBERS = 20


class FamilyHeadForm(PersonDetailsForm):
    """The head of the family, who starts the household; the members share their legal status."""

    legal_status = forms.ChoiceField(
        label=_("Legal status in Türkiye"), required=False, choices=[("", "—"), *LegalStatusType.choices]
    )
    legal_status_since = forms.DateField(label=_("Since"), required=False, widget=date_input())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="head", **kwargs)
        self.fields["legal_status"].help_text = _("The members are recorded with the same status.")


class FamilyMemberForm(PersonDetailsForm):
    """One member of the family: how they are related to the head, who they are; phone and languages are added on
    their page. A row left without a first name, relationship or date of birth is left out."""

    relationship = forms.ChoiceField(
        label=_("Relationship to the head"),
        choices=[("", "—"), *[(value, label) for value, label in Relationship.choices if value != Relationship.HEAD]],
    )

    field_order = ["relationship", "first_name", "father_name", "family_name", "sex", "birth_date", "nationality"]

    def __init__(self, *args, number, **kwargs):
        super().__init__(*args, prefix=f"member-{number}", **kwargs)
        self.number = number
        for name in ("languages", "phone", "original_name"):
            del self.fields[name]
        self.fields["nationality"].required = False
        self.fields["nationality"].choices = country_choices(blank=_("Same as the head"))
        self.order_fields(self.field_order)

    @property
    def is_blank(self) -> bool:
        """Nothing typed that names someone (the family name may have been carried over from the head)."""
        if not self.is_bound:
            return True
        return not any(self.data.get(self.add_prefix(name), "").strip() for name in self.meaningful)

    meaningful = ("relationship", "first_name", "birth_date")


def carried_names(
    relationship: str, *, head_first_name: str, head_father_name: str, head_family_name: str, head_sex: str
) -> dict[str, str]:
    """What a member's row starts with from the head's names: a child takes the head's family name, and the head's
    first name as father's name when the head is the father; a sibling shares the head's father and family name;
    a grandchild the family name. A spouse or anyone else starts empty (a wife keeps her own family name on Syrian
    documents). `family.js` applies the same rule as one types."""
    if relationship == Relationship.CHILD:
        names = {"family_name": head_family_name}
        if head_sex == Sex.MALE:
            names["father_name"] = head_first_name
        return names
    if relationship == Relationship.SIBLING:
        return {"father_name": head_father_name, "family_name": head_family_name}
    if relationship in (Relationship.GRANDCHILD, ""):
        return {"family_name": head_family_name}
    return {}


class FamilyForm(forms.Form):
    """What the family shares: the household's district and address, where they are registered, the legal basis."""

    members = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=FAMILY_MAX_MEMBERS, initial=0)
    district = DistrictField(label=_("District"))
    address = address_field()
    office = forms.ModelChoiceField(label=_("Office"), queryset=Office.objects.none(), empty_label=None)
    legal_basis = forms.ChoiceField(
        label=_("Legal basis for registering"), choices=LegalBasis.choices, initial=LegalBasis.CONSENT
    )
    consent_given = forms.BooleanField(
        label=_(
            "Each adult was told what is recorded and why, and consents to registration (the parents for their "
            "children)."
        ),
        required=False,
    )
    confirmed_new = forms.BooleanField(
        label=_("None of the people listed above is the head of this family."), required=False
    )

    def __init__(self, *args, user, offices: list[Office], has_matches: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.has_matches = has_matches
        self.fields["office"].queryset = Office.objects.filter(pk__in=[office.pk for office in offices])
        self.fields["district"].offer({office.province_id for office in offices})
        if len(offices) == 1:
            self.fields["office"].initial = offices[0].pk
            self.fields["office"].disabled = True
            self.fields["office"].widget = forms.HiddenInput()
        if not has_matches:
            del self.fields["confirmed_new"]

    def clean(self):
        data = super().clean()
        if data.get("legal_basis") == LegalBasis.CONSENT and not data.get("consent_given"):
            self.add_error(
                "consent_given", _("Tick the consent box, or choose the other legal basis this registration rests on.")
            )
        if self.has_matches and not data.get("confirmed_new"):
            self.add_error("confirmed_new", _("Check the possible matches first: is the head already registered?"))
        return data


def family_member_count(data) -> int:
    """How many member rows the posted page had (the hidden counter), within bounds."""
    try:
        count = int(data.get("members", 0))
    except (TypeError, ValueError):
        return 0
    return max(0, min(count, FAMILY_MAX_MEMBERS))


# --- identifiers ----------------------------------------------------------------------------------------------

_DIGITS_ONLY_TYPES = {IdentifierType.FOREIGNER_ID, IdentifierType.TEMPORARY_PROTECTION}


def guess_identifier_type(value: str) -> str:
    """What a number typed in the search box most likely is (YKN starts 99, a TP number 98)."""
    digits = value.replace(" ", "")
    if digits.isdigit() and len(digits) == 11:
        if digits.startswith("99"):
            return IdentifierType.FOREIGNER_ID
        if digits.startswith("98"):
            return IdentifierType.TEMPORARY_PROTECTION
    return IdentifierType.OTHER if value else ""


class IdentifierForm(forms.Form):
    """One identifier; on the registration page a row left empty is skipped."""

    type = forms.ChoiceField(label=_("Type"), choices=[("", "—"), *IdentifierType.choices], required=False)
    value = forms.CharField(
        label=_("Number"), max_length=64, required=False, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    issuing_country = forms.ChoiceField(label=_("Issued by"), required=False, widget=QuickSelect)
    valid_until = forms.DateField(label=_("Valid until"), required=False, widget=date_input())

    def __init__(self, *args, optional: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.optional = optional
        self.fields["issuing_country"].choices = country_choices(blank="—")

    def clean(self):
        data = super().clean()
        kind, value = data.get("type", ""), data.get("value", "").strip()
        if kind in _DIGITS_ONLY_TYPES:
            value = re.sub(r"[\s-]", "", value)
        data["value"] = value
        if not kind and not value:
            if not self.optional:
                self.add_error("value", _("Give the type and the number."))
            return data
        if not kind:
            self.add_error("type", _("Say what kind of number this is."))
        if not value:
            self.add_error("value", _("Give the number."))
        if kind == IdentifierType.FOREIGNER_ID and value:
            from django.utils.translation import gettext

            errors, _warnings = ykn_problems(value)
            for error in errors:
                self.add_error("value", gettext(error))
        return data

    @property
    def is_blank(self) -> bool:
        return not (self.cleaned_data.get("type") or self.cleaned_data.get("value"))

    def identifier_input(self) -> IdentifierInput:
        data = self.cleaned_data
        return IdentifierInput(
            type=data["type"],
            value=data["value"],
            issuing_country=data["issuing_country"],
            valid_until=data["valid_until"],
        )


#: Identifier rows on the registration page; more can be added on the person page.
REGISTRATION_IDENTIFIER_ROWS = 2


def identifier_rows(data=None, initial: list[dict] | None = None) -> list[IdentifierForm]:
    initial = initial or []
    return [
        IdentifierForm(
            data,
            prefix=f"identifier-{n}",
            optional=True,
            initial=initial[n] if n < len(initial) else None,
        )
        for n in range(REGISTRATION_IDENTIFIER_ROWS)
    ]


# --- the person page's forms ----------------------------------------------------------------------------------


class LegalStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Legal status"), choices=LegalStatusType.choices)
    started_on = forms.DateField(
        label=pgettext_lazy("date range", "From"),
        required=False,
        widget=date_input(),
        help_text=_("The current status ends the day before."),
    )
    ended_on = forms.DateField(
        label=_("Until"), required=False, widget=date_input(), help_text=_("For a permit: the day it expires.")
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class DisabilityForm(forms.Form):
    """The Washington Group Short Set: six domains, each answered 1–4, 7 refused or 9 don't know."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for domain in WG_DOMAINS:
            model_field = DisabilityAssessment._meta.get_field(domain)
            self.fields[domain] = forms.TypedChoiceField(
                label=model_field.verbose_name,
                choices=WGAnswer.choices,
                coerce=int,
                widget=forms.RadioSelect,
            )

    answer_choices = WGAnswer.choices

    def answers(self) -> dict[str, int]:
        return {domain: self.cleaned_data[domain] for domain in WG_DOMAINS}


class VulnerabilityForm(forms.Form):
    type = forms.ChoiceField(label=_("Vulnerability"), choices=VulnerabilityType.choices)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=ConsentPurpose.choices)
    legal_basis = forms.ChoiceField(label=_("Legal basis"), choices=LegalBasis.choices, initial=LegalBasis.CONSENT)
    given_on = forms.DateField(label=_("Given on"), required=False, widget=date_input())

    def clean_given_on(self):
        given_on = self.cleaned_data["given_on"]
        if given_on and given_on > timezone.localdate():
            raise ValidationError(_("Consent cannot be given in the future."))
        return given_on


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AttachmentKind.choices)
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, JPEG or PNG, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )


# --- households -----------------------------------------------------------------------------------------------

MEMBER_RELATIONSHIPS = [(value, label) for value, label in Relationship.choices if value != Relationship.HEAD]


class HouseholdMemberAddForm(forms.Form):
    person = forms.CharField(max_length=24, widget=forms.HiddenInput)
    relationship = forms.ChoiceField(label=_("Relationship to the head"), choices=MEMBER_RELATIONSHIPS)


class HouseholdMemberForm(forms.Form):
    relationship = forms.ChoiceField(label=_("Relationship to the head"), choices=MEMBER_RELATIONSHIPS)


class HouseholdHeadForm(forms.Form):
    person = forms.ChoiceField(label=_("New head"))
    former_head_relationship = forms.ChoiceField(
        label=_("Former head's relationship to the new head"), choices=MEMBER_RELATIONSHIPS
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [
            (member.person.reference, member.person.full_name)
            for member in members
            if member.relationship != Relationship.HEAD
        ]
