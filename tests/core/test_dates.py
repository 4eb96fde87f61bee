"""Dates read the same in every language: ISO (2026-12-06, 2026-12-06 14:05), never 12/06/2026 or June 12, 2026.

Pages of the demo with dates on them (every link of the navigation, and the records they list) are rendered in
each language and searched for US-order or month-name dates.
"""

import datetime
import re

import pytest
from django.utils import formats, translation
from django.utils.translation import pgettext

from liman.core import demo, navigation
from liman.core.choices import Role
from tests.factories import staff

pytestmark = pytest.mark.django_db

MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
    "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
    "|Ocak|Şubat|Mart|Nisan|Mayıs|Haziran|Temmuz|Ağustos|Eylül|Ekim|Kasım|Aralık"
    "|يناير|فبراير|مارس|أبريل|إبريل|مايو|يونيو|يوليو|أغسطس|سبتمبر|أكتوبر|نوفمبر|ديسمبر"
)
US_ORDER = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b")
MONTH_NAME_DATE = re.compile(
    rf"(?<![\d:])\b\d{{1,2}}\.?\s+(?:{MONTHS})\.?,?\s+\d{{4}}\b|\b(?:{MONTHS})\.?\s+\d{{1,2}},?\s+\d{{4}}\b"
)


def bad_dates(html: str) -> list[str]:
    text = re.sub(r"<[^>]+>", " ", html)
    return [m.group(0) for m in US_ORDER.finditer(text)] + [m.group(0) for m in MONTH_NAME_DATE.finditer(text)]


def test_the_check_finds_the_dates_it_must():
    assert bad_dates("<td>12/06/2026</td> <td>June 12, 2026</td> <td>Dec. 6, 2026</td> <td>6 Aralık 2026</td>") == [
        "12/06/2026", "June 12, 2026", "Dec. 6, 2026", "6 Aralık 2026",
    ]  # fmt: skip
    assert bad_dates("<td>2026-12-06</td><td>2026-12-06 14:05</td><td>June 2026</td>") == []


@pytest.mark.parametrize("language", ["en", "tr", "ar"])
def test_dates_and_date_pickers_are_iso_in_every_language(language):
    with translation.override(language):
        assert formats.date_format(datetime.date(2026, 12, 6)) == "2026-12-06"
        assert formats.date_format(datetime.date(2026, 12, 6), "SHORT_DATE_FORMAT") == "2026-12-06"
        assert formats.date_format(datetime.datetime(2026, 12, 6, 14, 5), "DATETIME_FORMAT") == "2026-12-06 14:05"
        # <input type="date"> takes and gives ISO: what forms write first.
        assert formats.get_format("DATE_INPUT_FORMATS")[0] == "%Y-%m-%d"


def test_from_of_a_date_range_is_not_the_sender_in_turkish():
    with translation.override("tr"):
        assert pgettext("date range", "From") == "Başlangıç"
        assert pgettext("flight leg", "From") == "Kalkış"


@pytest.fixture
def seeded(db):
    demo.run_seeders(2026)


def test_demo_pages_show_no_us_order_or_month_name_dates(seeded, client, settings):
    from liman.core.models import Office

    settings.LIMAN_SECOND_FACTOR_ROLES = []
    user = staff(Role.ADMINISTRATOR, Office.objects.get(code="IST"), username="reads.dates")
    for role in (Role.CASEWORKER, Role.DTM_OFFICER, Role.SUPERVISOR):
        user.role_grants.create(role=role, office=None)
    client.force_login(user)
    menus = {item.menu for item in navigation.NAV_ITEMS}
    urls = sorted({entry["url"] for menu in menus for entry in navigation.items_for(user, "/", menu)})
    for language in ("en", "tr", "ar"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        pages = {}
        for url in urls:
            response = client.get(url)
            if response.status_code != 200:
                continue
            pages[url] = response.content.decode()
            # One record of each list: detail pages carry most of the dates.
            details = re.findall(r'href="(/(?:people|cases|dtm/sites|dtm/submissions|audit)/[^"?#]+/)"', pages[url])
            for link in details[:2]:
                detail = client.get(link)
                if detail.status_code == 200:
                    pages[link] = detail.content.decode()
        assert len(pages) > 10 and any(re.search(r"\b20\d\d-\d\d-\d\d\b", page) for page in pages.values())
        found = {url: bad_dates(page)[:3] for url, page in pages.items() if bad_dates(page)}
        assert found == {}, language
