"""Forms of the feedback pages: they parse; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import Category, Channel, Priority


class FeedbackForm(forms.Form):
    office = forms.ModelChoiceField(label=_("Office"), queryset=None)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    category = forms.ChoiceField(
        label=_("Category"),
        choices=Category.choices,
        help_text=_(
            "Sexual exploitation and abuse, fraud and staff conduct go to the PSEA focal points only: once saved, "
            "you will not see the complaint again."
        ),
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    summary = forms.CharField(label=_("What the person said"), widget=forms.Textarea(attrs={"rows": 5}))
    anonymous = forms.BooleanField(label=_("Anonymous (keep no name or contact)"), required=False)
    person = forms.CharField(
        label=_("Registered person (reference)"), max_length=24, required=False, help_text=_("e.g. IST-7K3X9Q2M")
    )
    contact = forms.CharField(label=_("How to reach them"), max_length=200, required=False)
    about_staff = forms.CharField(
        label=_("Staff member it names (user name)"), max_length=150, required=False,
        help_text=_("Kept for the focal points; the complaint is never given to this person."),
    )  # fmt: skip
    #: The record it is about ("app_label.model:id", e.g. from a payment's "Record a complaint" link).
    about = forms.CharField(required=False, max_length=80, widget=forms.HiddenInput)

    def __init__(self, *args, offices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices
        if offices.count() == 1:
            self.fields["office"].initial = offices.first()


class TriageForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)


class AssignForm(forms.Form):
    to = forms.ModelChoiceField(label=_("Assign to"), queryset=None)

    def __init__(self, *args, handlers, **kwargs):
        super().__init__(*args, **kwargs)
        from liman.core.models import User

        self.fields["to"].queryset = User.objects.filter(pk__in=[u.pk for u in handlers]).order_by("username")


class ResolveForm(forms.Form):
    resolution = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}))
    referred_to = forms.ModelChoiceField(
        label=_("Referred to (partner)"), queryset=None, required=False,
        help_text=_("Leave empty when it was resolved by the mission."),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from liman.cases.models import PartnerOrganisation

        self.fields["referred_to"].queryset = PartnerOrganisation.objects.filter(is_active=True).order_by("name")


class RespondForm(forms.Form):
    response = forms.CharField(label=_("The answer given to the person"), widget=forms.Textarea(attrs={"rows": 3}))
