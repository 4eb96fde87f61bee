"""Who sets retention and holds: the administrator (Liman has no data protection focal point role yet)."""

from liman.core.choices import Role

PRIVACY_ROLES = frozenset({Role.ADMINISTRATOR})
