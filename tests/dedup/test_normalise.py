"""Normalisation for record linkage: plain Python, checked exhaustively and with generated input."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liman.dedup.normalise import (
    BirthDate,
    DateAgreement,
    birth_date,
    birth_date_agreement,
    foreigner_id_key,
    name_features,
    phone_key,
)
from liman.registry.identifiers import ykn_with_checksum
from liman.registry.names import VARIANT_SPELLINGS


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Mohammed", "Muhammad"),
        ("Mohamad", "Muhammed"),
        ("Mehmet", "MOHAMMED"),
        ("Abdulrahman", "Abd al-Rahman"),
        ("Abdurrahman", "Abdul Rahman"),
        ("Al-Hassan", "Hassan"),
        ("İBRAHİM", "ibrahim"),
        ("Hüseyin", "Hussein"),
        ("Yusuf", "Youssef"),
        ("Ebubekir", "Abu Bakr"),
    ],
)
def test_transliterations_of_one_name_share_the_variant_key(left, right):
    assert name_features(left).canon == name_features(right).canon


@pytest.mark.parametrize(("left", "right"), [("Hassan", "Hussein"), ("Mohammed", "Mahmoud"), ("Said", "Sayed")])
def test_look_alike_names_keep_different_keys_and_are_known(left, right):
    a, b = name_features(left), name_features(right)
    assert a.canon != b.canon
    assert a.known and b.known


def test_turkish_dotted_and_dotless_i_fold_by_turkish_rules():
    assert name_features("IŞIK").fold == "isik" == name_features("Işık").fold
    assert name_features("İsmail").fold == name_features("ismail").fold


def test_arabic_script_is_transliterated_for_comparison():
    assert name_features("محمد").skel == name_features("Mohammed").skel


def test_skeleton_ignores_vowels_and_letter_classes():
    assert name_features("Khaled").skel == name_features("Halit").skel


@given(st.sampled_from(sorted(VARIANT_SPELLINGS)))
def test_every_spelling_in_the_variant_table_maps_to_its_key(head):
    keys = {name_features(spelling).canon for spelling in VARIANT_SPELLINGS[head]}
    assert len(keys) == 1


@given(st.text(max_size=40))
def test_name_features_never_fail_and_fold_is_stable(text):
    features = name_features(text)
    assert name_features(features.fold).fold == features.fold


def test_phones_become_e164():
    assert phone_key("0532 123 45 67") == "+905321234567"
    assert phone_key("+90 (532) 123-4567") == "+905321234567"
    assert phone_key("not a phone") == ""
    assert phone_key("") == ""


def test_foreigner_ids_need_a_valid_checksum():
    valid = ykn_with_checksum("991234567")
    assert foreigner_id_key(f" {valid[:5]} {valid[5:]} ") == valid
    broken = valid[:-1] + str((int(valid[-1]) + 1) % 10)
    assert foreigner_id_key(broken) == ""


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ("1990-05-17", "1990-05-17", DateAgreement.EXACT),
        ("1990-05-07", "1990-07-05", DateAgreement.SWAPPED),
        ("1990", "1990-05-17", DateAgreement.SAME_YEAR_IMPRECISE),
        ("1990-01-01", "1990-05-17", DateAgreement.SAME_YEAR_IMPRECISE),
        ("1990-03-17", "1990-05-17", DateAgreement.SAME_YEAR),
        ("1991-05-17", "1990-05-17", DateAgreement.YEAR_APART),
        ("1980-05-17", "1990-05-17", DateAgreement.DIFFERENT),
        ("", "1990-05-17", DateAgreement.MISSING),
    ],
)
def test_birth_dates_compare_knowing_their_precision(left, right, expected):
    assert birth_date_agreement(birth_date(left), birth_date(right)) == expected


dates = st.builds(
    BirthDate,
    st.integers(1920, 2026),
    st.one_of(st.none(), st.integers(1, 12)),
    st.integers(1, 28),
).map(lambda d: BirthDate(d.year) if d.month is None else d)


@given(dates, dates)
def test_birth_date_agreement_is_symmetric(left, right):
    assert birth_date_agreement(left, right) == birth_date_agreement(right, left)


def test_a_malformed_birth_date_says_what_is_expected():
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        birth_date("17.05.1990")


#: The usual ways of writing a Turkish number, which `prepare` makes E.164 in SQL when it is a mobile (5xx), and
#: others, left to `phone_key`.
_USUAL_PHONES = (
    "0{a}{b} {c} {d} {e}",
    "+90 {a}{b} {c} {d} {e}",
    "+90{a}{b}{c}{d}{e}",
    "0{a}{b}{c}{d}{e}",
    "{a}{b}{c}{d}{e}",
    "(0{a}{b}) {c}-{d}-{e}",
    "+90 ({a}{b}) {c} {d}{e}",
    "0{a}{b}.{c}.{d}.{e}",
)
_OTHER_PHONES = (
    "90{a}{b}{c}{d}{e}",
    "0090 {a}{b} {c} {d} {e}",
    "+90 0{a}{b} {c} {d} {e}",
    "0{a}{b} {c} {d}",
    "0{a}{b}/{c} {d} {e}",
    "+44 {a}{b} {c} {d}{e}",
    "{a}{b} {c} {d} {e} 1",
)


@given(
    form=st.sampled_from(_USUAL_PHONES + _OTHER_PHONES),
    a=st.sampled_from("1234567890"),
    b=st.from_regex(r"[0-9]{2}", fullmatch=True),
    c=st.from_regex(r"[0-9]{3}", fullmatch=True),
    d=st.from_regex(r"[0-9]{2}", fullmatch=True),
    e=st.from_regex(r"[0-9]{2}", fullmatch=True),
)
def test_mobiles_made_e164_in_sql_are_those_phonenumbers_gives(form, a, b, c, d, e):
    """`prepare` makes the usual ways of writing a Turkish mobile E.164 in SQL and parses the rest: what the
    SQL makes is what `phone_key` gives, and what it leaves is left to `phone_key`."""
    import duckdb

    from liman.dedup.engine import turkish_mobile_sql

    phone = form.format(a=a, b=b, c=c, d=d, e=e)
    ((made,),) = duckdb.connect().execute(f"SELECT {turkish_mobile_sql('$1')}", [phone]).fetchall()
    if made is not None:
        assert made == phone_key(phone)
    assert (made is not None) == (a == "5" and form in _USUAL_PHONES)
