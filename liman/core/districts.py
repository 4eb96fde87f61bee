"""A district typed as its name or p-code, for every form that asks where something is: one field, one list of
suggestions (a <datalist> the browser searches as one types) and one set of messages, whichever app asks.

A <select> of Türkiye's 973 districts is slow to render (each option goes through a template) and slower to use on a
phone; a typed name with suggestions is what staff use in the field."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import AdminArea
from .text import ascii_key, tr_title


def district_label(area: AdminArea) -> str:
    """`Kadıköy, İstanbul`: a district as the forms show it and read it back (the gazetteer's names are capitals)."""
    return _label(area.name_tr, area.parent.name_tr)


def _label(district_name: str, province_name: str) -> str:
    return f"{tr_title(district_name)}, {tr_title(province_name)}"


def resolve_district(text: str) -> AdminArea:
    """The one district (ilçe) meant by `TUR034023`, `Kadıköy` or `Kadıköy, İstanbul`; ValueError saying what was
    typed when no district or several districts match."""
    name, _comma, province_text = (part.strip() for part in text.partition(","))
    areas = AdminArea.objects.select_related("parent")
    province = None
    if province_text:
        try:
            province = areas.resolve(province_text, level=AdminArea.Level.PROVINCE)
        except AdminArea.DoesNotExist:
            province = None
        if province is None or province.level != AdminArea.Level.PROVINCE:
            raise ValueError(_("No province is called “%(text)s”.") % {"text": province_text})
    try:
        area = areas.resolve(name, level=AdminArea.Level.DISTRICT, parent=province)
    except AdminArea.DoesNotExist:
        key = ascii_key(name)
        if province is None and areas.provinces().filter(Q(name_key=key) | Q(name_en_key=key)).exists():
            raise ValueError(_("“%(text)s” is a province: give one of its districts.") % {"text": text}) from None
        if province is not None:
            raise ValueError(
                _("%(province)s has no district “%(text)s”.") % {"province": tr_title(province.name_tr), "text": name}
            ) from None
        raise ValueError(
            _("No district is called “%(text)s”. Give its name or its p-code, such as TUR034023.") % {"text": text}
        ) from None
    except AdminArea.MultipleObjectsReturned:
        key = ascii_key(name)
        candidates = areas.districts().filter(Q(name_key=key) | Q(name_en_key=key)).order_by("parent__name_key")
        labels = [district_label(area) for area in candidates]
        raise ValueError(
            _("“%(text)s” is the name of several districts: %(choices)s. Add the province, as in “%(example)s”.")
            % {"text": text, "choices": "; ".join(labels), "example": labels[0] if labels else ""}
        ) from None
    if area.level != AdminArea.Level.DISTRICT:
        raise ValueError(_("“%(text)s” is a province: give one of its districts.") % {"text": text})
    return area


def district_options(provinces=None) -> list[tuple[str, str]]:
    """(what to type, its p-code) for every district of these provinces (of the country without them), for the
    input's list of suggestions."""
    districts = AdminArea.objects.districts()
    if provinces is not None:
        districts = districts.filter(parent__in=provinces)
    rows = districts.values_list("name_tr", "parent__name_tr", "pcode")  # rows, not models: the country has 973
    return sorted(((_label(name, province), pcode) for name, province, pcode in rows), key=lambda o: ascii_key(o[0]))


class DistrictInput(forms.TextInput):
    """A text input with a <datalist> of suggestions: the browser searches it as one types; without the list (or
    without JavaScript, which it does not need) the typed text is resolved on the server all the same."""

    template_name = "core/widgets/district_input.html"

    def __init__(self, attrs=None, options: list[tuple[str, str]] | None = None):
        super().__init__({"autocomplete": "off", "spellcheck": "false", **(attrs or {})})
        self.options = options or []

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        if self.options:
            widget["list_id"] = f"{widget['attrs'].get('id') or name}-options"
            widget["attrs"]["list"] = widget["list_id"]
        widget["options"] = self.options
        return context


class DistrictField(forms.CharField):
    """A district typed as its p-code or its name, with the province after a comma when the name is in several;
    cleans to the district (an `AdminArea` of level 2) or None."""

    widget = DistrictInput
    longest = 120

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            _("Type the district's name and pick it from the list, or give its p-code (TUR034023)."),
        )
        super().__init__(**kwargs)
        # Not `max_length`: the field cleans to a district, which its length validator cannot measure.
        self.widget.attrs["maxlength"] = str(self.longest)

    def prepare_value(self, value):
        return district_label(value) if isinstance(value, AdminArea) else value

    def to_python(self, value):
        if isinstance(value, AdminArea):
            return value
        text = super().to_python(value)
        if not text:
            return None
        if len(text) > self.longest:
            raise ValidationError(_("No district has a name that long."), code="invalid")
        try:
            return resolve_district(text)
        except ValueError as exc:
            raise ValidationError(str(exc), code="invalid") from exc

    def offer(self, provinces=None) -> None:
        """Suggest the districts of these provinces (the office's; the whole country without them) as one types."""
        self.widget.options = district_options(provinces)
