"""The navigation: each app adds its entries in AppConfig.ready().

An entry is shown to the roles that may open its page. Unless it names roles itself, it reads them from its view
(`required_roles`, set by `liman.core.views.role_required`), so the link and the page cannot disagree. Besides
the main bar (`menu="main"`), an app may add its own tabs (`menu="dtm"`), read in templates as
`nav_menus.dtm`.
"""

from __future__ import annotations

from dataclasses import dataclass

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


NAV_ITEMS: list[NavItem] = []


def register(item: NavItem) -> None:
    NAV_ITEMS[:] = [e for e in NAV_ITEMS if (e.menu, e.key) != (item.menu, item.key)] + [item]
    NAV_ITEMS.sort(key=lambda entry: entry.order)


def roles_for(item: NavItem) -> frozenset[str] | None:
    """The roles that see the entry: its own, or those its view requires."""
    if item.roles is not None:
        return item.roles
    return getattr(resolve(reverse(item.url_name)).func, "required_roles", None)


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
        entries.append({"key": item.key, "label": item.label, "url": url, "active": active})
    return entries


class Menus:
    """`nav_menus.<menu>` in templates: the entries of that menu the user may open."""

    def __init__(self, user, current_path: str):
        self.user, self.current_path = user, current_path

    def __getitem__(self, menu: str) -> list[dict]:
        return items_for(self.user, self.current_path, menu)
