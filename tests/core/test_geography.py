import pytest
from hypothesis import given
from hypothesis import strategies as st

from liman.core.models import AdminArea
from liman.core.text import ascii_key, tr_lower, tr_title, tr_upper


@pytest.mark.django_db
def test_migrate_loads_81_provinces_and_973_districts():
    assert AdminArea.objects.provinces().count() == 81
    assert AdminArea.objects.districts().count() == 973


@pytest.mark.django_db
def test_izmir_has_its_pcode_iso_code_and_names():
    izmir = AdminArea.objects.get(pcode="TUR035")
    assert (izmir.name_tr, izmir.name_en, izmir.iso_code, izmir.level) == ("İzmir", "Izmir", "TR-35", 1)
    assert izmir.children.count() == 30
    assert izmir.geometry["type"] in ("Polygon", "MultiPolygon")
    assert 37.5 < izmir.centroid_lat < 39.5 and 26 < izmir.centroid_lon < 28.5


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["İZMİR", "izmir", "Izmir", "IZMIR", "İzmir", "35", "035", "TR-35", "tr-35", "TUR035"])
def test_resolve_finds_izmir_from_every_spelling(text):
    assert AdminArea.objects.resolve(text).pcode == "TUR035"


@pytest.mark.django_db
def test_resolve_handles_dotless_i_and_cedilla_names():
    assert AdminArea.objects.resolve("SANLIURFA").pcode == "TUR063"
    assert AdminArea.objects.resolve("şanlıurfa").pcode == "TUR063"
    assert AdminArea.objects.resolve("Gaziosmanpasa").pcode == "TUR034021"
    assert AdminArea.objects.resolve("Gazi Osmanpaşa").pcode == "TUR034021"


@pytest.mark.django_db
def test_resolve_prefers_the_province_when_a_district_shares_its_name():
    assert AdminArea.objects.resolve("Hatay").level == 1


@pytest.mark.django_db
def test_resolve_asks_for_the_province_when_a_district_name_is_shared():
    with pytest.raises(AdminArea.MultipleObjectsReturned, match="give the province"):
        AdminArea.objects.resolve("Gölbaşı")
    ankara = AdminArea.objects.resolve("Ankara")
    assert AdminArea.objects.resolve("Gölbaşı", parent=ankara).parent == ankara


@pytest.mark.django_db
def test_resolve_says_what_was_not_found():
    with pytest.raises(AdminArea.DoesNotExist, match="Atlantis"):
        AdminArea.objects.resolve("Atlantis")


@pytest.mark.django_db
def test_every_district_has_a_province_parent_and_a_pcode_under_it():
    for pcode, parent in AdminArea.objects.districts().values_list("pcode", "parent__pcode"):
        assert pcode.startswith(parent)


def test_turkish_case_rules():
    assert tr_lower("İZMİR IĞDIR") == "izmir ığdır"
    assert tr_upper("izmir ığdır") == "İZMİR IĞDIR"
    assert tr_title("GAZİ OSMANPAŞA") == "Gazi Osmanpaşa"
    assert tr_title("19 MAYIS") == "19 Mayıs"


@given(st.text(alphabet="abcçdefgğhıijklmnoöprsştuüvyzABCÇDEFGĞHIİJKLMNOÖPRSŞTUÜVYZ -'", max_size=30))
def test_ascii_key_is_the_same_for_upper_lower_and_title_case(name):
    key = ascii_key(name)
    assert key == ascii_key(tr_upper(name)) == ascii_key(tr_lower(name)) == ascii_key(tr_title(name))
    assert key.isascii()
    assert key == ascii_key(key)


def test_liman_shell_prints_only_the_counts(tmp_path):
    """The command the issue names, through the installed console script, on a fresh database."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    liman = str(Path(sys.executable).with_name("liman"))
    env = {**os.environ, "LIMAN_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run([liman, "migrate", "-v0"], env=env, check=True, timeout=300)
    code = (
        "from liman.core.models import AdminArea; "
        "print(AdminArea.objects.filter(level=1).count(), AdminArea.objects.filter(level=2).count())"
    )
    result = subprocess.run([liman, "shell", "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.stdout == "81 973\n"
