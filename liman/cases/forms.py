"""Forms of the case pages: they parse and check input; the services do the work."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from liman.core.choices import Sensitivity

from .choices import (
    AssessmentKind,
    CaseType,
    ClosureReason,
    ExploitationType,
    MeansOfControl,
    NoteKind,
    PartnerKind,
    RecruiterRelation,
    ReferralKind,
    RiskLevel,
    ServiceType,
    SharedField,
)


class DateInput(forms.DateInput):
    input_type = "date"


def _blank(choices) -> list:
    return [("", "—"), *choices]


class CaseOpenForm(forms.Form):
    type = forms.ChoiceField(label=_("Type of case"), choices=CaseType.choices)
    sensitivity = forms.ChoiceField(
        label=_("Sensitivity"),
        choices=[
            (Sensitivity.PROTECTION, Sensitivity.PROTECTION.label),
            (Sensitivity.NORMAL, Sensitivity.NORMAL.label),
        ],
        help_text=_("Counter-trafficking cases are always protection-sensitive."),
        required=False,
    )
    reason = forms.CharField(label=_("Why the case is opened"), max_length=500, required=False, widget=forms.Textarea)


class NoteForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=NoteKind.choices)
    occurred_on = forms.DateField(label=_("Date"), widget=DateInput, required=False)
    text = forms.CharField(label=_("Note"), widget=forms.Textarea)
    about_others = forms.BooleanField(
        label=_("Mentions other people / third-party information"),
        required=False,
        help_text=_(
            "Tick it when the note says what others said or is about others: it is then left out of what the "
            "person is given when they ask for their data."
        ),
    )


class AssessmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AssessmentKind.choices)
    assessed_on = forms.DateField(label=_("Assessed on"), widget=DateInput, required=False)
    risk_level = forms.ChoiceField(label=_("Risk level"), choices=_blank(RiskLevel.choices), required=False)
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea, required=False)


class PlanForm(forms.Form):
    goals = forms.CharField(label=_("Goals"), widget=forms.Textarea)


class PlannedServiceForm(forms.Form):
    service_type = forms.ChoiceField(label=_("Service"), choices=ServiceType.choices)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    provider = forms.CharField(label=_("Provided by"), max_length=200, required=False)
    target_on = forms.DateField(label=_("By"), widget=DateInput, required=False)


class DeliveryForm(forms.Form):
    service_type = forms.ChoiceField(label=_("Service"), choices=ServiceType.choices)
    planned = forms.TypedChoiceField(label=_("Planned service"), coerce=int, required=False, empty_value=None)
    delivered_on = forms.DateField(label=_("Delivered on"), widget=DateInput, required=False)
    provider = forms.CharField(label=_("Provided by"), max_length=200, required=False)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea, required=False)

    def __init__(self, *args, planned_services=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["planned"].choices = _blank([(service.pk, str(service)) for service in planned_services])


class FollowUpForm(forms.Form):
    due_on = forms.DateField(label=_("Due on"), widget=DateInput)
    purpose = forms.CharField(label=_("Purpose"), max_length=200)


class FollowUpDoneForm(forms.Form):
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000)


class TransitionForm(forms.Form):
    to_state = forms.CharField(max_length=32)
    reason = forms.CharField(label=_("Reason"), max_length=1000, required=False, widget=forms.Textarea)
    closure_reason = forms.ChoiceField(
        label=_("Why is the case closed?"), choices=_blank(ClosureReason.choices), required=False
    )


class AssignForm(forms.Form):
    owner = forms.CharField(label=_("Caseworker"), max_length=150)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class CountryField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        return value.strip().upper() if value else ""


class TraffickingFactsForm(forms.Form):
    identified_on = forms.DateField(label=_("Identified by the authority on"), widget=DateInput, required=False)
    exploitation_types = forms.MultipleChoiceField(
        label=_("Types of exploitation"),
        choices=ExploitationType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    means_of_control = forms.MultipleChoiceField(
        label=_("Means of control"), choices=MeansOfControl.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    recruiter_relation = forms.ChoiceField(
        label=_("Relation to the recruiter"), choices=_blank(RecruiterRelation.choices), required=False
    )
    country_of_exploitation = CountryField(
        label=_("Country of exploitation"), max_length=3, required=False, help_text=_("ISO code, e.g. TUR.")
    )
    trafficking_details = forms.CharField(label=_("What happened"), widget=forms.Textarea, required=False)


class ReturnFactsForm(forms.Form):
    declaration_signed_on = forms.DateField(
        label=_("Voluntary declaration signed on"), widget=DateInput, required=False
    )
    destination_country = CountryField(
        label=_("Return to"), max_length=3, required=False, help_text=_("ISO code, e.g. AFG.")
    )


class ReturnAssessmentForm(forms.Form):
    """Household members going back with the returnee, for health staff to assess before the flight."""

    people = forms.TypedMultipleChoiceField(
        label=_("Ask health staff to assess"), coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.people = list(people)
        self.fields["people"].choices = [(person.pk, person.full_name) for person in self.people]

    def chosen(self) -> list:
        wanted = set(self.cleaned_data["people"])
        return [person for person in self.people if person.pk in wanted]


class ReferralForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ReferralKind.choices)
    to_partner = forms.TypedChoiceField(
        label=_("To a partner organisation"), coerce=int, required=False, empty_value=None
    )
    to_office = forms.ChoiceField(label=_("Or to an office"), required=False)
    to_programme = forms.ChoiceField(label=_("and programme"), choices=_blank(CaseType.choices), required=False)
    service_type = forms.ChoiceField(label=_("Service needed"), choices=_blank(ServiceType.choices), required=False)
    summary = forms.CharField(label=_("Message to the receiver"), widget=forms.Textarea, required=False)
    shared_fields = forms.MultipleChoiceField(
        label=_("Share about the person"),
        choices=SharedField.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args, partners=(), offices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_partner"].choices = _blank([(partner.pk, str(partner)) for partner in partners])
        self.fields["to_office"].choices = _blank([(office.code, office.name) for office in offices])

    def clean(self):
        data = super().clean()
        to_partner, to_office = data.get("to_partner"), data.get("to_office")
        if to_partner and (to_office or data.get("to_programme")):
            raise forms.ValidationError(_("Refer either to a partner organisation or to an office, not both."))
        if not to_partner and not to_office:
            raise forms.ValidationError(_("Choose a partner organisation, or an office (and programme)."))
        if to_partner and data.get("kind") == ReferralKind.TRANSFER:
            raise forms.ValidationError(_("A case is transferred to another office; to a partner, send a referral."))
        if to_office and data.get("kind") == ReferralKind.REFERRAL and not data.get("to_programme"):
            raise forms.ValidationError(_("Choose the programme the referral goes to."))
        return data


class ReferralAnswerForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("accept", _("Accept")), ("decline", _("Decline")), ("delivered", _("Service delivered"))]
    )
    reason = forms.CharField(label=_("Reason or note"), widget=forms.Textarea, required=False)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "decline" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why the referral is declined: the referring caseworker reads it."))
        return data


class PartnerOrganisationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    acronym = forms.CharField(label=_("Acronym"), max_length=24, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=_blank(PartnerKind.choices))
    is_active = forms.BooleanField(
        label=_("Active"), required=False, initial=True, help_text=_("An inactive organisation receives no referrals.")
    )


class PartnerMemberForm(forms.Form):
    """A partner user to add to an organisation: only users holding the partner role, in the adder's offices."""

    user = forms.ModelChoiceField(label=_("Partner user"), queryset=None)

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = candidates
        self.fields["user"].label_from_instance = lambda user: f"{user.display_name} ({user.username})"
