"""Payment providers' file formats, as adapters: another provider is one more class.

Each writes the frozen list in its own format (`write`) and reads the words its report uses for an outcome
(`outcome`). Liman signs the bytes it writes (Ed25519, detached, `liman cash public-key` for the provider), so an
edit between Liman and the provider is found by whoever checks the signature (`liman cash verify-file`).
"""

from __future__ import annotations

import csv
import decimal
import io
from typing import ClassVar

from django.utils.translation import gettext_lazy as _

from .choices import PaymentStatus

#: The columns of every provider's payment file, in Liman's words (one row per household).
PAYMENT_COLUMNS = ("reference", "name", "foreigner_id", "phone", "amount", "currency")
#: The columns of every provider's report, in Liman's words.
REPORT_COLUMNS = ("reference", "amount", "status", "date", "transaction_id")


class Provider:
    code: ClassVar[str]
    label: ClassVar[str]
    delimiter: ClassVar[str] = ","
    #: The provider's header for each of Liman's columns.
    headers: ClassVar[dict[str, str]] = {}
    #: The provider's words for an outcome.
    outcomes: ClassVar[dict[str, str]] = {
        "paid": PaymentStatus.PAID,
        "failed": PaymentStatus.FAILED,
        "uncollected": PaymentStatus.UNCOLLECTED,
    }

    def amount_text(self, amount: str) -> str:
        return amount

    def write(self, lines: list[dict]) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=self.delimiter, lineterminator="\r\n")
        writer.writerow([self.headers.get(column, column) for column in PAYMENT_COLUMNS])
        for line in sorted(lines, key=lambda line: line["reference"]):
            row = dict(line, amount=self.amount_text(line["amount"]))
            writer.writerow([_safe(row[column]) for column in PAYMENT_COLUMNS])
        return out.getvalue().encode("utf-8")

    def outcome(self, text: str) -> str | None:
        return self.outcomes.get((text or "").strip().lower())


def _safe(value) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        decimal.Decimal(text)
    except decimal.InvalidOperation:
        return False
    return True


class GenericCsv(Provider):
    """A plain CSV in Liman's column names, UTF-8, comma-separated, amounts with a decimal point."""

    code = "generic_csv"
    label = _("Generic CSV")


class PttCsv(Provider):
    """The postal bank's bulk-payment CSV: semicolon-separated, Turkish headers, decimal comma."""

    code = "ptt_csv"
    label = _("PTT bulk payment (semicolon CSV)")
    delimiter = ";"
    headers = {
        "reference": "REFERANS",
        "name": "AD_SOYAD",
        "foreigner_id": "YKN",
        "phone": "TELEFON",
        "amount": "TUTAR",
        "currency": "PARA_BIRIMI",
    }
    outcomes = {
        **Provider.outcomes,
        "odendi": PaymentStatus.PAID,
        "ödendi": PaymentStatus.PAID,
        "basarisiz": PaymentStatus.FAILED,
        "başarısız": PaymentStatus.FAILED,
        "alinmadi": PaymentStatus.UNCOLLECTED,
        "alınmadı": PaymentStatus.UNCOLLECTED,
    }

    def amount_text(self, amount: str) -> str:
        return amount.replace(".", ",")


PROVIDERS: dict[str, type[Provider]] = {provider.code: provider for provider in (GenericCsv, PttCsv)}


def provider_for(code: str) -> Provider:
    try:
        return PROVIDERS[code]()
    except KeyError:
        raise ValueError(f"Unknown payment provider {code!r}; known: {', '.join(PROVIDERS)}") from None


def provider_choices() -> list[tuple[str, str]]:
    return [(code, provider.label) for code, provider in PROVIDERS.items()]
