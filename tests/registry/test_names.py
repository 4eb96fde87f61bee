"""Name folding, transliteration variants and search keys (plain Python, no database)."""

from __future__ import annotations

from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liman.core.text import tr_lower, tr_upper
from liman.registry import names

SAME_NAME = [
    ["Mohammed", "Muhammad", "Mohamad", "Muhammed", "Mohamed", "Mehmet", "Maxamed", "MUHAMMET"],
    ["Ahmad", "Ahmed", "Ahmet"],
    ["Abdulrahman", "Abd al-Rahman", "Abdurrahman", "Abdelrahman", "Abdul Rahman", "Abd ar-Rahman", "Abdirahman"],
    ["Abdullah", "Abd Allah", "Abdallah", "Abdulla", "Abdullahi"],
    ["Hussein", "Husayn", "Hüseyin", "HÜSEYİN", "Hossein", "Hussain"],
    ["Fatima", "Fatma", "Fatemeh", "Fatimah"],
    ["Khaled", "Khalid", "Halid", "Halit"],
    ["Yusuf", "Youssef", "Yousef", "Yusef"],
    ["Mustafa", "Moustafa", "Mostafa", "Mustapha"],
    ["Omar", "Umar", "Ömer", "OMER"],
    ["Aisha", "Ayşe", "AYSE", "Ayesha"],
    ["Zainab", "Zeynep", "Zaynab", "Zeinab"],
    ["Khadija", "Hatice", "Khadijah"],
    ["Nur al-Din", "Nureddin", "Nurettin", "Nour Eddine", "Nuruddin"],
    ["Abu Bakr", "Abubakar", "Ebubekir"],
    ["Ramadan", "Ramazan"],
    ["Al-Hassan", "Alhassan", "El Hassan", "Hassan", "Hasan"],
    ["Ash-Shammari", "Al-Shammari", "Shammari"],
]


@pytest.mark.parametrize("spellings", SAME_NAME, ids=lambda spellings: spellings[0])
def test_spellings_of_one_name_share_one_key(spellings):
    keys = {tuple(word.canonical for word in names.words(spelling)) for spelling in spellings}
    assert len(keys) == 1, keys


@pytest.mark.parametrize(("one", "other"), names.LOOKALIKES)
def test_names_that_only_look_alike_keep_different_keys(one, other):
    assert names.canonical(one) != names.canonical(other)


@pytest.mark.parametrize(
    ("arabic", "latin"),
    [
        ("محمد", "Mohammed"),
        ("محمود", "Mahmoud"),
        ("عبد الرحمن", "Abdulrahman"),
        ("عبد الله", "Abdullah"),
        ("خالد", "Khaled"),
        ("عثمان", "Osman"),
        ("يوسف", "Youssef"),
        ("عائشة", "Aisha"),
        ("زينب", "Zeynep"),
        ("فاطمة الزهراء", "Fatima Zahra"),
        ("مصطفى", "Mustafa"),
        ("الشمري", "Al-Shammari"),
        ("جعفر", "Cafer"),
        ("رمضان", "Ramazan"),
        ("حسين", "Hüseyin"),
        ("خديجة", "Hatice"),
        ("غلام", "Ghulam"),
    ],
)
def test_a_name_in_arabic_script_has_the_skeletons_of_its_latin_spellings(arabic, latin):
    assert [word.skeleton for word in names.words(arabic)] == [word.skeleton for word in names.words(latin)]


@pytest.mark.parametrize(
    ("script", "latin"), [("پروین", "Parvin"), ("ژاله", "Zhaleh"), ("ګل", "Gul"), ("مروان", "Marwan")]
)
def test_persian_and_pashto_letters_are_transliterated(script, latin):
    assert [word.skeleton for word in names.words(script)] == [word.skeleton for word in names.words(latin)]


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("İZMİR", "izmir"),
        ("IZMIR", "izmir"),
        ("IŞIK", "isik"),
        ("Işık", "isik"),
        ("ÇAĞLAR ÖZTÜRK", "caglar ozturk"),
        ("Sa'id", "said"),
        ("Saʿīd", "said"),
        ("Ja`far", "jafar"),
        ("Abd al-Rahman", "abd al rahman"),
        ("  Ali   BIN  Omar ", "ali bin omar"),
    ],
)
def test_folding_follows_turkish_case_and_removes_marks(typed, folded):
    assert names.fold(typed) == folded


def test_the_article_and_connectors_are_not_words_of_the_name():
    assert names.name_tokens("Khaled bin Ahmad AL-HASSAN") == ["khaled", "ahmad", "hassan"]


def test_abdi_stays_a_somali_name_of_its_own():
    assert names.name_tokens("Abdi Farah") == ["abdi", "farah"]


def test_the_skeleton_merges_the_letters_transliterations_swap():
    assert names.skeleton("khaled") == names.skeleton("halid") == "hlt"
    assert names.skeleton("cemal") == names.skeleton("jamal")
    assert names.skeleton("walid") == names.skeleton("velit")


def test_a_person_is_keyed_by_linked_words_and_skeletons():
    keys = names.person_name_keys("Mohammed", "Ahmad", "Al-Haddad")
    assert {key for kind, key in keys if kind == "w"} == {"muhammad|ahmad", "ahmad|haddad", "haddad|muhammad"}
    assert {key for kind, key in keys if kind == "p"} == {"mhmt|ahmt", "ahmt|ht", "ht|mhmt"}


