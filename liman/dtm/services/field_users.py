"""Field users (ODK Collect and KoboCollect logins): their passwords and Digest credentials, the growing delay
after wrong passwords from one address, and the Digest nonces already used."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liman.assistance.models import StockLocation
from liman.core import audit
from liman.core.choices import AuditAction
from liman.core.models import Office, User
from liman.core.services import record_update

from .. import openrosa
from ..models import DigestNonce, FieldLoginThrottle, FieldUser
from .audited import create_summarised


def openrosa_realm() -> str:
    return settings.LIMAN_OPENROSA_REALM


def generate_field_password() -> str:
    """Four groups of four letters and digits: typed on a phone when the QR code cannot be scanned."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def _credentials(username: str, password: str) -> dict:
    realm = openrosa_realm()
    return {
        "password_hash": make_password(password),
        "digest_ha1": openrosa.digest_ha1(username, realm, password),
        "digest_realm": realm,
    }


def field_user_create(
    *,
    office: Office,
    username: str,
    by: User | None,
    name: str = "",
    password: str | None = None,
    vehicle: StockLocation | None = None,
) -> tuple[FieldUser, str]:
    """A new field user; returns it and its password (generated when not given), shown once.

    A border mobile team's phone names the team's `vehicle` (a van of the same office): the incidents it sends
    are the van's, and the items given at them are issued from its stock."""
    username = username.strip().lower()
    password = password or generate_field_password()
    if FieldUser.objects.filter(username=username).exists():
        raise ValidationError({"username": _("The field user name %(name)s is taken.") % {"name": username}})
    _check_vehicle(vehicle)
    field_user = FieldUser(office=office, username=username, name=name.strip(), vehicle=vehicle, created_by=by)
    _validate_password(password, field_user)
    with transaction.atomic():
        for attr, value in _credentials(username, password).items():
            setattr(field_user, attr, value)
        summary = {"username": username, "office": office.code}
        if vehicle is not None:
            summary["vehicle"] = vehicle.vehicle_plate or vehicle.name
        create_summarised(field_user, by=by, summary=summary)
    return field_user, password


def _check_vehicle(vehicle: StockLocation | None) -> None:
    if vehicle is not None and not vehicle.is_active:
        raise ValidationError({"vehicle": _("%(vehicle)s is closed: choose a van in use.") % {"vehicle": vehicle}})


def field_user_set_vehicle(*, field_user: FieldUser, vehicle: StockLocation | None, by: User | None) -> FieldUser:
    """Give a field user their team's van (another office's, or a warehouse, is refused), or none."""
    _check_vehicle(vehicle)
    return record_update(field_user, by=by, changes={"vehicle": vehicle})


