"""Forms of the grant pages: they parse; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import Registration, Sector, TaxKind


class DateInput(forms.DateInput):
    input_type = "date"


class CallForm(forms.Form):
    office = forms.ModelChoiceField(label=_("Office"), queryset=None)
    title = forms.CharField(label=_("Title"), max_length=200)
    opens_on = forms.DateField(label=_("Opens"), widget=DateInput)
    closes_on = forms.DateField(label=_("Closes"), widget=DateInput)
    max_amount = forms.DecimalField(label=_("Largest grant"), max_digits=12, decimal_places=2, min_value=1)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="TRY")
    donor_project = forms.CharField(label=_("Donor project"), max_length=120, required=False)

    def __init__(self, *args, offices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices
        if offices.count() == 1:
            self.fields["office"].initial = offices.first()


class CriterionForm(forms.Form):
    name = forms.CharField(label=_("Criterion"), max_length=200)
    weight = forms.IntegerField(label=_("Weight (%)"), min_value=1, max_value=100)
    max_score = forms.IntegerField(label=_("Highest score"), min_value=1, max_value=100, initial=10)


class PanelForm(forms.Form):
    username = forms.CharField(label=_("Panel member (user name)"), max_length=150)


EMPLOYEE_FIELDS = [
    (f"{group}_{sex}", label)
    for group, group_label in (("syrian", _("Syrian")), ("other", _("other foreign")), ("turkish", _("Turkish")))
    for sex, label in (("f", f"{group_label} · {_('women')}"), ("m", f"{group_label} · {_('men')}"))
]


class ApplicationForm(forms.Form):
    business_name = forms.CharField(label=_("Business"), max_length=200)
    owner = forms.CharField(label=_("Owner: registered person (reference)"), max_length=24, required=False,
                            help_text=_("Or leave empty and give the owner's name, sex and nationality."))  # fmt: skip
    owner_name = forms.CharField(label=_("Owner's name"), max_length=200, required=False)
    owner_sex = forms.ChoiceField(label=_("Owner's sex"), choices=[("", "—"), ("F", _("Female")), ("M", _("Male"))],
                                  required=False)  # fmt: skip
    owner_nationality = forms.CharField(label=_("Owner's nationality (ISO code)"), max_length=3, required=False)
    sector = forms.ChoiceField(label=_("Sector"), choices=Sector.choices)
    registration = forms.ChoiceField(label=_("Registration"), choices=Registration.choices)
    tax_kind = forms.ChoiceField(label=_("Tax number kind"), choices=[("", "—"), *TaxKind.choices], required=False)
    tax_number = forms.CharField(label=_("Tax number"), max_length=11, required=False)
    requested_amount = forms.DecimalField(label=_("Amount requested"), max_digits=12, decimal_places=2, min_value=1)
    plan = forms.CharField(label=_("Business plan"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in EMPLOYEE_FIELDS:
            self.fields[f"employees_{name}"] = forms.IntegerField(
                label=_("Employees: %(who)s") % {"who": label}, min_value=0, initial=0, required=False
            )

    def clean(self):
        data = super().clean()
        if not data.get("owner") and not (data.get("owner_name") and data.get("owner_sex")
                                          and data.get("owner_nationality")):  # fmt: skip
            raise forms.ValidationError(_("Give the owner's registry reference, or their name, sex and nationality."))
        return data


class ConflictForm(forms.Form):
    note = forms.CharField(label=_("What the conflict is"), max_length=300)


class AgreementForm(forms.Form):
    amount = forms.DecimalField(label=_("Grant"), max_digits=12, decimal_places=2, min_value=1)
    signed_on = forms.DateField(label=_("Signed"), widget=DateInput)
    tranches = forms.CharField(
        label=_("Tranches"), widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One a line: amount; milestone (e.g. 30000; equipment bought and invoiced)."),
    )  # fmt: skip

    def clean_tranches(self):
        from decimal import Decimal, InvalidOperation

        parsed = []
        for number, line in enumerate(self.cleaned_data["tranches"].splitlines(), 1):
            if not line.strip():
                continue
            amount, _sep, milestone = line.partition(";")
            try:
                parsed.append((Decimal(amount.strip().replace(",", "")), milestone.strip()))
            except InvalidOperation as exc:
                raise forms.ValidationError(
                    _("Line %(number)d: “%(amount)s” is not an amount.") % {"number": number, "amount": amount.strip()}
                ) from exc
        return parsed


class MilestoneForm(forms.Form):
    evidence = forms.CharField(label=_("Evidence"), max_length=300)
    met_on = forms.DateField(label=_("Met on"), widget=DateInput)


class PaymentForm(forms.Form):
    paid_on = forms.DateField(label=_("Paid on"), widget=DateInput)
    payment_reference = forms.CharField(label=_("Payment reference"), max_length=60)


class PayableForm(forms.Form):
    provider = forms.ChoiceField(label=_("Payment provider"), choices=())

    def __init__(self, *args, **kwargs):
        from liman.cash.providers import provider_choices

        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = provider_choices()


class VisitForm(forms.Form):
    visited_on = forms.DateField(label=_("Visited"), widget=DateInput)
    jobs_created = forms.IntegerField(label=_("Jobs created"), min_value=0, initial=0)
    jobs_retained = forms.IntegerField(label=_("Jobs retained"), min_value=0, initial=0)
    still_operating = forms.BooleanField(label=_("Business operating"), required=False, initial=True)
    note = forms.CharField(label=_("What was seen"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


# --- employment -----------------------------------------------------------------------------------------------


class EmployerForm(forms.Form):
    office = forms.ModelChoiceField(label=_("Office"), queryset=None)
    name = forms.CharField(label=_("Employer"), max_length=200)
    tax_number = forms.CharField(label=_("Tax number (VKN)"), max_length=10, required=False)
    province = forms.ModelChoiceField(label=_("Province of the workplace"), queryset=None)
    sector = forms.ChoiceField(label=_("Sector"), choices=Sector.choices)
    turkish_employees = forms.IntegerField(label=_("Turkish citizens employed"), min_value=0, initial=0)
    quota_exception = forms.BooleanField(
        label=_("İŞKUR quota exception"), required=False,
        help_text=_("İŞKUR found no Turkish citizen for the job: the 10 % quota does not apply."),
    )  # fmt: skip

    def __init__(self, *args, offices, **kwargs):
        from liman.core.models import AdminArea

        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices
        self.fields["province"].queryset = AdminArea.objects.provinces().order_by("name_en")
        if offices.count() == 1:
            only = offices.first()
            self.fields["office"].initial = only
            self.fields["province"].initial = only.province_id


class SeekerForm(forms.Form):
    person = forms.CharField(label=_("Person (registry reference)"), max_length=24)
    skills = forms.CharField(label=_("Skills"), max_length=300)
    languages = forms.CharField(label=_("Languages"), max_length=100, required=False,
                                help_text=_("e.g. ar, tr (B1), en"))  # fmt: skip


class VacancyForm(forms.Form):
    title = forms.CharField(label=_("Job"), max_length=200)
    positions = forms.IntegerField(label=_("Positions"), min_value=1, initial=1)
    monthly_wage = forms.DecimalField(label=_("Monthly wage (TRY, gross)"), max_digits=10, decimal_places=2,
                                      min_value=0)  # fmt: skip
    seasonal_agriculture = forms.BooleanField(label=_("Seasonal agriculture or livestock"), required=False)


class ReferForm(forms.Form):
    vacancy = forms.ModelChoiceField(label=_("Vacancy"), queryset=None)

    def __init__(self, *args, vacancies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vacancy"].queryset = vacancies


class PlaceForm(forms.Form):
    started_on = forms.DateField(label=_("Started"), widget=DateInput)
    monthly_wage = forms.DecimalField(label=_("Monthly wage (TRY, gross)"), max_digits=10, decimal_places=2,
                                      min_value=0)  # fmt: skip


class NotHiredForm(forms.Form):
    reason = forms.CharField(label=_("Why not"), max_length=300)


class FollowUpForm(forms.Form):
    done_on = forms.DateField(label=_("Done on"), widget=DateInput)
    still_employed = forms.TypedChoiceField(
        label=_("Still employed"), choices=[("yes", _("Yes")), ("no", _("No"))], coerce=lambda value: value == "yes"
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class PermitPrepareForm(forms.Form):
    monthly_wage = forms.DecimalField(label=_("Monthly wage (TRY, gross)"), max_digits=10, decimal_places=2,
                                      min_value=0)  # fmt: skip
    seasonal_agriculture = forms.BooleanField(
        label=_("Seasonal agriculture or livestock (an exemption, not a permit)"), required=False
    )


class PermitSubmitForm(forms.Form):
    submitted_on = forms.DateField(label=_("Submitted by the employer on"), widget=DateInput)


class PermitDecideForm(forms.Form):
    granted = forms.TypedChoiceField(
        label=_("Decision"), choices=[("yes", _("Granted")), ("no", _("Refused"))], coerce=lambda value: value == "yes"
    )
    decided_on = forms.DateField(label=_("Decided on"), widget=DateInput)
    reference = forms.CharField(label=_("Permit (or exemption) reference"), max_length=60, required=False)
    reason = forms.CharField(label=_("Reason given"), max_length=300, required=False)
