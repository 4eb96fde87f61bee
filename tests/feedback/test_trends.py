"""Feedback trends: counts by month, category, channel and province; the protected channel only as a monthly total
from 11 up for those who do not read it, and in full for the focal points."""

from __future__ import annotations

import io

import openpyxl
from django.urls import reverse

from liman.core.choices import Role
from liman.feedback import selectors, services
from tests.factories import staff


def _record(office, by, category, n, channel="hotline"):
    for number in range(n):
        services.feedback_record(
            office=office, channel=channel, category=category, summary=f"{category} {number}", by=by
        )


def test_trends_count_what_the_reader_reads_and_the_protected_channel_from_eleven(client, istanbul):
    desk = staff(Role.CASEWORKER, istanbul, username="cw.ist")
    _record(istanbul, desk, "information", 4)
    _record(istanbul, desk, "payment", 2, channel="sms")
    _record(istanbul, desk, "sea", 3)
    trends = selectors.trends(desk)
    assert trends["total"] == 6 and dict(trends["channels"]) == {"Hotline call": 4, "SMS": 2}
    assert trends["protected"] and all(count == "<11" for _month, count in trends["protected"])
    _record(istanbul, desk, "fraud", 9)
    assert [count for _month, count in selectors.trends(desk)["protected"]] == ["12"]
    focal = staff(Role.PSEA_FOCAL_POINT, istanbul, username="psea.ist")
    mine = selectors.trends(focal)
    assert mine["total"] == 18 and mine["protected"] == []  # they read the complaints themselves, and the rest
    client.force_login(staff(Role.REPORTING_OFFICER, istanbul, username="ro.ist"))
    page = client.get(reverse("feedback:feedback-trends")).content.decode()
    assert "Protected channel" in page and "fraud 1" not in page
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(reverse("feedback:feedback-trends-xlsx")).content)).active
    cells = [cell for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None]
    assert "Information request" in cells and "12" in cells