def _validate_password(password: str, field_user: FieldUser) -> None:
    """The staff password rules (AUTH_PASSWORD_VALIDATORS: length, common passwords, all digits, like the name)."""
    try:
        password_validation.validate_password(password, user=field_user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc


def field_user_set_password(*, field_user: FieldUser, by: User | None, password: str | None = None) -> str:
    password = password or generate_field_password()
    _validate_password(password, field_user)
    with transaction.atomic():
        for attr, value in _credentials(field_user.username, password).items():
            setattr(field_user, attr, value)
        field_user.full_clean()
        field_user.save()
        audit.record(AuditAction.UPDATE, actor=by, obj=field_user, changes={"password": ["[set]", "[set]"]})
    return password


def field_user_deactivate(*, field_user: FieldUser, by: User | None) -> FieldUser:
    return record_update(field_user, by=by, changes={"is_active": False})


def field_user_activate(*, field_user: FieldUser, by: User | None) -> FieldUser:
    return record_update(field_user, by=by, changes={"is_active": True})


#: Passwords already checked against their Argon2 hash, by (field user, hash): an HMAC under a key that lives
#: only in this process. Collect over HTTPS sends Basic credentials with every request, and one Argon2 check
#: costs a tenth of a second or more of CPU; this way only the first request of a password pays it.
_VERIFIED_PASSWORDS: OrderedDict[tuple[int, str], bytes] = OrderedDict()
_VERIFIED_KEY = secrets.token_bytes(32)
_VERIFIED_LOCK = threading.Lock()
_VERIFIED_MAX = 4096


def _password_mac(password: str) -> bytes:
    return hmac.new(_VERIFIED_KEY, password.encode("utf-8"), hashlib.sha256).digest()


def field_user_check_password(field_user: FieldUser, password: str) -> bool:
    """Whether `password` is the field user's (and the user active); a new password or hash misses the cache."""
    if not field_user.is_active:
        return False
    key = (field_user.pk, field_user.password_hash)
    mac = _password_mac(password)
    with _VERIFIED_LOCK:
        known = _VERIFIED_PASSWORDS.get(key)
    if known is not None and hmac.compare_digest(known, mac):
        return True
    if not check_password(password, field_user.password_hash):
        return False
    with _VERIFIED_LOCK:
        _VERIFIED_PASSWORDS[key] = mac
        _VERIFIED_PASSWORDS.move_to_end(key)
        while len(_VERIFIED_PASSWORDS) > _VERIFIED_MAX:
            _VERIFIED_PASSWORDS.popitem(last=False)
    return True


def field_user_seen(*, field_user: FieldUser, ip_address: str = "") -> None:
    """A phone signed in with the right password: the count of wrong ones from its address starts again, and the
    server notes when it last talked to the phone (at most once a minute: not worth an audit event)."""
    now = timezone.now()
    FieldLoginThrottle.objects.filter(username=field_user.username, ip_address=ip_address).delete()
    if field_user.last_seen_at is None or (now - field_user.last_seen_at).total_seconds() > 60:
        FieldUser.objects.filter(pk=field_user.pk).update(last_seen_at=now)
        field_user.last_seen_at = now


def field_lockout_attempts() -> int:
    """Wrong passwords from one address a field user name may have before each further try is delayed."""
    return settings.LIMAN_FIELD_LOCKOUT_ATTEMPTS


def field_lockout_minutes() -> int:
    """The longest delay, in minutes, the growing delay reaches."""
    return settings.LIMAN_FIELD_LOCKOUT_MINUTES


def field_login_delay(failures: int) -> datetime.timedelta | None:
    """How long an address is held back after `failures` wrong passwords in a row: none before the allowance
    is used up, then 2, 4, 8, … seconds, up to `LIMAN_FIELD_LOCKOUT_MINUTES`."""
    beyond = failures - field_lockout_attempts()
    if beyond < 0:
        return None
    cap = field_lockout_minutes() * 60
    return datetime.timedelta(seconds=min(2 ** min(beyond + 1, 32), cap))


def field_login_held_until(*, username: str, ip_address: str = "") -> datetime.datetime | None:
    """Until when sign-ins to `username` from `ip_address` are refused unchecked (None: they are not)."""
    throttle = FieldLoginThrottle.objects.filter(username=username, ip_address=ip_address).first()
    return throttle.held_until if throttle is not None and throttle.is_held() else None


def field_user_login_failed(
    *, username: str, ip_address: str = "", reason: str = "OpenRosa"
) -> tuple[FieldUser | None, datetime.datetime | None]:
    """A wrong password (or Digest response) for `username` from `ip_address`: audited, and counted for that
    (name, address) pair only.

    After `LIMAN_FIELD_LOCKOUT_ATTEMPTS` in a row from the pair, each further wrong one holds the pair back for
    a growing delay (the start of a delay is audited). Other addresses, the enumerator's phone among them,
    are not affected. Returns the field user (None for an unknown name) and until when the pair is held.
    """
    now = timezone.now()
    with transaction.atomic():
        field_user = _login_failed_audited(username=username, ip_address=ip_address, reason=reason)
        throttle, created = FieldLoginThrottle.objects.select_for_update().get_or_create(
            username=username[:64], ip_address=ip_address[:45]
        )
        if created:
            # A count with no wrong password for a day is forgotten, so guesses sprayed from many addresses
            # leave no lasting table.
            FieldLoginThrottle.objects.filter(last_failure_at__lt=now - datetime.timedelta(days=1)).exclude(
                held_until__gt=now
            ).delete()
        throttle.failures += 1
        throttle.last_failure_at = now
        delay = field_login_delay(throttle.failures)
        throttle.held_until = now + delay if delay is not None else None
        throttle.save()
        if delay is not None and throttle.failures == field_lockout_attempts() and field_user is not None:
            audit.record(
                AuditAction.UPDATE,
                obj=field_user,
                actor_username=f"field:{username}"[:150],
                changes={"held_back": [None, ip_address]},
                ip_address=ip_address,
                reason=_("After %(count)s wrong passwords in a row from %(address)s, sign-ins from there are delayed.")
                % {"count": throttle.failures, "address": ip_address or "?"},
            )
    return field_user, throttle.held_until


def field_user_login_refused(*, username: str, ip_address: str = "", reason: str = "OpenRosa: held back") -> None:
    """A sign-in refused unchecked (the address is held back, or the Digest header was sent before): audited."""
    _login_failed_audited(username=username, ip_address=ip_address, reason=reason)


def _login_failed_audited(*, username: str, ip_address: str, reason: str) -> FieldUser | None:
    """The failed sign-in's audit event, in the office of the field user named (None: no such field user)."""
    field_user = FieldUser.objects.filter(username=username).first()
    audit.record(
        AuditAction.LOGIN_FAILED,
        actor_username=f"field:{username}"[:150],
        office=field_user.office_id if field_user else None,
        object_type="dtm.fielduser",
        object_id=str(field_user.pk) if field_user else "",
        ip_address=ip_address,
        reason=reason,
    )
    return field_user


def field_user_throttles(field_user: FieldUser) -> list[FieldLoginThrottle]:
    """The addresses with wrong passwords for this field user, those held back first."""
    return list(FieldLoginThrottle.objects.filter(username=field_user.username).order_by("-held_until", "-failures"))


def field_user_unlock(*, field_user: FieldUser, by: User | None, reason: str = "") -> FieldUser:
    """An office administrator clears the wrong-password counts and delays of a field user, on every address."""
    with transaction.atomic():
        throttles = FieldLoginThrottle.objects.select_for_update().filter(username=field_user.username)
        addresses = sorted(throttle.ip_address for throttle in throttles)
        throttles.delete()
        audit.record(
            AuditAction.UPDATE, actor=by, obj=field_user, changes={"held_back": [addresses, []]}, reason=reason
        )
    return field_user


def digest_nonce_use(*, nonce: str, count: int) -> bool:
    """Note that a Digest response used `nonce` with nonce count `count`; False when that count, or a higher
    one, was used before (a captured header sent again). Counts of nonces past their lifetime are forgotten:
    such a nonce is refused as stale before it gets here."""
    updated = DigestNonce.objects.filter(nonce=nonce, highest_count__lt=count).update(highest_count=count)
    if updated:
        return True
    try:
        with transaction.atomic():
            DigestNonce.objects.create(nonce=nonce, highest_count=count)
    except IntegrityError:
        return False
    horizon = timezone.now() - datetime.timedelta(seconds=digest_nonce_lifetime() + 120)
    DigestNonce.objects.filter(created_at__lt=horizon).delete()
    return True


def digest_nonce_lifetime() -> int:
    return settings.LIMAN_OPENROSA_NONCE_SECONDS
