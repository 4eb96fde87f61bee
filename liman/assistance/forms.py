"""Forms of the stock pages. They parse and validate input; the services decide and write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from liman.core.districts import DistrictField

from .choices import (
    AgeGroup,
    Authority,
    HowMet,
    IncidentService,
    ItemCategory,
    LocationKind,
    LossReason,
    Sex,
    Terrain,
    Unit,
)
from .models import StockBalance


def _line_label(balance: StockBalance) -> str:
    lot = f" · {_('lot')} {balance.lot.code}" if balance.lot_id else ""
    expiry = (
        f" ({_('expires')} {balance.lot.expires_on.isoformat()})" if balance.lot_id and balance.lot.expires_on else ""
    )
    return f"{balance.item.name}{lot}{expiry} — {balance.quantity}"


class StockLineField(forms.ModelChoiceField):
    """One line of the location's stock (item and lot), shown with what is on hand."""

    def label_from_instance(self, balance):
        return _line_label(balance)


class ReceiptForm(forms.Form):
    item = forms.ModelChoiceField(label=_("Item"), queryset=None)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1)
    project_code = forms.CharField(label=_("Project code"), max_length=48)
    lot_code = forms.CharField(
        label=_("Lot"), max_length=48, required=False, help_text=_("For items tracked by lot and expiry.")
    )
    expires_on = forms.DateField(label=_("Expires on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    supplier = forms.CharField(label=_("Supplier or donor"), max_length=300, required=False)

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items


class TransferForm(forms.Form):
    line = StockLineField(label=_("Stock"), queryset=None)
    to_location = forms.ModelChoiceField(label=_("To"), queryset=None)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, lines, destinations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = lines
        self.fields["to_location"].queryset = destinations


class LossForm(forms.Form):
    line = StockLineField(label=_("Stock"), queryset=None)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1)
    reason_kind = forms.ChoiceField(label=_("What happened"), choices=LossReason.choices)
    reason = forms.CharField(label=_("Details"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = lines


class CountForm(forms.Form):
    line = StockLineField(label=_("Stock"), queryset=None)
    counted_quantity = forms.IntegerField(label=_("Counted"), min_value=0)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = lines


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


# --- mobile-team field incidents ----------------------------------------------------------------------------


class IncidentForm(forms.Form):
    """The incident itself; the people met, the items and the services come in the grid and formsets below it."""

    vehicle = forms.ModelChoiceField(label=_("Team's vehicle"), queryset=None)
    occurred_at = forms.DateTimeField(
        label=_("Date and time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    district = DistrictField(label=_("District"), required=True)
    latitude = forms.DecimalField(label=_("Latitude"), max_digits=8, decimal_places=5, required=False)
    longitude = forms.DecimalField(label=_("Longitude"), max_digits=8, decimal_places=5, required=False)
    terrain = forms.ChoiceField(label=_("Land or sea"), choices=Terrain.choices)
    authority = forms.ChoiceField(label=_("Authority present"), choices=Authority.choices)
    how_met = forms.ChoiceField(label=_("How the group was met"), choices=HowMet.choices)
    unaccompanied_children = forms.IntegerField(label=_("Unaccompanied children"), min_value=0, initial=0)
    pregnant_women = forms.IntegerField(label=_("Pregnant women"), min_value=0, initial=0)
    injured = forms.IntegerField(label=_("Injured"), min_value=0, initial=0)
    with_disability = forms.IntegerField(label=_("People with a disability"), min_value=0, initial=0)
    referred_to_case = forms.IntegerField(label=_("Referred to a case"), min_value=0, initial=0)
    referred_to_health = forms.IntegerField(label=_("Referred to health"), min_value=0, initial=0)
    referred_to_pmm = forms.IntegerField(label=_("Referred to the PMM"), min_value=0, initial=0)
    referral_note = forms.CharField(label=_("Referral note"), max_length=500, required=False)
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, required=False,
        help_text=_("What happened; no names."),
    )  # fmt: skip

    def __init__(self, *args, vehicles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vehicle"].queryset = vehicles
        self.fields["district"].offer()  # a team at sea or on the border may be anywhere along it
        for service, label in IncidentService.choices:
            self.fields[f"service_{service}"] = forms.IntegerField(label=label, min_value=0, initial=0, required=False)

    def services_given(self) -> dict[str, int]:
        return {service: self.cleaned_data.get(f"service_{service}") or 0 for service in IncidentService.values}

    def service_fields(self):
        return [self[f"service_{service}"] for service in IncidentService.values]


#: The cells of one nationality's row of the sex × age grid: `f_0_4`, `f_5_17` … `m_60`.
GRID_CELLS = [(sex, age) for sex in Sex.values for age in AgeGroup.values]


class GroupRowForm(forms.Form):
    """One nationality's row of the people-met grid: a count per sex × age group."""

    nationality = forms.CharField(label=_("Nationality"), max_length=3, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for sex, age in GRID_CELLS:
            self.fields[f"{sex}_{age}"] = forms.IntegerField(
                label=f"{Sex(sex).label} {AgeGroup(age).label}", min_value=0, required=False,
                widget=forms.NumberInput(attrs={"class": "cell", "min": 0}),
            )  # fmt: skip

    def cells(self):
        return [self[f"{sex}_{age}"] for sex, age in GRID_CELLS]

    def clean(self):
        data = super().clean()
        counted = any(data.get(f"{sex}_{age}") for sex, age in GRID_CELLS)
        if counted and not (data.get("nationality") or "").strip():
            self.add_error("nationality", _("Give the nationality (ISO code, e.g. SYR)."))
        return data

    def group_counts(self) -> list[tuple[str, str, str, int]]:
        nationality = (self.cleaned_data.get("nationality") or "").strip().upper()
        return [
            (sex, age, nationality, self.cleaned_data.get(f"{sex}_{age}") or 0)
            for sex, age in GRID_CELLS
            if self.cleaned_data.get(f"{sex}_{age}")
        ]


GroupRowFormSet = forms.formset_factory(GroupRowForm, extra=3)


class ItemLineForm(forms.Form):
    item = forms.ModelChoiceField(label=_("Item"), queryset=None, required=False)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, required=False)

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items

    def clean(self):
        data = super().clean()
        if data.get("item") and not data.get("quantity"):
            self.add_error("quantity", _("How many?"))
        return data


ItemLineFormSet = forms.formset_factory(ItemLineForm, extra=4)


# --- locations and distributions ----------------------------------------------------------------------------


class ItemForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=32, help_text=_("Short and unique, e.g. WINTER-JACKET."))
    name = forms.CharField(label=_("Name"), max_length=120)
    unit = forms.ChoiceField(label=_("Unit"), choices=Unit.choices)
    category = forms.ChoiceField(label=_("Category"), choices=ItemCategory.choices)
    tracks_lots = forms.BooleanField(label=_("Tracked by lot and expiry"), required=False)


class LocationForm(forms.Form):
    office = forms.ModelChoiceField(label=_("Office"), queryset=None)
    kind = forms.ChoiceField(label=_("Kind"), choices=LocationKind.choices)
    name = forms.CharField(label=_("Name"), max_length=120)
    vehicle_plate = forms.CharField(label=_("Vehicle plate"), max_length=16, required=False)

    def __init__(self, *args, offices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices
        if offices.count() == 1:
            self.fields["office"].initial = offices.first()


class PlanForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=160)
    project_code = forms.CharField(label=_("Project code"), max_length=48)
    warehouse = forms.ModelChoiceField(label=_("From warehouse"), queryset=None)
    site = forms.ModelChoiceField(label=_("Distribution site"), queryset=None)
    starts_on = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, warehouses, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses
        self.fields["site"].queryset = sites

    def clean(self):
        data = super().clean()
        warehouse, site = data.get("warehouse"), data.get("site")
        if warehouse and site and warehouse.office_id != site.office_id:
            self.add_error("site", _("The site and the warehouse belong to different offices."))
        return data


class BandForm(forms.Form):
    item = forms.ModelChoiceField(label=_("Item"), queryset=None, required=False)
    min_size = forms.IntegerField(label=_("From household size"), min_value=1, initial=1, required=False)
    max_size = forms.IntegerField(label=_("To household size"), min_value=1, required=False)
    quantity = forms.IntegerField(label=_("Quantity per household"), min_value=1, required=False)

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items

    def clean(self):
        data = super().clean()
        if data.get("item") and not data.get("quantity"):
            self.add_error("quantity", _("How many per household?"))
        return data

    def band(self):
        data = self.cleaned_data
        return (data["item"], data.get("min_size") or 1, data.get("max_size"), data["quantity"])


BandFormSet = forms.formset_factory(BandForm, extra=4)


class SelectionForm(forms.Form):
    """Households by criteria (district, size) or by a list of references; a list wins when given."""

    district = DistrictField(label=_("District"))
    min_size = forms.IntegerField(label=_("At least (people)"), min_value=1, required=False)
    max_size = forms.IntegerField(label=_("At most (people)"), min_value=1, required=False)
    references = forms.CharField(
        label=_("Or household references"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line or separated by commas."),
    )

    def __init__(self, *args, provinces, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].offer(provinces)

    def reference_list(self) -> list[str]:
        text = self.cleaned_data.get("references", "")
        return [ref.strip().upper() for ref in text.replace(",", "\n").splitlines() if ref.strip()]

    def clean(self):
        data = super().clean()
        if not (data.get("district") or data.get("min_size") or data.get("max_size") or data.get("references")):
            raise forms.ValidationError(_("Give a criterion or a list of household references."))
        return data


class ReceiptRecordForm(forms.Form):
    received_by = forms.ChoiceField(label=_("Received by"))
    received_by_name = forms.CharField(
        label=_("Name of the person sent by the household"), max_length=160, required=False
    )

    OTHER = "other"

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = {str(person.pk): person for person in members}
        self.fields["received_by"].choices = [(pk, person.full_name) for pk, person in self.members.items()] + [
            (self.OTHER, _("Someone else (name below)"))
        ]

    def clean(self):
        data = super().clean()
        if data.get("received_by") == self.OTHER and not data.get("received_by_name", "").strip():
            self.add_error("received_by_name", _("Who came for the household?"))
        return data

    def person(self):
        return self.members.get(self.cleaned_data["received_by"])
