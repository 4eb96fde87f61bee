"""The main navigation: each app adds its entries in AppConfig.ready(), with the roles that see them."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from .access import has_role


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url_name: str
    roles: frozenset[str] | None = None  # None: everyone signed in
    order: int = 100


NAV_ITEMS: list[NavItem] = []


def register(item: NavItem) -> None:
    NAV_ITEMS[:] = [existing for existing in NAV_ITEMS if existing.key != item.key] + [item]
    NAV_ITEMS.sort(key=lambda entry: entry.order)


def items_for(user, current_path: str) -> list[dict]:
    entries = []
    for item in NAV_ITEMS:
        if item.roles is not None and not has_role(user, item.roles):
            continue
        url = reverse(item.url_name)
        active = current_path == url if url == "/" else current_path.startswith(url)
        entries.append({"key": item.key, "label": item.label, "url": url, "active": active})
    return entries
