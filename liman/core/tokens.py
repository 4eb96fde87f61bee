"""API tokens: made here, kept only as a SHA-256 digest, and checked by the API's authentication class.

A key is 32 random bytes (256 bits), so a plain SHA-256 is enough to keep it: nothing to guess, no need for a
slow password hash. The database holds the digest; the lookup is by digest (an index, not a comparison of
secrets), and the found digest is compared again in constant time.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .models import ApiToken

KEY_BYTES = 32
PREFIX_LENGTH = 6


def new_key() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def default_days() -> int:
    return settings.LIMAN_API_TOKEN_DAYS


def expiry(days: int | None = None, *, now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or timezone.now()) + datetime.timedelta(days=days if days is not None else default_days())


def token_for_key(key: str) -> ApiToken | None:
    """The token whose key is `key`, expired or not; None when there is none."""
    if not key:
        return None
    digest = key_digest(key)
    token = ApiToken.objects.select_related("user").filter(digest=digest).first()
    if token is None or not hmac.compare_digest(token.digest, digest):
        return None
    return token


class HashedTokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`: the key's digest must name a token that has not expired, of an active user.

    Anything else answers 401 (with `WWW-Authenticate: Token`, from the parent class).
    """

    def authenticate_credentials(self, key):
        token = token_for_key(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        now = timezone.now()
        if token.is_expired(now):
            raise exceptions.AuthenticationFailed(_("The token has expired: ask for a new one."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        # When a token was last used tells its owner whether a script still holds it (at most once a minute).
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
