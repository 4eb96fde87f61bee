"""The rules of a partner's distribution report, each defined once: the partner page's service and the XLSX import
through staging check a report the same way, with the same messages.

Sub-districts are Syria's admin-3 units, named by their OCHA COD-AB p-code: `SY` + governorate (01–14) + district
+ sub-district, two digits each (SY070400 is Jisr-Ash-Shugur, Idleb). The project ships no Syrian boundary file, so
the p-code's pattern is checked, not its existence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.utils.translation import gettext as _

from liman.assistance.choices import AgeGroup, Sex

SUBDISTRICT_PCODE = re.compile(r"SY(0[1-9]|1[0-4])[0-9]{4}")
NAME_LENGTH = 120

#: The people reached on a line, by sex × age group (SADD, the DTM and 3RP age groups): (sex, age group).
SADD_CELLS: list[tuple[str, str]] = [(sex, age) for sex in Sex.values for age in AgeGroup.values]
_SEX_WORDS = {Sex.FEMALE: "female", Sex.MALE: "male"}
_AGE_WORDS = {AgeGroup.INFANTS: "0_4", AgeGroup.CHILDREN: "5_17", AgeGroup.ADULTS: "18_59", AgeGroup.ELDERLY: "60_plus"}


def cell_name(sex: str, age_group: str) -> str:
    """The column (and form field) of one sex × age cell: `female_0_4` … `male_60_plus`."""
    return f"{_SEX_WORDS[sex]}_{_AGE_WORDS[age_group]}"


def cell_label(sex: str, age_group: str) -> str:
    return f"{Sex(sex).label} {AgeGroup(age_group).label}"


def pcode_problem(pcode: str) -> str | None:
    if not pcode:
        return _("Give the sub-district's p-code (SY and six digits, e.g. SY070400).")
    if not SUBDISTRICT_PCODE.fullmatch(pcode):
        return _(
            "%(pcode)s is not a Syrian sub-district p-code: SY, the governorate (01–14), then two digits for the "
            "district and two for the sub-district (e.g. SY070400)."
        ) % {"pcode": pcode}
    return None


def name_problem(name: str) -> str | None:
    if not name:
        return _("Give the sub-district's name.")
    if len(name) > NAME_LENGTH:
        return _("A name of at most %(limit)d characters.") % {"limit": NAME_LENGTH}
    return None


def line_problems(*, households: int, people: int, sadd: Mapping[tuple[str, str], int]) -> dict[str, str]:
    """What is wrong with the figures of one sub-district's line: field → message."""
    problems: dict[str, str] = {}
    counted = sum(sadd.values())
    if people < 1:
        problems["people"] = _("A line reports the people reached in the sub-district: at least one.")
    elif people != counted:
        problems["people"] = _(
            "%(people)d people reached, but the counts by sex and age add up to %(counted)d: people is their sum."
        ) % {"people": people, "counted": counted}
    if households > people:
        problems["households"] = _("More households (%(households)d) than people (%(people)d) reached.") % {
            "households": households,
            "people": people,
        }
    elif people and households < 1:
        problems["households"] = _("People were reached: say how many households they live in (at least one).")
    return problems


def distributed_problems(
    distributed: Mapping[str, int], received: Mapping[str, int], names: Mapping[str, str]
) -> dict[str, str]:
    """Item code → what is wrong: more distributed than the partner received at the handover, or an item that was
    not in the consignment."""
    problems: dict[str, str] = {}
    for code, quantity in distributed.items():
        if not quantity:
            continue
        if code not in received:
            problems[code] = _("%(item)s was not in this consignment.") % {"item": names.get(code, code)}
        elif quantity > received[code]:
            problems[code] = _(
                "%(quantity)d × %(item)s reported distributed, but %(received)d were received at the handover."
            ) % {"quantity": quantity, "item": names.get(code, code), "received": received[code]}
    return problems
