"""A partner's beneficiary file, checked against a payment list at verification: the columns of `liman dedup file`
(record_id, first_name, father_name, family_name, sex, birth_date, nationality, phone, foreigner_id, household_id),
read with the project's table reader (CSV in UTF-8 or Windows-1254, or XLSX). A file that cannot be used is
refused whole, each problem naming its row and column; nothing of it is kept."""

from __future__ import annotations

import datetime
import re
from typing import IO

from django.utils.translation import gettext as _

from liman.core.tabular import TableError, read_table
from liman.dedup.engine import COLUMNS

#: Problems listed at most (a file wrong throughout says so in its first rows).
MAX_PROBLEMS = 30

_YEAR = re.compile(r"^\d{4}$")
_NATIONALITY = re.compile(r"^[A-Z]{3}$")


class PartnerFileRefused(ValueError):
    """The file was not used; `problems` say where and what."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def _birth_date_ok(value: str) -> bool:
    if _YEAR.match(value):
        return True
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def read_partner_file(stream: IO[bytes], name: str) -> list[dict[str, str]]:
    """The file's records, as `cycle_verify(partner_records=…)` takes them; raises PartnerFileRefused."""
    try:
        table = read_table(stream, name)
    except TableError as exc:
        raise PartnerFileRefused([str(exc)]) from exc
    header = [cell.strip().lower() for cell in table.header]
    missing = [column for column in COLUMNS if column not in header]
    unknown = [column for column in header if column and column not in COLUMNS]
    problems = []
    if missing:
        problems.append(_("Row 1: missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    if unknown:
        problems.append(_("Row 1: unknown columns: %(columns)s.") % {"columns": ", ".join(unknown)})
    if problems:
        table.close()
        raise PartnerFileRefused(problems)

    def problem(row: int, column: str, value: str, message: str) -> None:
        problems.append(
            _("Row %(row)d, %(column)s “%(value)s”: %(message)s")
            % {"row": row, "column": column, "value": value, "message": message}
        )

    records: list[dict[str, str]] = []
    seen: dict[str, int] = {}
    for number, cells in table.rows:
        if not any(cell.strip() for cell in cells):
            continue
        record = {column: "" for column in COLUMNS}
        for index, column in enumerate(header):
            if column in record and index < len(cells):
                record[column] = cells[index].strip()
        record_id = record["record_id"]
        if not record_id:
            problem(number, "record_id", "", _("is empty: every record needs an id."))
        elif record_id in seen:
            problem(number, "record_id", record_id, _("is also on row %(row)d.") % {"row": seen[record_id]})
        else:
            seen[record_id] = number
        record["sex"] = record["sex"].upper()
        if record["sex"] not in ("", "M", "F"):
            problem(number, "sex", record["sex"], _("must be M or F."))
        if record["birth_date"] and not _birth_date_ok(record["birth_date"]):
            message = _("must be YYYY-MM-DD, or YYYY when only the year is known.")
            problem(number, "birth_date", record["birth_date"], message)
        record["nationality"] = record["nationality"].upper()
        if record["nationality"] and not _NATIONALITY.match(record["nationality"]):
            message = _("must be a three-letter ISO 3166 code such as SYR.")
            problem(number, "nationality", record["nationality"], message)
        if not any(record[part] for part in ("first_name", "family_name")):
            problem(number, "first_name", "", _("a record needs a first or a family name."))
        records.append(record)
        if len(problems) >= MAX_PROBLEMS:
            problems.append(_("… and the file was not read further."))
            break
    table.close()
    if problems:
        raise PartnerFileRefused(problems)
    if not records:
        raise PartnerFileRefused([_("The file has a header and no records.")])
    return records