@pytest.mark.parametrize("count", range(1, 9))
def test_linked_keys_hold_every_two_words_and_start_with_every_word(count):
    items = [f"w{n}" for n in range(count)]
    keys = names.linked_keys(items)
    for a, b in combinations(items, 2):
        assert set(names.pair_keys(a, b)) & keys, (a, b)
    for item in items:
        low, high = names.starting_range(item)
        assert any(low <= key < high for key in keys), item
    # Never more keys than single words and pairs would take, and fewer from three words on.
    assert len(keys) == max(count, count * (count - 1) // 2)


def test_a_range_of_keys_finds_a_word_and_no_other():
    keys = names.linked_keys(["ali", "alihan", "hasan"])
    low, high = names.starting_range("ali")
    assert [key for key in sorted(keys) if low <= key < high] == ["ali|alihan"]
    low, high = names.starting_range("alihan")
    assert [key for key in sorted(keys) if low <= key < high] == ["alihan|hasan"]


def test_the_same_spelling_scores_above_a_variant_and_a_variant_above_a_lookalike():
    query = names.query_words("Mohammed Hassan")
    same, _ = names.match_score(query, names.words("Mohammed Hassan"))
    variant, how = names.match_score(query, names.words("Muhammad Hasan"))
    lookalike, _ = names.match_score(query, names.words("Mahmoud Hussein"))
    assert same == 1.0
    assert 0.9 <= variant < 1.0 and how == {names.Agreement.VARIANT}
    assert lookalike < 0.75


def test_a_word_the_search_leaves_out_costs_a_little():
    query = names.query_words("Mohammed Haddad")
    shorter, _ = names.match_score(query, names.words("Mohammed Haddad"))
    longer, _ = names.match_score(query, names.words("Mohammed Ali Haddad"))
    assert shorter > longer > 0.9


# --- properties ----------------------------------------------------------------------------------------------

LETTERS = "abcdefghijklmnopqrstuvwxyzçğıöşüâîûéèäëABCDEFGHIJKLMNOPQRSTUVWXYZÇĞİÖŞÜÂÎÛ"
ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهويةىءأإآپچژگکی"
name_text = st.text(alphabet=LETTERS + ARABIC + " -'’ʿ", max_size=40) | st.sampled_from(
    ["Abd", "Abdul", "al-Rahman", "Abu", "Bakr", "bin", "Ali", "Nur", "al-Din", "Eddine", "El", "Din", "ash-Shami"]
)
latin_text = st.text(alphabet=LETTERS + " -'", max_size=40)


@given(name_text)
def test_folding_twice_changes_nothing(text):
    assert names.fold(names.fold(text)) == names.fold(text)


@given(name_text)
def test_folded_text_is_lower_case_ascii_words(text):
    folded = names.fold(text)
    assert all(ch.isascii() and (ch.islower() or ch.isdigit() or ch == " ") for ch in folded)
    assert "  " not in folded and folded == folded.strip()


@given(latin_text)
def test_keys_do_not_depend_on_case_turkish_or_not(text):
    keys = names.person_name_keys(text, "", "")
    assert names.person_name_keys(tr_upper(text), "", "") == keys
    assert names.person_name_keys(tr_lower(text), "", "") == keys
    assert names.person_name_keys(text.upper(), "", "") == keys


@given(st.lists(name_text, min_size=1, max_size=3))
def test_a_name_in_parts_gives_the_words_of_the_whole_line(parts):
    assert names.name_words(*parts) == names.words(" ".join(part for part in parts if part.strip()))


@given(name_text)
def test_keys_fit_the_key_column(text):
    for kind, key in names.person_name_keys(text, text, text, text):
        assert kind in "wp" and 0 < len(key) <= names.KEY_LENGTH


@given(latin_text)
def test_a_name_matches_itself_fully(text):
    query = names.query_words(text)
    if query:
        score, _ = names.match_score(query, names.words(text))
        assert score == 1.0


@given(name_text, name_text)
def test_scores_are_between_zero_and_one(one, other):
    score, _ = names.match_score(names.query_words(one), names.words(other))
    assert 0.0 <= score <= 1.0


@settings(max_examples=300)
@given(st.text(alphabet="bcdfghjklmnpqrstvz", min_size=3, max_size=8), st.data())
def test_one_typo_apart_skeletons_share_a_deletion(skeleton, data):
    """The typo widening finds every skeleton one edit away through the deletions filed in the index."""
    position = data.draw(st.integers(0, len(skeleton) - 1))
    letter = data.draw(st.sampled_from("bcdfghjklmnpqrstvz"))
    edit = data.draw(st.sampled_from(["substitute", "insert", "delete", "swap"]))
    if edit == "substitute":
        typo = skeleton[:position] + letter + skeleton[position + 1 :]
    elif edit == "insert":
        typo = skeleton[:position] + letter + skeleton[position:]
    elif edit == "delete":
        typo = skeleton[:position] + skeleton[position + 1 :]
    else:
        position = min(position, len(skeleton) - 2)
        typo = skeleton[:position] + skeleton[position + 1] + skeleton[position] + skeleton[position + 2 :]
    assert names.deletions(skeleton) & names.deletions(typo)
    assert names.one_typo_apart(skeleton, typo)


def test_every_listed_spelling_maps_to_its_line():
    for head, spellings in names.VARIANT_SPELLINGS.items():
        key = "".join(names.name_tokens(head))
        for spelling in spellings:
            assert "".join(word.canonical for word in names.words(spelling)) == key, (head, spelling)
