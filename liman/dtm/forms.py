"""Web forms of field data and DTM: upload an XLSForm, bind it, create field users, operations and rounds."""

from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from liman.core.forms import SheetChoiceForm
from liman.core.models import AdminArea

from . import targets
from .choices import AssessmentType, FormTarget, OperationKind, PopulationGroup

XLSFORM_MAX_BYTES = 5 * 1024 * 1024


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


def _office_field(offices) -> forms.ModelChoiceField:
    from liman.core.models import Office

    return forms.ModelChoiceField(
        label=_("Office"),
        queryset=Office.objects.filter(pk__in=[office.pk for office in offices]),
        initial=offices[0].pk if len(offices) == 1 else None,
        to_field_name="code",
    )


class XLSFormUploadForm(forms.Form):
    file = forms.FileField(label=_("XLSForm (.xlsx)"))
    media = MultipleFileField(
        label=_("Media files (optional)"),
        required=False,
        help_text=_("Images, audio or CSV files the form uses; listed in its manifest for Collect to download."),
    )

    def __init__(self, *args, offices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if offices is not None:
            self.fields = {"office": _office_field(offices), **self.fields}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".xls")):
            raise forms.ValidationError(_("Upload the XLSForm as an Excel file (.xlsx)."))
        if upload.size > XLSFORM_MAX_BYTES:
            raise forms.ValidationError(_("An XLSForm of more than 5 MB is not accepted."))
        return upload


