"""The navigation: each app adds its entries in AppConfig.ready().

An entry is shown to the roles that may open its page. Unless it names roles itself, it reads them from its view
(`required_roles`, set by `liman.core.views.role_required`), so the link and the page cannot disagree. Besides
the main bar (`menu="main"`), an app may add its own tabs (`menu="dtm"`), read in templates as
`nav_menus.dtm`.

The main bar groups its entries (`NavItem.group`, a key of `GROUPS`: People & cases, Movements, Field data,
Assistance, Administration), so that a role with many entries (a supervisor) still has one line on a laptop in every
language: a group shows as one menu, or as its one entry when the user may open only one of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import resolve, reverse

from .access import has_role


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url_name: str
    roles: frozenset[str] | None = None  # None: the roles its view requires (everyone signed in if none)
    order: int = 100
    menu: str = "main"
    #: The group of the main bar it belongs to (a key of `GROUPS`); "" keeps it on the bar itself.
    group: str = ""


@dataclass(frozen=True)
class NavGroup:
    key: str
    label: str
    order: int = 100


NAV_ITEMS: list[NavItem] = []
GROUPS: dict[str, NavGroup] = {}


def register_group(group: NavGroup) -> None:
    GROUPS[group.key] = group


def register(item: NavItem) -> None:
    NAV_ITEMS[:] = [e for e in NAV_ITEMS if (e.menu, e.key) != (item.menu, item.key)] + [item]
    NAV_ITEMS.sort(key=lambda entry: entry.order)


def roles_for(item: NavItem) -> frozenset[str] | None:
    """The roles that see the entry: its own, or those its view requires."""
    if item.roles is not None:
        return item.roles
    return _view_roles(item.url_name)


@cache
def _view_roles(url_name: str) -> frozenset[str] | None:
    """Read once per process: resolving a path walks the URL patterns, and the bar asks this of every entry on
    every page (80 entries: a tenth of a person page's server time)."""
    return getattr(resolve(reverse(url_name)).func, "required_roles", None)


@receiver(setting_changed)
def _urls_changed(setting, **kwargs) -> None:
    if setting == "ROOT_URLCONF":
        _view_roles.cache_clear()


def items_for(user, current_path: str, menu: str = "main") -> list[dict]:
    entries = []
    for item in NAV_ITEMS:
        if item.menu != menu:
            continue
        roles = roles_for(item)
        if roles is not None and not has_role(user, roles):
            continue
        url = reverse(item.url_name)
        active = current_path == url if url == "/" else current_path.startswith(url)
        entries.append(
            {
                "key": item.key,
                "label": item.label,
                "url": url,
                "active": active,
                "group": item.group,
                "order": item.order,
            }
        )
    return entries


def bar_of(entries: list[dict]) -> list[dict]:
    """The main bar as shown, from the user's main entries (`items_for`): entries without a group, and one entry
    per group the user may open something of (a menu of its entries, or its one entry itself); a group takes its
    own place (`NavGroup.order`) among the entries."""
    bar: list[dict] = []
    groups: dict[str, dict] = {}
    for entry in entries:
        group = GROUPS.get(entry["group"])
        if group is None:
            bar.append({"kind": "link", **entry})
            continue
        if group.key not in groups:
            groups[group.key] = {
                "kind": "group",
                "key": group.key,
                "label": group.label,
                "items": [],
                "active": False,
                "order": group.order,
            }
            bar.append(groups[group.key])
        groups[group.key]["items"].append(entry)
        groups[group.key]["active"] |= entry["active"]
    bar.sort(key=lambda shown: shown["order"])
    return [
        {"kind": "link", **shown["items"][0]} if shown["kind"] == "group" and len(shown["items"]) == 1 else shown
        for shown in bar
    ]


@dataclass(frozen=True)
class BarSearch:
    """The search box of the main bar: shown to whoever may open the entry `nav_key`, it asks that entry's page
    with the text typed as `param` (the registry's people search: `?name=`)."""

    nav_key: str
    param: str
    label: str


SEARCH: list[BarSearch] = []


def register_search(search: BarSearch) -> None:
    SEARCH[:] = [search]


def search_of(entries: list[dict]) -> dict | None:
    """The bar's search box for a user with these main entries, or None when they may not open its page."""
    for search in SEARCH:
        for entry in entries:
            if entry["key"] == search.nav_key:
                return {"url": entry["url"], "param": search.param, "label": search.label}
    return None


class Menus:
    """`nav_menus.<menu>` in templates: the entries of that menu the user may open."""

    def __init__(self, user, current_path: str):
        self.user, self.current_path = user, current_path

    def __getitem__(self, menu: str) -> list[dict]:
        return items_for(self.user, self.current_path, menu)
