"""Forms of the activity pages: they parse; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from liman.registry.choices import LegalBasis

from .choices import ActivityType, AgeGroup, Institution, PopulationGroup, Sex


class DateInput(forms.DateInput):
    input_type = "date"


class ActivityForm(forms.Form):
    office = forms.ModelChoiceField(label=_("Office"), queryset=None)
    type = forms.ChoiceField(label=_("Type"), choices=ActivityType.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    programme = forms.ModelChoiceField(label=_("Programme"), queryset=None)
    district = forms.CharField(
        label=_("District (p-code or name)"), max_length=60, required=False, help_text=_("e.g. TUR035001 or Ayvalık")
    )
    venue = forms.CharField(label=_("Venue"), max_length=200, required=False)
    starts_on = forms.DateField(label=_("Starts"), widget=DateInput)
    ends_on = forms.DateField(label=_("Ends"), widget=DateInput)
    facilitators = forms.CharField(label=_("Facilitators"), max_length=300, required=False)
    target_group = forms.CharField(label=_("Target group"), max_length=200, required=False)
    completion_percent = forms.IntegerField(
        # xgettext:no-python-format
        label=_("Completion rule (% of sessions)"),
        min_value=1,
        max_value=100,
        initial=80,
    )
    trained_facilitator = forms.ModelChoiceField(
        label=_("Facilitator trained in an earlier activity"), queryset=None, required=False,
        help_text=_("Training of trainers: a participant who completed an earlier activity."),
    )  # fmt: skip

    def __init__(self, *args, offices, trainers, **kwargs):
        from liman.core.models import Programme

        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices
        if offices.count() == 1:
            self.fields["office"].initial = offices.first()
        self.fields["programme"].queryset = Programme.objects.all()
        self.fields["programme"].initial = Programme.objects.filter(code="livelihoods").first()
        self.fields["trained_facilitator"].queryset = trainers
        self.fields["trained_facilitator"].label_from_instance = lambda p: f"{p.name} · {p.activity.title}"

    def clean_district(self):
        from liman.core.models import AdminArea

        value = self.cleaned_data["district"].strip()
        if not value:
            return None
        try:
            return AdminArea.objects.resolve(value, level=AdminArea.Level.DISTRICT)
        except (AdminArea.DoesNotExist, AdminArea.MultipleObjectsReturned) as exc:
            raise forms.ValidationError(str(exc)) from exc


class SessionForm(forms.Form):
    held_on = forms.DateField(label=_("Date"), widget=DateInput)
    topic = forms.CharField(label=_("Topic"), max_length=200, required=False)
    hours = forms.DecimalField(label=_("Hours"), min_value=0, max_value=24, decimal_places=1, initial=2)


class ConsentFields(forms.Form):
    """Consent at entry, or the other legal basis and where it is documented."""

    legal_basis = forms.ChoiceField(
        label=_("Legal basis"), choices=LegalBasis.choices, initial=LegalBasis.CONSENT,
        help_text=_("Consent to take part (attendance, certificate, counts); another basis only when documented."),
    )  # fmt: skip
    basis_note = forms.CharField(
        label=_("Other basis documented"), max_length=300, required=False,
        help_text=_("Without consent: what the basis is and where it is documented."),
    )  # fmt: skip

    def clean(self):
        data = super().clean()
        if data.get("legal_basis") not in (None, LegalBasis.CONSENT) and not (data.get("basis_note") or "").strip():
            self.add_error("basis_note", _("Without consent, say what the other basis is and where it is documented."))
        return data


class PersonParticipantForm(ConsentFields):
    person = forms.CharField(label=_("Registered person (reference)"), max_length=24, help_text=_("e.g. IST-7K3X9Q2M"))
    organisation = forms.CharField(label=_("Organisation"), max_length=200, required=False)
    position = forms.CharField(label=_("Position"), max_length=200, required=False)
    field_order = ["person", "organisation", "position", "legal_basis", "basis_note"]


class LightParticipantForm(ConsentFields):
    name = forms.CharField(label=_("Name"), max_length=200)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    age_group = forms.ChoiceField(label=_("Age group"), choices=AgeGroup.choices, initial=AgeGroup.ADULTS)
    population_group = forms.ChoiceField(label=_("Population group"), choices=PopulationGroup.choices)
    nationality = forms.CharField(
        label=_("Nationality (ISO code)"), max_length=3, required=False, help_text=_("e.g. SYR; TUR for host community")
    )
    institution = forms.ChoiceField(
        label=_("Institution (officials)"), choices=[("", "—"), *Institution.choices], required=False
    )
    organisation = forms.CharField(label=_("Organisation"), max_length=200, required=False)
    position = forms.CharField(label=_("Position"), max_length=200, required=False)
    field_order = ["name", "sex", "age_group", "population_group", "nationality", "institution", "organisation",
                   "position", "legal_basis", "basis_note"]  # fmt: skip


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Why it is cancelled"), max_length=300)


class EquipmentForm(forms.Form):
    office = forms.ModelChoiceField(label=_("Office"), queryset=None)
    institution = forms.ChoiceField(label=_("Institution"), choices=Institution.choices)
    unit = forms.CharField(label=_("Receiving unit"), max_length=200)
    item = forms.CharField(label=_("Item"), max_length=200)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1)
    unit_value = forms.DecimalField(label=_("Unit value"), max_digits=12, decimal_places=2, required=False)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="USD")
    donor_project = forms.CharField(label=_("Donor project"), max_length=120)
    handed_over_on = forms.DateField(label=_("Handed over on"), widget=DateInput)
    activity = forms.CharField(label=_("With the training (reference)"), max_length=24, required=False)

    def __init__(self, *args, offices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices
        if offices.count() == 1:
            self.fields["office"].initial = offices.first()