class FormBindingForm(forms.Form):
    """The target of a form and, for each of the target's fields, the question that feeds it."""

    target = forms.ChoiceField(label=_("Each submission becomes"), choices=FormTarget.choices)
    operation = forms.ModelChoiceField(label=_("Operation"), queryset=None, required=False)
    round = forms.ModelChoiceField(label=_("Round"), queryset=None, required=False)
    is_individual_level = forms.BooleanField(
        label=_("Individual-level data (published only in cells of at least k people)"), required=False
    )

    def __init__(self, *args, form_fields: list[dict], target: str, operations, rounds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operation"].queryset = operations
        self.fields["round"].queryset = rounds
        self.target = target
        questions = [("", _("— not mapped —"))]
        repeats = [("", _("— no repeat: one entry from the questions outside repeats —"))]
        for entry in form_fields:
            label = f"{entry['path']} · {entry['label']}"
            (repeats if entry["type"] == "repeat" else questions).append((entry["path"], label))
        self.mapping_fields = []
        for spec in targets.fields_for(target):
            name = f"map__{spec.key}"
            self.fields[name] = forms.ChoiceField(
                label=spec.label, choices=repeats if spec.kind == "repeat" else questions, required=False
            )
            self.mapping_fields.append((spec, name))

    def clean(self):
        cleaned = super().clean()
        round_ = cleaned.get("round")
        operation = cleaned.get("operation")
        if round_ is not None and operation is not None and round_.operation_id != operation.pk:
            self.add_error("round", _("The round must belong to the chosen operation."))
        if round_ is not None and operation is None:
            cleaned["operation"] = round_.operation
        return cleaned

    def mapping(self) -> dict[str, str]:
        return {spec.key: self.cleaned_data.get(name, "") for spec, name in self.mapping_fields}


class VehicleField(forms.ModelChoiceField):
    """A mobile team's van, shown with its office and plate."""

    def label_from_instance(self, van):
        return f"{van.office.code} · {van.name} ({van.vehicle_plate})"


def _vehicle_field(vehicles) -> VehicleField:
    return VehicleField(
        label=_("Team's vehicle"),
        queryset=vehicles,
        required=False,
        empty_label=_("— none —"),
        help_text=_("For a border mobile team: the items given at an incident are issued from this van's stock."),
    )


class FieldUserCreateForm(forms.Form):
    username = forms.RegexField(
        label=_("User name"),
        regex=r"^[a-z0-9][a-z0-9._-]*$",
        max_length=64,
        error_messages={"invalid": _("Use lower-case letters, digits, dots, dashes and underscores.")},
        help_text=_("Typed in ODK Collect, e.g. enumerator.hty.01."),
    )
    name = forms.CharField(label=_("Name of the enumerator"), max_length=120, required=False)

    def __init__(self, *args, offices, vehicles=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {"office": _office_field(offices), **self.fields}
        if vehicles is not None and vehicles.exists():
            self.fields["vehicle"] = _vehicle_field(vehicles)


class FieldUserVehicleForm(forms.Form):
    def __init__(self, *args, vehicles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vehicle"] = _vehicle_field(vehicles)


class FieldUserPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("The field user's password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        max_length=128,
    )


class DismissForm(forms.Form):
    reason = forms.CharField(label=_("Why is it dismissed?"), max_length=500)


class CorrectionForm(forms.Form):
    """One answer of a submission waiting for review, corrected before it is processed again."""

    path = forms.CharField(label=_("Answer"), max_length=300)
    value = forms.CharField(label=_("Correct value"), max_length=2000, required=False)
    reason = forms.CharField(label=_("Why is it corrected?"), max_length=500)


class OperationForm(forms.Form):
    code = forms.RegexField(
        label=_("Code"),
        regex=r"^[A-Za-z0-9-]+$",
        max_length=32,
        help_text=_("Short and unique, e.g. TUR-EQ-2023."),
        error_messages={"invalid": _("Use letters, digits and dashes.")},
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=OperationKind.choices)
    started_on = forms.DateField(label=_("Started on"), widget=forms.DateInput(attrs={"type": "date"}))
    ended_on = forms.DateField(label=_("Ended on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    provinces = forms.ModelMultipleChoiceField(
        label=_("Provinces"), queryset=AdminArea.objects.provinces(), required=False, to_field_name="pcode"
    )
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, offices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {"office": _office_field(offices), **self.fields}


class RoundForm(forms.Form):
    number = forms.IntegerField(label=_("Round"), min_value=1)
    assessment_type = forms.ChoiceField(label=_("Assessment type"), choices=AssessmentType.choices)
    started_on = forms.DateField(label=_("Started on"), widget=forms.DateInput(attrs={"type": "date"}))
    ended_on = forms.DateField(label=_("Ended on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


def _month(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(f"{value}-01") if value else None
    except ValueError as exc:
        raise forms.ValidationError(_("Give the month as YYYY-MM.")) from exc


class DashboardFilterForm(forms.Form):
    round = forms.ModelChoiceField(label=_("Round"), queryset=None, required=False, empty_label=_("Latest per site"))
    month_from = forms.CharField(label=_("From month"), required=False, widget=forms.DateInput(attrs={"type": "month"}))
    month_to = forms.CharField(label=_("To month"), required=False, widget=forms.DateInput(attrs={"type": "month"}))
    province = forms.ModelChoiceField(
        label=_("Province"), queryset=AdminArea.objects.provinces(), required=False, to_field_name="pcode"
    )
    population_group = forms.ChoiceField(
        label=_("Population group"), choices=[("", _("All"))] + list(PopulationGroup.choices), required=False
    )

    def __init__(self, *args, rounds, provinces=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["round"].queryset = rounds
        if provinces is not None:
            self.fields["province"].queryset = provinces

    def clean_month_from(self):
        return _month(self.cleaned_data.get("month_from", ""))

    def clean_month_to(self):
        return _month(self.cleaned_data.get("month_to", ""))


class ExportUploadForm(SheetChoiceForm):
    file = forms.FileField(
        label=_("Export (CSV, XLSX or Kobo JSON)"),
        help_text=_(
            "Kobo: export with XML values and headers, '/' between groups (CSV or XLSX), or the JSON export; "
            "ODK Central: the CSV of the form's submissions."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx", ".json")):
            raise forms.ValidationError(_("Upload a .csv, .xlsx or .json export."))
        return upload
