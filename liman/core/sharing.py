"""Personal data leaves the mission (a referral to a partner organisation, a partner's access to its referrals, a file
exchanged for record linkage) only under a data-sharing agreement that covers its purpose and data.

The register of agreements is data protection's (`liman.privacy.sharing`), at the top of the apps' order; the apps
that transfer data come before it and never import it. They ask the guard registered here instead, the way
reporting's measures and the person-page sections are registered in core."""

from __future__ import annotations

from types import ModuleType

from django.core.exceptions import ImproperlyConfigured

_guard: ModuleType | None = None


def register(guard: ModuleType) -> None:
    """The module that decides (liman.privacy.sharing): `agreement_for`, `agreement_named`, `expiry_warning`,
    `transfer_payload`, `partner_covered` and `referral_categories`."""
    global _guard
    _guard = guard


def guard() -> ModuleType:
    """The registered guard; without one no data leaves (deny by default)."""
    if _guard is None:
        raise ImproperlyConfigured("No data-sharing guard is registered: liman.privacy registers it when it loads.")
    return _guard
