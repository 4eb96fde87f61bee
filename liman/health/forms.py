"""Forms of the health pages: they parse and check input; the services write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import TravelNeed
from .models import HealthAssessment
from .services import FINDING_FIELDS


class DateInput(forms.DateInput):
    input_type = "date"


class FindingsForm(forms.ModelForm):
    """What health staff record during the assessment."""

    travel_needs = forms.MultipleChoiceField(
        label=_("Needs during travel"),
        choices=TravelNeed.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Oxygen, a stretcher or a medical escort also need the airline medical form (MEDIF)."),
    )
    fit_to_travel = forms.NullBooleanField(
        label=_("Fit to travel"),
        required=False,
        widget=forms.NullBooleanSelect(),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # NullBooleanSelect shows the stored value again (a plain Select lost it, and saving wiped it).
        self.fields["fit_to_travel"].widget.choices = [
            ("unknown", _("Not decided")),
            ("true", _("Yes")),
            ("false", _("No")),
        ]

    class Meta:
        model = HealthAssessment
        fields = list(FINDING_FIELDS)
        widgets = {
            "assessed_on": DateInput,
            "medical_history": forms.Textarea(attrs={"rows": 3}),
            "examination": forms.Textarea(attrs={"rows": 3}),
            "vaccinations": forms.Textarea(attrs={"rows": 2}),
        }

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in FINDING_FIELDS if name in self.changed_data}


class ClearForm(forms.Form):
    valid_until = forms.DateField(label=_("Clearance valid until"), widget=DateInput)


class HoldForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the medical hold"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only health staff read this."),
    )


class FitToFlyForm(forms.Form):
    is_fit = forms.TypedChoiceField(
        label=_("Result"),
        choices=[("yes", _("Fit to fly")), ("no", _("Not fit to fly"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
