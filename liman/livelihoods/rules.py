"""Checks on Turkish tax numbers."""

from __future__ import annotations

from django.utils.translation import gettext as _

from liman.registry.identifiers import ykn_checksum_ok


def vkn_checksum_ok(number: str) -> bool:
    """The published check of a Turkish tax number (vergi kimlik numarası, VKN) of a company: 10 digits, the last
    a check digit of the first nine. For digit dᵢ (i = 1…9): t = (dᵢ + 10 − i) mod 10; p = t · 2^(10−i) mod 9, and
    p = 9 when t ≠ 0 and p = 0; the check digit is (10 − Σp mod 10) mod 10."""
    if len(number) != 10 or not number.isdigit():
        return False
    digits = [int(c) for c in number]
    total = 0
    for position, digit in enumerate(digits[:9], start=1):
        t = (digit + 10 - position) % 10
        p = (t * 2 ** (10 - position)) % 9
        if t != 0 and p == 0:
            p = 9
        total += p
    return (10 - total % 10) % 10 == digits[9]


def vkn_with_checksum(first_nine: str) -> str:
    """Complete nine digits into a valid VKN (demo data and tests)."""
    return next(f"{first_nine}{d}" for d in range(10) if vkn_checksum_ok(f"{first_nine}{d}"))


def tax_number_problem(number: str, kind: str) -> str:
    """What is wrong with a tax number of its kind (empty: nothing)."""
    digits = number.strip()
    if kind == "vkn":
        if len(digits) != 10 or not digits.isdigit():
            return _("A company tax number (VKN) has 10 digits.")
        if not vkn_checksum_ok(digits):
            return _("The company tax number's check digit does not match: check it against the tax certificate.")
        return ""
    if len(digits) != 11 or not digits.isdigit() or digits[0] == "0":
        return _("A sole proprietor's identity number has 11 digits and does not start with 0.")
    if not ykn_checksum_ok(digits):
        return _("The identity number's check digits do not match: check it against the ID card.")
    return ""
