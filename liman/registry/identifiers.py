"""Checks on identifiers and phones, with no Django in them."""

from __future__ import annotations

import phonenumbers


def ykn_checksum_ok(number: str) -> bool:
    """The Turkish identity-number checksum (also used for foreigner IDs, YKN).

    Digit 10 = ((d1+d3+d5+d7+d9)·7 − (d2+d4+d6+d8)) mod 10; digit 11 = (d1+…+d10) mod 10.
    """
    if len(number) != 11 or not number.isdigit() or number[0] == "0":
        return False
    d = [int(c) for c in number]
    tenth = ((d[0] + d[2] + d[4] + d[6] + d[8]) * 7 - (d[1] + d[3] + d[5] + d[7])) % 10
    eleventh = sum(d[:10]) % 10
    return d[9] == tenth and d[10] == eleventh


def ykn_problems(number: str) -> tuple[list[str], list[str]]:
    """(errors, warnings) for a foreigner ID: 11 digits starting 99 is required; the checksum only warns."""
    errors, warnings = [], []
    digits = number.strip()
    if not (len(digits) == 11 and digits.isdigit()):
        errors.append("A foreigner ID (YKN) has 11 digits.")
    elif not digits.startswith("99"):
        errors.append("A foreigner ID (YKN) starts with 99.")
    elif not ykn_checksum_ok(digits):
        warnings.append("The foreigner ID's check digits do not match: check it against the document.")
    return errors, warnings


def ykn_with_checksum(first_nine: str) -> str:
    """Complete nine digits into a valid 11-digit number (for demo data and tests)."""
    d = [int(c) for c in first_nine]
    tenth = ((d[0] + d[2] + d[4] + d[6] + d[8]) * 7 - (d[1] + d[3] + d[5] + d[7])) % 10
    eleventh = (sum(d) + tenth) % 10
    return f"{first_nine}{tenth}{eleventh}"


def normalise_phone(raw: str, region: str = "TR") -> str:
    """E.164 form of a phone number (`0532 123 45 67` → `+905321234567`); ValueError if it is not one."""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"{raw!r} is not a phone number.") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError(f"{raw!r} is not a possible phone number.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
