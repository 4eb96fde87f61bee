"""Forms of the stock pages. They parse and validate input; the services decide and write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import LossReason
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
