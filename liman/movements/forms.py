"""Forms of the resettlement and movement pages: they parse and check input; the services write."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liman.core.widgets import QuickSelect

from .choices import (
    RESETTLEMENT_COUNTRIES,
    CaseState,
    Decision,
    HoldReason,
    InterviewOutcome,
    ReunificationDecision,
)
from .models import ProcessingPartner, country_label


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def destination_choices(blank: str | None = None) -> list:
    choices = [(code, country_label(code)) for code in RESETTLEMENT_COUNTRIES]
    return ([("", blank)] if blank is not None else []) + choices


def flight_destination_choices() -> list:
    """Resettlement countries first, then every country: an AVRR return flies to the returnee's country."""
    from liman.registry.forms import country_choices

    return [(_("Resettlement countries"), destination_choices()), *country_choices()]


class OfficeChoiceMixin:
    def _offices(self, offices) -> None:
        self.fields["office"] = forms.ModelChoiceField(
            label=_("Office"), queryset=None, empty_label=None, required=True
        )
        from liman.core.models import Office

        self.fields["office"].queryset = Office.objects.filter(pk__in=[office.pk for office in offices])
        self.fields["office"].initial = offices[0].pk if offices else None
        self.order_fields(["office"])


class CaseOpenForm(forms.Form):
    country = forms.ChoiceField(label=_("Resettlement country"))
    unhcr_reference = forms.CharField(label=_("UNHCR case number"), required=False, max_length=40)
    country_case_id = forms.CharField(label=_("Resettlement-country case ID"), required=False, max_length=40)
    referred_on = forms.DateField(label=_("Referred on"), widget=DateInput, initial=timezone.localdate)
    with_household = forms.BooleanField(
        label=_("The whole household travels on the case"), required=False, initial=True
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = destination_choices(blank="—")


class StepForm(forms.Form):
    to_state = forms.ChoiceField(choices=CaseState.choices, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)
    hold_reason = forms.ChoiceField(
        label=_("On hold because of"), choices=[("", "—"), *HoldReason.choices], required=False
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=Decision.choices)
    decided_on = forms.DateField(label=_("Decided on"), widget=DateInput, initial=timezone.localdate)
    reason = forms.CharField(label=_("Note"), required=False, max_length=500)


class _TravellerForm(forms.Form):
    def __init__(self, *args, travellers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"] = forms.TypedChoiceField(
            label=_("Traveller"), choices=[(p.pk, p.full_name) for p in travellers], coerce=int
        )
        self.order_fields(["person"])


class VisaForm(_TravellerForm):
    number = forms.CharField(label=_("Visa number"), required=False, max_length=40)
    issued_on = forms.DateField(label=_("Issued on"), widget=DateInput)
    valid_until = forms.DateField(label=_("Valid until"), widget=DateInput)


class ExitRequestForm(_TravellerForm):
    requested_on = forms.DateField(label=_("Requested on"), widget=DateInput, initial=timezone.localdate)
    authority_reference = forms.CharField(label=_("Authority's reference"), required=False, max_length=60)


class ExitGrantForm(forms.Form):
    granted_on = forms.DateField(label=_("Granted on"), widget=DateInput, initial=timezone.localdate)
    valid_until = forms.DateField(label=_("Valid until"), widget=DateInput)

    def __init__(self, *args, permissions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["permission"] = forms.TypedChoiceField(
            label=_("Traveller"), choices=[(p.pk, p.person.full_name) for p in permissions], coerce=int
        )
        self.order_fields(["permission"])


class PromissoryNoteForm(_TravellerForm):
    signed_on = forms.DateField(label=_("Signed on"), widget=DateInput, initial=timezone.localdate)
    amount = forms.DecimalField(label=_("Amount (USD)"), required=False, max_digits=10, decimal_places=2)


class AssuranceForm(forms.Form):
    agency = forms.CharField(label=_("Resettlement agency"), max_length=200)
    received_on = forms.DateField(label=_("Received on"), widget=DateInput, initial=timezone.localdate)


class StepPartnerForm(forms.Form):
    step = forms.ChoiceField(label=_("Step"), choices=CaseState.choices)
    partner = forms.ModelChoiceField(label=_("Partner"), queryset=ProcessingPartner.objects.all())
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class BookingForm(forms.Form):
    """Choose the flight and the travellers; each traveller may need an escort and a MEDIF date (the help each
    needs on the way, from their medical clearance, is shown beside them: `needs` maps person id to it)."""

    def __init__(self, *args, flights=(), travellers=(), needs=None, initial_travellers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.travellers = list(travellers)
        needs = needs or {}
        self.fields["flight"] = forms.ChoiceField(label=_("Flight"), choices=[(f.reference, str(f)) for f in flights])
        self.fields["travellers"] = forms.TypedMultipleChoiceField(
            label=_("Travellers"),
            choices=[(p.pk, p.full_name) for p in self.travellers],
            coerce=int,
            widget=forms.CheckboxSelectMultiple,
            initial=[p.pk for p in self.travellers] if initial_travellers is None else initial_travellers,
        )
        for person in self.travellers:
            person_needs = needs.get(person.pk)
            self.fields[f"escort_{person.pk}"] = forms.CharField(
                label=_("Escort for %(name)s") % {"name": person.full_name},
                required=False,
                max_length=120,
                help_text=_("Needs during travel: %(needs)s.") % {"needs": ", ".join(person_needs.labels)}
                if person_needs
                else "",
            )
            self.fields[f"medif_{person.pk}"] = forms.DateField(
                label=_("MEDIF approved on, for %(name)s") % {"name": person.full_name},
                required=False,
                widget=DateInput,
            )

    def traveller_bookings(self) -> list:
        """The travellers ticked, each with the escort and MEDIF date given for them."""
        from .services import TravellerBooking

        chosen = set(self.cleaned_data["travellers"])
        return [
            TravellerBooking(
                person=person,
                escort_name=self.cleaned_data.get(f"escort_{person.pk}") or "",
                medif_received_on=self.cleaned_data.get(f"medif_{person.pk}"),
            )
            for person in self.travellers
            if person.pk in chosen
        ]


class SplitApprovalForm(forms.Form):
    reason = forms.CharField(label=_("Why the family travels apart"), max_length=300)

    def __init__(self, *args, flights=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["flight"] = forms.ChoiceField(label=_("Flight"), choices=[(f.reference, str(f)) for f in flights])
        self.order_fields(["flight"])


class MissionForm(OfficeChoiceMixin, forms.Form):
    country = forms.ChoiceField(label=_("Country"))
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput)
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput)
    place = forms.CharField(label=_("Place"), max_length=200)
    interviewers = forms.CharField(label=_("Interviewers"), required=False, help_text=_("Names, separated by commas."))
    interpreters = forms.CharField(label=_("Interpreters"), required=False, help_text=_("Names, separated by commas."))

    def __init__(self, *args, offices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = destination_choices()
        self._offices(offices)

    def names(self, field: str) -> list[str]:
        return [name.strip() for name in self.cleaned_data.get(field, "").split(",") if name.strip()]


class SlotForm(forms.Form):
    case = forms.CharField(label=_("Case reference"), max_length=24)
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DateTimeInput)
    room = forms.CharField(label=_("Room"), required=False, max_length=60)
    interviewer = forms.CharField(label=_("Interviewer"), required=False, max_length=120)
    interpreter = forms.CharField(label=_("Interpreter"), required=False, max_length=120)
    language = forms.CharField(label=_("Language"), required=False, max_length=40)


class OutcomeForm(forms.Form):
    slot = forms.IntegerField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[c for c in InterviewOutcome.choices if c[0] != InterviewOutcome.SCHEDULED]
    )


class SessionForm(OfficeChoiceMixin, forms.Form):
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput)
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput)
    place = forms.CharField(label=_("Place"), max_length=200)
    facilitator = forms.CharField(label=_("Facilitator"), required=False, max_length=120)

    def __init__(self, *args, offices=(), courses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"] = forms.ModelChoiceField(label=_("Course"), queryset=courses, empty_label=None)
        self._offices(offices)
        self.order_fields(["office", "course"])


class AttendanceForm(forms.Form):
    person = forms.CharField(label=_("Person reference"), max_length=24)
    hours_attended = forms.DecimalField(label=_("Hours attended"), min_value=0, max_digits=5, decimal_places=1)


class LegForm(forms.Form):
    carrier = forms.CharField(label=_("Carrier"), max_length=60)
    flight_number = forms.CharField(label=_("Flight number"), max_length=10)
    origin = forms.CharField(label=_("From (IATA)"), max_length=3, min_length=3)
    destination = forms.CharField(label=_("To (IATA)"), max_length=3, min_length=3)
    departs_at = forms.DateTimeField(label=_("Departs at"), widget=DateTimeInput)
    arrives_at = forms.DateTimeField(label=_("Arrives at"), widget=DateTimeInput)


class FlightForm(OfficeChoiceMixin, LegForm):
    destination_country = forms.ChoiceField(label=_("Destination country"), widget=QuickSelect)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args, offices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["destination_country"].choices = flight_destination_choices()
        self._offices(offices)
        self.order_fields(["office", "destination_country"])


class DepartureForm(forms.Form):
    def __init__(self, *args, bookings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["no_shows"] = forms.TypedMultipleChoiceField(
            label=_("Did not show up"),
            choices=[(b.person_id, b.person.full_name) for b in bookings],
            coerce=int,
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )


class ReunificationOpenForm(forms.Form):
    country = forms.ChoiceField(label=_("Country of the family member"))
    is_fap = forms.BooleanField(label=_("Family Assistance Programme (Germany)"), required=False)
    sponsor_name = forms.CharField(label=_("Family member abroad"), required=False, max_length=200)
    appointment_on = forms.DateField(label=_("First appointment on"), widget=DateInput, initial=timezone.localdate)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = destination_choices()


class ReunificationUpdateForm(forms.Form):
    documents_ready_on = forms.DateField(label=_("Documents ready on"), required=False, widget=DateInput)
    consulate_appointment_on = forms.DateField(label=_("Consulate appointment on"), required=False, widget=DateInput)
    submitted_on = forms.DateField(label=_("Submitted on"), required=False, widget=DateInput)
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("", "—"), *ReunificationDecision.choices], required=False
    )
    decided_on = forms.DateField(label=_("Decided on"), required=False, widget=DateInput)
