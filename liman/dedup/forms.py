"""Forms of the duplicate pages: they parse and check input; the services write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import MatchStatus
from .models import MatchPair


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (MatchStatus.SAME_PERSON, _("Same person: merge the two records")),
            (MatchStatus.DIFFERENT_PEOPLE, _("Different people: keep both records")),
        ],
        widget=forms.RadioSelect,
    )
    survivor = forms.ChoiceField(
        label=_("Record to keep"),
        required=False,
        widget=forms.RadioSelect,
        help_text=_("When they are the same person: the other record becomes an alias of this one."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What settled it (a document, an interview, the household)."),
    )

    def __init__(self, *args, pair: MatchPair, **kwargs):
        super().__init__(*args, **kwargs)
        self.pair = pair
        older = pair.older_record
        self.fields["survivor"].choices = [
            (person.reference, f"{person.reference} · {person.office.code}")
            for person in (pair.person_l, pair.person_r)
        ]
        self.fields["survivor"].initial = older.reference

    def clean(self):
        data = super().clean()
        if data.get("decision") == MatchStatus.SAME_PERSON and not data.get("survivor"):
            data["survivor"] = self.pair.older_record.reference
        return data

    def survivor_person(self):
        reference = self.cleaned_data.get("survivor")
        for person in (self.pair.person_l, self.pair.person_r):
            if person.reference == reference:
                return person
        return None


class RunForm(forms.Form):
    office = forms.ChoiceField(label=_("People of"))

    def __init__(self, *args, offices, everywhere: bool, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(office.code, f"{office.code} · {office.name}") for office in offices]
        if everywhere:
            choices.insert(0, ("", _("Every office (pairs across offices too)")))
        self.fields["office"].choices = choices
        self.fields["office"].required = not everywhere


class ThresholdsForm(forms.Form):
    office = forms.CharField(widget=forms.HiddenInput, max_length=8)
    review = forms.FloatField(
        label=_("Review from"), min_value=0.01, max_value=1.0, widget=forms.NumberInput(attrs={"step": "0.01"})
    )
    auto_link = forms.FloatField(
        label=_("Likely the same person from"),
        min_value=0.01,
        max_value=1.0,
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )

    def clean(self):
        data = super().clean()
        review, auto_link = data.get("review"), data.get("auto_link")
        if review is not None and auto_link is not None and review > auto_link:
            self.add_error("review", _("The review threshold cannot be above the auto-link threshold."))
        return data
