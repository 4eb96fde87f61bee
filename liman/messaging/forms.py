"""Forms of the messaging pages: they parse; the services decide."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liman.core.messages import LANGUAGE_NAMES, LANGUAGES, RIGHT_TO_LEFT, MessageKind, template_problems
from liman.registry.choices import LegalBasis

from .choices import LANGUAGE_CHOICES, Channel, ConsentHow, OptOutHow


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ContactPreferenceForm(forms.Form):
    language = forms.ChoiceField(label=_("Preferred language"), choices=LANGUAGE_CHOICES)
    channel = forms.ChoiceField(
        label=_("Preferred channel"),
        choices=Channel.choices,
        initial=Channel.SMS,
        help_text=_("Until a WhatsApp gateway is set up, messages go by SMS."),
    )
    consent_on = forms.DateField(
        label=_("Agreed to be contacted on"),
        required=False,
        widget=DateInput(),
        help_text=_(
            "Only when the person said yes: it is recorded as their consent for contact on the person page. "
            "Messages are never sent without it."
        ),
    )
    consent_how = forms.ChoiceField(
        label=_("How they agreed"), choices=[("", "—"), *ConsentHow.choices], required=False
    )
    legal_basis = forms.ChoiceField(
        label=_("Legal basis"), choices=LegalBasis.choices, initial=LegalBasis.CONSENT, required=False
    )

    def clean(self):
        data = super().clean()
        data["legal_basis"] = data.get("legal_basis") or LegalBasis.CONSENT
        if data.get("consent_on") and data.get("legal_basis") == LegalBasis.CONSENT and not data.get("consent_how"):
            self.add_error("consent_how", _("Say how the person agreed to be contacted."))
        if data.get("consent_on") and data["consent_on"] > timezone.localdate():
            self.add_error("consent_on", _("Consent cannot be dated in the future."))
        return data


class OptOutForm(forms.Form):
    how = forms.ChoiceField(label=_("How they asked to stop"), choices=OptOutHow.choices, initial=OptOutHow.CALL)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Why"), max_length=300)


class TemplatesForm(forms.Form):
    """The text of one kind in every language; each is checked for the kind's placeholders, naming them."""

    def __init__(self, *args, kind: MessageKind, texts: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        for language in LANGUAGES:
            attrs = {"rows": 4, "lang": language, "dir": "rtl" if language in RIGHT_TO_LEFT else "ltr"}
            self.fields[language] = forms.CharField(
                label=LANGUAGE_NAMES[language],
                initial=texts.get(language, ""),
                widget=forms.Textarea(attrs=attrs),
                strip=True,
            )

    def clean(self):
        data = super().clean()
        for language in LANGUAGES:
            text = data.get(language)
            if text is None:
                continue
            for problem in template_problems(text, self.kind.placeholders):
                self.add_error(language, problem)
        return data


class SendForm(forms.Form):
    """The values of a kind's placeholders (the name comes from the person)."""

    def __init__(self, *args, kind: MessageKind, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        for name in kind.placeholders:
            if name == "name":
                continue
            if name == "date":
                self.fields[name] = forms.DateField(label=_("Date"), widget=DateInput())
            else:
                self.fields[name] = forms.CharField(label=f"{{{name}}}", max_length=120)
