"""Forms of core pages: role grants, staff accounts and offices (grants limited to the offices the administrator
manages)."""

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from .choices import OfficeType, Role
from .models import AdminArea, Office, Programme, User


class RoleGrantForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    office = forms.ModelChoiceField(label=_("Office"), queryset=Office.objects.none())
    programme = forms.ModelChoiceField(
        label=_("Programme"), queryset=Programme.objects.all(), required=False, empty_label=_("All programmes")
    )
    expires_on = forms.DateField(label=_("Expires on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, offices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices


class StaffCreateForm(forms.Form):
    username = forms.RegexField(
        label=_("User name"), regex=r"^[a-z0-9._-]{3,40}$", help_text=_("Lower-case letters, digits, . _ -")
    )
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Family name"), max_length=150)
    email = forms.EmailField(label=_("Email"), required=False)
    password = forms.CharField(label=_("Initial password"), widget=forms.PasswordInput, strip=False)

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username=username).exists():
            raise forms.ValidationError(_("This user name is taken."))
        return username

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password"):
            try:
                validate_password(cleaned["password"], User(username=cleaned.get("username", "")))
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class SheetChoiceForm(forms.Form):
    """An upload of a table: for a workbook with several sheets of data, the sheet to read (every import's form)."""

    sheet = forms.CharField(
        label=_("Sheet"),
        required=False,
        max_length=100,
        help_text=_("For a workbook with more than one sheet holding data: the sheet to import."),
    )

    def offer_sheets(self, titles: list[str]) -> None:
        """After a workbook was refused for holding several sheets of data: let the uploader pick one."""
        if titles:
            self.fields["sheet"].widget = forms.Select(choices=[("", "—"), *((title, title) for title in titles)])

    @property
    def chosen_sheet(self) -> str | None:
        return (self.cleaned_data.get("sheet") or "").strip() or None


def _language_choices():
    from django.conf import settings

    return [("", _("As the browser asks")), *settings.LANGUAGES]


class StaffEditForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Family name"), max_length=150)
    email = forms.EmailField(label=_("Email"), required=False)
    preferred_language = forms.ChoiceField(label=_("Preferred language"), choices=_language_choices, required=False)


class AccountReasonForm(forms.Form):
    """Why an account is deactivated or reactivated: the audit log keeps it."""

    reason = forms.CharField(label=_("Reason"), max_length=500)


class PasswordSetForm(forms.Form):
    """A password the administrator types, checked by the project's password validators."""

    password1 = forms.CharField(label=_("New password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("New password again"), widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            try:
                validate_password(first, self.user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class OfficeEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    type = forms.ChoiceField(label=_("Type"), choices=OfficeType.choices)
    is_active = forms.BooleanField(
        label=_("Active"), required=False, help_text=_("An office that has closed stays on file, marked inactive.")
    )


class OfficeCreateForm(forms.Form):
    code = forms.RegexField(
        label=_("Code"), regex=r"^[A-Za-z0-9]{2,8}$", help_text=_("2 to 8 letters or digits, e.g. IST.")
    )
    name = forms.CharField(label=_("Name"), max_length=120)
    province = forms.ModelChoiceField(
        label=_("Province"),
        queryset=AdminArea.objects.provinces(),
        to_field_name="pcode",
        help_text=_("The province's p-code, e.g. TUR034 for İstanbul."),
    )
    type = forms.ChoiceField(label=_("Type"), choices=OfficeType.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].label_from_instance = lambda area: f"{area.pcode} · {area.name}"

    def clean_code(self):
        code = self.cleaned_data["code"].upper()
        if code == "NEW" or Office.objects.filter(code=code).exists():
            raise forms.ValidationError(_("This code is taken."))
        return code
