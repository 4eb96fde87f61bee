"""Forms of the consignment pages. They parse and validate input; the services decide and write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from liman.assistance.choices import LossReason

from . import rules
from .choices import BorderCrossing, CrossingOutcome


class ConsignmentForm(forms.Form):
    hub = forms.ModelChoiceField(label=_("Hub warehouse"), queryset=None, empty_label=None)
    partner = forms.ModelChoiceField(label=_("Partner organisation"), queryset=None)
    crossing = forms.ChoiceField(label=_("Border crossing"), choices=BorderCrossing.choices)
    destination = forms.CharField(
        label=_("Destination"), max_length=200, help_text=_("Where the partner receives the goods (warehouse, town).")
    )
    planned_on = forms.DateField(label=_("Planned for"), widget=forms.DateInput(attrs={"type": "date"}))
    project_code = forms.CharField(label=_("Project code"), max_length=48)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, required=False)

    def __init__(self, *args, hubs, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hub"].queryset = hubs
        self.fields["partner"].queryset = partners


class TruckForm(forms.Form):
    plate = forms.CharField(label=_("Plate"), max_length=16)
    driver_name = forms.CharField(label=_("Driver"), max_length=120)
    seal_numbers = forms.CharField(
        label=_("Seal numbers"),
        max_length=300,
        help_text=_("The seals put on the truck at loading, separated by commas."),
    )


class LoadLineForm(forms.Form):
    """One item on the truck; a lot-tracked item without a lot is loaded first expiry first out."""

    item = forms.ModelChoiceField(label=_("Item"), queryset=None, required=False)
    lot = forms.ModelChoiceField(label=_("Lot"), queryset=None, required=False)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, required=False)

    def __init__(self, *args, items, lots, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items
        self.fields["lot"].queryset = lots

    def clean(self):
        data = super().clean()
        if data.get("item") and not data.get("quantity"):
            self.add_error("quantity", _("How many?"))
        if data.get("lot") and data.get("item") and data["lot"].item_id != data["item"].pk:
            self.add_error("lot", _("This lot is of another item."))
        return data


LoadLineFormSet = forms.formset_factory(LoadLineForm, extra=4)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class CrossingCheckForm(forms.Form):
    seals_intact = forms.TypedChoiceField(
        label=_("Seals intact"),
        choices=[("yes", _("Yes: the seal numbers match")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    seals_found = forms.CharField(
        label=_("Seal numbers found"),
        max_length=300,
        required=False,
        help_text=_("As read on the truck, when they differ."),
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CrossingOutcome.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False,
        help_text=_("Why the truck is held, or what was found when the seals were not intact."),
    )  # fmt: skip


class HandoverForm(forms.Form):
    received_by_name = forms.CharField(
        label=_("Received by"), max_length=120, help_text=_("The partner's representative.")
    )
    place = forms.CharField(label=_("Place"), max_length=200)
    handed_over_at = forms.DateTimeField(
        label=_("Handed over at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000, required=False)

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[f"received_{line.pk}"] = forms.IntegerField(
                label=_("Received"), min_value=0, max_value=line.quantity, initial=line.quantity
            )
            self.fields[f"loss_kind_{line.pk}"] = forms.ChoiceField(
                label=_("What happened"), choices=[("", "—"), *LossReason.choices], required=False
            )
            self.fields[f"loss_reason_{line.pk}"] = forms.CharField(label=_("Details"), max_length=2000, required=False)

    def rows(self):
        return [
            (line, self[f"received_{line.pk}"], self[f"loss_kind_{line.pk}"], self[f"loss_reason_{line.pk}"])
            for line in self.lines
        ]


class ReportLineForm(forms.Form):
    """One sub-district of the partner's report: households, people by sex × age group, items distributed."""

    subdistrict_pcode = forms.CharField(label=_("P-code"), max_length=8, required=False)
    subdistrict_name = forms.CharField(label=_("Sub-district"), max_length=120, required=False)
    households = forms.IntegerField(label=_("Households"), min_value=0, required=False)
    people = forms.IntegerField(label=_("People"), min_value=0, required=False)

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        for sex, age in rules.SADD_CELLS:
            self.fields[rules.cell_name(sex, age)] = forms.IntegerField(
                label=rules.cell_label(sex, age), min_value=0, required=False,
                widget=forms.NumberInput(attrs={"class": "cell", "min": 0}),
            )  # fmt: skip
        self.items = items
        for code, name in items:
            self.fields[f"item_{code}"] = forms.IntegerField(
                label=name, min_value=0, required=False, widget=forms.NumberInput(attrs={"class": "cell", "min": 0})
            )

    def cells(self):
        return [self[rules.cell_name(sex, age)] for sex, age in rules.SADD_CELLS]

    def item_fields(self):
        return [self[f"item_{code}"] for code, _name in self.items]

    def clean_subdistrict_pcode(self):
        return (self.cleaned_data.get("subdistrict_pcode") or "").strip().upper()

    def line_input(self):
        from .services import ReportLineInput

        data = self.cleaned_data
        return ReportLineInput(
            subdistrict_name=(data.get("subdistrict_name") or "").strip(),
            subdistrict_pcode=data.get("subdistrict_pcode") or "",
            households=data.get("households") or 0,
            people=data.get("people") or 0,
            sadd={(sex, age): data.get(rules.cell_name(sex, age)) or 0 for sex, age in rules.SADD_CELLS},
            items={code: data.get(f"item_{code}") or 0 for code, _name in self.items},
        )


ReportLineFormSet = forms.formset_factory(ReportLineForm, extra=4)


class ReportForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000, required=False)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File (XLSX or CSV)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".xlsx,.csv"
