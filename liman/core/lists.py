"""Lists that work like lists: sort by a column, filter by the obvious fields, keep both in the URL, export.

A list declares its columns and filters once, as a `ListSpec` registered here; its view then reads the
request through a `Listing`, which

- cleans the filters (an unknown choice is ignored and named in a notice, never a 500),
- orders the rows by the column asked for in `?sort=` (`-` in front for descending; an unknown column
  falls back to the list's default order with a notice),
- gives the template its sortable headers (`core/_list_head.html`: links, `aria-sort`), its filter bar
  (`core/_list_filters.html`) and its export links (`core/_list_exports.html`), all keeping the URL's other
  parameters, and
- answers the export (`export_response`): CSV or XLSX of the same rows in the same order with the same
  columns as the page shows them (what the page masks, the file masks: columns take their values from the
  same objects), every cell neutralised against formulas (`core.tabular`), one audit event per export.

The rows are always the view's own scoped selector's; a list never reads anything the page would not.
Every registered list is walked by `tests/core/test_lists.py` (every column, both directions, every filter).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from . import audit, tabular
from .access import strictest
from .choices import AuditAction

EXPORT_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: Longest text a text filter keeps (a search box, not a document).
TEXT_FILTER_CHARS = 200


@dataclass(frozen=True)
class Column:
    """One column of a list: its key in `?sort=`, its header, its cell as the page shows it.

    `order_by` are the ORM fields that sort it (none: the column does not sort); for a list held in memory
    (ranked search matches) the column sorts by its `value` instead, when `sortable` is set."""

    key: str
    label: Any
    value: Callable[[Any], Any]
    order_by: tuple[str, ...] = ()
    sortable: bool | None = None
    #: False for a column only the export has (the page shows it inside another cell).
    in_page: bool = True

    @property
    def sorts(self) -> bool:
        return bool(self.order_by) if self.sortable is None else self.sortable


def name_column(key: str, label: Any, path: str) -> Column:
    """A person's full name reached along `path` (`"case__person"`), sorted by family name, then first name."""
    steps = path.split("__")

    def full_name(row) -> str:
        for step in steps:
            row = getattr(row, step)
        return row.full_name

    return Column(key, label, full_name, (f"{path}__family_name", f"{path}__first_name"))


@dataclass(frozen=True)
class Filter:
    """One filter of a list: a choice (`choices(request, values)` gives the options), a text or a yes/no flag."""

    key: str
    label: Any
    kind: str = "choice"
    choices: Callable[[HttpRequest, dict], Sequence[tuple[str, Any]]] | None = None
    #: The option meaning "no filter" for a choice, the placeholder for a text, the box's text for a flag.
    empty_label: Any = ""
    #: Shown in the filter bar (a filter set by a tab or a link elsewhere may stay out of it).
    in_bar: bool = True

    def options(self, request: HttpRequest, values: dict) -> list[tuple[str, Any]]:
        return [(str(value), label) for value, label in (self.choices(request, values) if self.choices else ())]


@dataclass(frozen=True)
class ListSpec:
    """A list page: its URL name, its columns and filters, its default order and its export."""

    url_name: str
    title: Any
    columns: tuple[Column, ...]
    filters: tuple[Filter, ...] = ()
    #: A column key, `-` in front for descending; "" keeps the selector's own order (a ranked search).
    default_sort: str = ""
    #: URL names of the CSV and XLSX exports (`export_urls` makes both), or "" when the list does not export.
    export_url_name: str = ""
    #: A field naming each row in the audit event of an export (its reference), when the rows have one.
    reference_field: str = "reference"
    #: Parameters that make the page show rows at all (a search shows none before it has terms); the walk in
    #: tests/core/test_lists.py adds them to every address it asks.
    example_query: tuple[tuple[str, str], ...] = ()

    def column(self, key: str) -> Column | None:
        return next((column for column in self.columns if column.key == key and column.sorts), None)

    def filter(self, key: str) -> Filter | None:
        return next((item for item in self.filters if item.key == key), None)


#: Every list, by the URL name of its page (the walk in tests/core/test_lists.py reads it).
LISTS: dict[str, ListSpec] = {}


def register(spec: ListSpec) -> ListSpec:
    LISTS[spec.url_name] = spec
    return spec


