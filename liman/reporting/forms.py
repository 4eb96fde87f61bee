"""Forms of the reporting pages: they parse; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from liman.core.models import AdminArea, Programme

from . import tagging


class ProjectDefaultForm(forms.Form):
    office = forms.ModelChoiceField(label=_("Office"), queryset=None)
    programme = forms.ModelChoiceField(label=_("Programme"), queryset=Programme.objects.all())
    project = forms.ModelChoiceField(label=_("Project"), queryset=None)

    def __init__(self, *args, offices, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices
        self.fields["project"].queryset = projects


class RetagForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of record"), choices=())
    reference = forms.CharField(label=_("Reference"), max_length=48, help_text=_("e.g. IST-7K3X9Q2M"))
    project = forms.ModelChoiceField(label=_("Belongs to project"), queryset=None)
    reason = forms.CharField(label=_("Why"), max_length=300)

    def __init__(self, *args, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(key, t.label) for key, t in tagging.installed().items()]
        self.fields["project"].queryset = projects


class DonorReportForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))
    summary = forms.CharField(label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    achievements = forms.CharField(label=_("Achievements"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    challenges = forms.CharField(label=_("Challenges and how they were met"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 4}))  # fmt: skip
    next_steps = forms.CharField(label=_("Next steps"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class StoryForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=160)
    text = forms.CharField(
        label=_("Story"), widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("No name, reference, telephone, address or identity number."),
    )  # fmt: skip
    province = forms.ModelChoiceField(label=_("Province"), required=False,
                                      queryset=AdminArea.objects.filter(level=1).order_by("name_en"))  # fmt: skip
    consent = forms.BooleanField(label=_("The person agreed to the story being told"), required=False)
