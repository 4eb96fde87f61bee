"""The published table of people met at the border: province × month × sex and age, HXL-tagged, with the minimum
cell rule of every published figure (`liman.core.disclosure`)."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _

from liman.core.disclosure import min_cell, neutralise, suppress, suppressed_mark

from .choices import AgeGroup, Sex

#: HXL age attributes (https://hxlstandard.org/standard/dictionary/), as DTM publishes them.
HXL_AGE = {AgeGroup.INFANTS: "infants", AgeGroup.CHILDREN: "children", AgeGroup.ADULTS: "adults",
           AgeGroup.ELDERLY: "elderly"}  # fmt: skip
SEX_AGE = [f"{sex}_{age}" for sex in Sex.values for age in AgeGroup.values]


def columns() -> list[tuple[str, str, str]]:
    """(key, header, HXL hashtag) of each column."""
    head = [
        ("month", _("Month"), "#date+month"),
        ("province_pcode", _("Province p-code"), "#adm1+code"),
        ("province", _("Province"), "#adm1+name"),
        ("incidents", _("Incidents"), "#event+num"),
        ("individuals", _("People met"), "#reached+ind"),
    ]
    return head + [
        (key, f"{Sex(key[0]).label} {AgeGroup(key[2:]).label}", f"#reached+{key[0]}+{HXL_AGE[key[2:]]}")
        for key in SEX_AGE
    ]


def publishable(row: dict, k: int) -> dict:
    """One row as it may be published: a small total hides every part; else small parts are hidden, with a
    complement when the total would give a single hidden part away."""
    parts = {key: row.get(key, 0) for key in SEX_AGE}
    hidden = suppress({"individuals": row["individuals"]}, k, total_published=False)
    if hidden:
        hidden |= {key for key, value in parts.items() if value}
    else:
        hidden |= suppress(parts, k)
    mark = suppressed_mark(k)
    return {**row, **{key: row.get(key, 0) for key in SEX_AGE}, **{key: mark for key in hidden}}


def incident_figures_csv(rows: list[dict]) -> bytes:
    k = min_cell()
    out = io.StringIO()
    writer = csv.writer(out)
    cols = columns()
    writer.writerow([header for _key, header, _tag in cols])
    writer.writerow([tag for _key, _header, tag in cols])
    for row in rows:
        published = publishable(row, k) if k > 1 else row
        writer.writerow([neutralise(published.get(key, "")) for key, _header, _tag in cols])
    return out.getvalue().encode("utf-8")