def registered() -> dict[str, ListSpec]:
    """Every list: each app declares its lists beside the views that import them, so load the URLs first."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (importing every view registers every list)
    return LISTS


def export_urls(route: str, view, name: str) -> list:
    """The two export routes of a list: `<route>.csv` and `<route>.xlsx`, named `<name>-csv` and `<name>-xlsx`."""
    from django.urls import path

    return [path(f"{route}.{fmt}", view, {"fmt": fmt}, name=f"{name}-{fmt}") for fmt in EXPORT_FORMATS]


@dataclass
class Header:
    label: Any
    key: str
    sortable: bool
    url: str = ""
    #: "ascending", "descending" or "none" (ARIA's names), for the sorted column and the others.
    aria_sort: str = "none"


@dataclass
class Listing:
    """One request's reading of a list: cleaned filter values, the order asked for, the notices about both."""

    request: HttpRequest
    spec: ListSpec
    values: dict = field(default_factory=dict)
    sort_key: str = ""
    descending: bool = False
    notices: list[str] = field(default_factory=list)
    options: dict = field(default_factory=dict)

    @classmethod
    def read(cls, request: HttpRequest, spec: ListSpec) -> Listing:
        listing = cls(request, spec)
        listing._read_filters()
        listing._read_sort()
        return listing

    # --- reading the request ----------------------------------------------------------------------------------

    def _read_filters(self) -> None:
        for item in self.spec.filters:
            raw = self.request.GET.get(item.key, "").strip()
            if item.kind == "flag":
                self.values[item.key] = raw == "1"
                continue
            if item.kind == "text":
                self.values[item.key] = raw[:TEXT_FILTER_CHARS]
                continue
            options = item.options(self.request, self.values)
            self.options[item.key] = options
            if raw and raw not in {value for value, _label in options}:
                self.notices.append(
                    _("“%(value)s” is not a choice of %(filter)s: that filter is left out.")
                    % {"value": raw[:40], "filter": str(item.label).lower()}
                )
                raw = ""
            self.values[item.key] = raw

    def _read_sort(self) -> None:
        raw = self.request.GET.get("sort", "").strip()
        asked = raw or self.spec.default_sort
        key, descending = asked.removeprefix("-"), asked.startswith("-")
        if raw and self.spec.column(key) is None:
            self.notices.append(
                _("The list cannot be sorted by “%(value)s”; it is in its usual order.") % {"value": raw[:40]}
            )
            key, descending = self.spec.default_sort.removeprefix("-"), self.spec.default_sort.startswith("-")
        self.sort_key, self.descending = (key, descending) if self.spec.column(key) else ("", False)

    # --- ordering -----------------------------------------------------------------------------------------

    @property
    def sort(self) -> str:
        return f"{'-' if self.descending else ''}{self.sort_key}" if self.sort_key else ""

    def ordered(self, rows):
        """The rows in the order asked for: a queryset by the column's fields (then by primary key, so pages
        never repeat a row), a list by the column's values (empty values last in either direction)."""
        column = self.spec.column(self.sort_key)
        if column is None:
            return rows
        if isinstance(rows, QuerySet):
            fields = column.order_by or ()
            terms = [f"-{name}" if self.descending else name for name in fields]
            return rows.order_by(*terms, "-pk" if self.descending else "pk")
        present = [row for row in rows if _sort_value(column.value(row)) is not None]
        missing = [row for row in rows if _sort_value(column.value(row)) is None]
        return sorted(present, key=lambda row: _sort_value(column.value(row)), reverse=self.descending) + missing

    # --- what the template shows ------------------------------------------------------------------------

    def _query(self, **changes) -> str:
        params = self.request.GET.copy()
        params.pop("page", None)
        for key, value in changes.items():
            params.pop(key, None)
            if value:
                params[key] = value
        return params.urlencode()

    @property
    def headers(self) -> list[Header]:
        headers = []
        for column in self.spec.columns:
            if not column.in_page:
                continue
            header = Header(column.label, column.key, column.sorts)
            if column.sorts:
                current = column.key == self.sort_key
                ascending_next = not current or self.descending
                header.url = "?" + self._query(sort=column.key if ascending_next else f"-{column.key}")
                if current:
                    header.aria_sort = "descending" if self.descending else "ascending"
            headers.append(header)
        return headers

    @property
    def bar(self) -> list[dict]:
        """The filter bar's fields, with their options and current values."""
        shown = []
        for item in self.spec.filters:
            if item.in_bar:
                shown.append(
                    {
                        "key": item.key,
                        "label": item.label,
                        "kind": item.kind,
                        "value": self.values.get(item.key),
                        "options": self.options.get(item.key, []),
                        "empty_label": item.empty_label,
                    }
                )
        return shown

    @property
    def sort_options(self) -> list[tuple[str, str]]:
        """(value, label) of every order the list offers, for the filter bar's "Sort by" (phones hide headers)."""
        options = []
        for column in self.spec.columns:
            if column.sorts:
                options.append((column.key, _("%(column)s, ascending") % {"column": column.label}))
                options.append((f"-{column.key}", _("%(column)s, descending") % {"column": column.label}))
        return options

    @property
    def hidden(self) -> list[tuple[str, str]]:
        """Parameters the filter bar does not show but must keep (a tab's filter, a search's terms)."""
        shown = {item.key for item in self.spec.filters if item.in_bar} | {"sort", "page"}
        return [(key, value) for key, value in self.request.GET.items() if key not in shown and value]

    @property
    def exports(self) -> list[tuple[str, str]]:
        """(format, URL) of the list's exports, with the filters and sort of the page."""
        if not self.spec.export_url_name:
            return []
        from django.urls import reverse

        query = self._query()
        return [
            (fmt.upper(), reverse(f"{self.spec.export_url_name}-{fmt}") + (f"?{query}" if query else ""))
            for fmt in EXPORT_FORMATS
        ]

    def show_notices(self) -> None:
        """The notices as messages on the page (for a view that prefers the message list to the list's own)."""
        for notice in self.notices:
            messages.warning(self.request, notice)

    # --- export -------------------------------------------------------------------------------------------

    def export_response(self, rows, fmt: str) -> HttpResponse:
        """The rows (the page's selector, filtered and sorted as the page) as a CSV or XLSX file, audited."""
        if fmt not in EXPORT_FORMATS:
            raise Http404
        rows = self.ordered(rows)
        limit = settings.LIMAN_EXPORT_MAX_ROWS
        count = rows.count() if isinstance(rows, QuerySet) else len(rows)
        if count > limit:
            messages.error(
                self.request,
                _("%(count)s rows are more than one export holds (%(limit)s): narrow the filters first.")
                % {"count": count, "limit": limit},
            )
            return redirect(f"{_reverse(self.spec.url_name)}?{self._query()}")
        audit.record(
            AuditAction.EXPORT,
            actor=self.request.user,
            object_type=_model_label(rows),
            object_repr=f"{self.spec.title} ({count})",
            changes={
                "format": fmt,
                "rows": count,
                "filters": {key: value for key, value in self.values.items() if value},
                "sort": self.sort,
                "sensitive": _sensitive_references(rows, self.spec.reference_field),
            },
            # The page's name without its namespace: an export's reason reads the same in every year of the log.
            reason=f"list export {self.spec.url_name.rpartition(':')[2]}",
            ip_address=audit.client_address(self.request),
            sensitivity=_tier_of(rows),
        )
        header = [str(column.label) for column in self.spec.columns]
        table = (
            [_cell(column.value(row)) for column in self.spec.columns]
            for row in (rows.iterator(chunk_size=2000) if isinstance(rows, QuerySet) else rows)
        )
        name = f"{slugify(str(self.spec.title)) or 'list'}-{timezone.localdate().isoformat()}.{fmt}"
        if fmt == "csv":
            body = tabular.csv_bytes([header, *table])
        else:
            body = tabular.xlsx_bytes({str(self.spec.title): [header, *table]})
        response = HttpResponse(body, content_type=EXPORT_FORMATS[fmt])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "no-store"
        return response


