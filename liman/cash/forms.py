"""Forms of the cash pages: they parse and check input; the services write (and check the rules that move money)."""

from __future__ import annotations

from pathlib import PurePath

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import PaymentStatus
from .providers import provider_choices

RULE_HELP = _(
    "Written in the rule language: facts such as nationality, legal_status_current, household_size, "
    'has_disability, dependency_ratio, departed; comparisons (==, >=, in ["SYR", "AFG"]), and, or, not; '
    "for the value, arithmetic and “condition ? a : b”."
)


def _rule_field(label, initial_rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label,
        widget=forms.Textarea(attrs={"rows": initial_rows, "class": "rule", "spellcheck": "false"}),
        help_text=RULE_HELP,
    )


class ProgrammeForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=32, help_text=_("Short, unique: MPC-2026."))
    name = forms.CharField(label=_("Name"), max_length=160)
    offices = forms.ModelMultipleChoiceField(
        queryset=None, label=_("Offices"), widget=forms.CheckboxSelectMultiple,
        help_text=_("The offices it runs in: you prepare cash work in each of them."),
    )  # fmt: skip
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="TRY")
    eligibility = _rule_field(_("Eligibility rule"))
    transfer_value = _rule_field(_("Transfer value rule"))

    def __init__(self, *args, offices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offices"].queryset = offices

    def clean_code(self):
        from .models import CashProgramme

        code = self.cleaned_data["code"].strip().upper()
        if CashProgramme.objects.filter(code=code).exists():
            raise forms.ValidationError(_("A programme %(code)s exists already.") % {"code": code})
        return code

    def clean_currency(self):
        currency = self.cleaned_data["currency"].strip().upper()
        if not currency.isalpha() or len(currency) != 3:
            raise forms.ValidationError(_("A three-letter currency code (ISO 4217), such as TRY."))
        return currency


class RulesForm(forms.Form):
    eligibility = _rule_field(_("Eligibility rule"))
    transfer_value = _rule_field(_("Transfer value rule"))
    note = forms.CharField(
        label=_("What changed, and why"), max_length=300,
        help_text=_("Kept with the version: payments computed under it say which version they followed."),
    )  # fmt: skip


class TargetingForm(forms.Form):
    office = forms.ModelChoiceField(queryset=None, label=_("Households of"), empty_label=None)

    def __init__(self, *args, offices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices


class EnrolForm(forms.Form):
    """All the run's eligible households, or those ticked on the page (the service enrols only the run's eligible
    households, whatever is sent)."""

    scope = forms.ChoiceField(choices=[("all", _("Every eligible household")), ("selected", _("Those ticked"))])

    def household_ids(self) -> list[int] | None:
        if self.cleaned_data["scope"] == "all":
            return None
        return [int(value) for value in self.data.getlist("households") if value.isdigit()]

    def clean(self):
        data = super().clean()
        if data.get("scope") == "selected" and not self.household_ids():
            raise forms.ValidationError(_("Tick the households to enrol, or enrol every eligible household."))
        return data


class CycleForm(forms.Form):
    programme = forms.ModelChoiceField(queryset=None, label=_("Programme"), empty_label=None)
    office = forms.ModelChoiceField(queryset=None, label=_("Office"), empty_label=None)
    provider = forms.ChoiceField(label=_("Payment provider"), choices=())

    def __init__(self, *args, programmes, offices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes
        self.fields["office"].queryset = offices
        self.fields["provider"].choices = provider_choices()

    def clean(self):
        data = super().clean()
        programme, office = data.get("programme"), data.get("office")
        if programme and office and not programme.offices.filter(pk=office.pk).exists():
            self.add_error("office", _("%(programme)s does not run in %(office)s.")
                           % {"programme": programme.code, "office": office.code})  # fmt: skip
        return data


def _table_file(label, *, required: bool = True, help_text="") -> forms.FileField:
    field = forms.FileField(label=label, required=required, help_text=help_text)
    field.widget.attrs["accept"] = ".csv,.xlsx"
    return field


def _csv_or_xlsx(upload):
    if upload and PurePath(upload.name).suffix.lower() not in (".csv", ".xlsx"):
        raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
    return upload


class VerifyForm(forms.Form):
    partner_name = forms.CharField(
        label=_("Partner"), max_length=120, required=False, help_text=_("Whose beneficiary list it is.")
    )
    partner_file = _table_file(
        _("Partner's beneficiary file (optional)"),
        required=False,
        help_text=_(
            "CSV or XLSX with the columns record_id, first_name, father_name, family_name, sex, birth_date, "
            "nationality, phone, foreigner_id, household_id (as `liman dedup file` reads them)."
        ),
    )

    def clean_partner_file(self):
        return _csv_or_xlsx(self.cleaned_data.get("partner_file"))

    def clean(self):
        data = super().clean()
        if data.get("partner_file") and not data.get("partner_name", "").strip():
            self.add_error("partner_name", _("Name the partner whose list it is."))
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.TextInput(attrs={"size": 40}))


class ReportUploadForm(forms.Form):
    file = _table_file(
        _("Provider's report (CSV or XLSX)"),
        help_text=_(
            "Columns reference, amount, status (paid, failed, uncollected, or the provider's words), date "
            "(YYYY-MM-DD), transaction_id; a row TOTAL may give the sum."
        ),
    )

    def clean_file(self):
        return _csv_or_xlsx(self.cleaned_data["file"])


class CheckFileForm(forms.Form):
    file = forms.FileField(label=_("Payment file"))
    signature = forms.FileField(label=_("Its signature (.sig)"), required=False)
    signature_text = forms.CharField(
        label=_("or the signature, pasted"), required=False, max_length=200,
        widget=forms.TextInput(attrs={"size": 60, "spellcheck": "false"}),
    )  # fmt: skip

    def clean(self):
        data = super().clean()
        if not data.get("signature") and not data.get("signature_text", "").strip():
            raise forms.ValidationError(_("Give the signature: its .sig file, or the text in it."))
        return data

    def signature_value(self) -> str:
        upload = self.cleaned_data.get("signature")
        if upload:
            return upload.read(1000).decode("ascii", "replace").strip()
        return self.cleaned_data["signature_text"].strip()


PAYMENT_FILTERS = [("", _("All"))] + [(value, label) for value, label in PaymentStatus.choices]


class PdmDrawForm(forms.Form):
    size = forms.IntegerField(
        label=_("Households to ask"), min_value=1, help_text=_("Drawn at random among the households paid.")
    )
    stratified = forms.BooleanField(
        label=_("In proportion to each district"), required=False, initial=True,
        help_text=_("Each district gets its share of the sample, as of the households paid."),
    )  # fmt: skip
    seed = forms.IntegerField(
        label=_("Seed (optional)"), required=False, min_value=0, max_value=2**63 - 1,
        help_text=_("The same seed over the same paid list draws the same households; left blank, one is chosen "
                    "and kept."),
    )  # fmt: skip