def _reverse(name: str) -> str:
    from django.urls import reverse

    return reverse(name)


def _sort_value(value):
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value.casefold()
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    return value


def _cell(value):
    """A cell as the page shows it: choices by their label, a person or user by their name, empty as blank."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | datetime.date):
        if isinstance(value, datetime.datetime):
            return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
        return value
    return str(value)


def _model_label(rows) -> str:
    if isinstance(rows, QuerySet):
        return rows.model._meta.label_lower
    first = next(iter(rows), None)
    model = getattr(getattr(first, "person", first), "_meta", None)
    return model.label_lower if model is not None else ""


def _scope_paths(rows) -> tuple[str, ...]:
    scope = getattr(rows.model, "scope", None) if isinstance(rows, QuerySet) else None
    return scope.sensitivity_paths if scope is not None else ()


def _tier_of(rows) -> str:
    """The strictest tier among the exported rows: one small query per sensitivity path of the model."""
    if not isinstance(rows, QuerySet):
        return strictest(_row_tier(row) for row in rows)
    tiers = set()
    for path in _scope_paths(rows):
        tiers |= set(rows.order_by().values_list(path, flat=True).distinct())
    return strictest(tiers)


def _row_tier(row) -> str:
    from .access import record_tier

    return record_tier(getattr(row, "person", row))


def _sensitive_references(rows, reference_field: str) -> list[str]:
    """Which rows above the normal tier went into the file (an audit can tell who exported whose file)."""
    if not isinstance(rows, QuerySet):
        return [
            str(getattr(getattr(row, "person", row), "reference", "")) for row in rows if _row_tier(row) != "normal"
        ]
    paths = _scope_paths(rows)
    if not paths:
        return []
    above = Q()
    for path in paths:
        above |= ~Q(**{path: "normal"})
    named = reference_field if reference_field in {f.name for f in rows.model._meta.fields} else "pk"
    return [str(value) for value in rows.filter(above).order_by().values_list(named, flat=True)]
