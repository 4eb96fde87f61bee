"""Every write in core, in a transaction, with its audit event.

`record_create`, `record_update` and `record_delete` are the building blocks later
apps' services use, so no change to a record can skip validation or the audit log.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit
from .access import active_grants, forget_grants
from .choices import AuditAction, OfficeType, Role
from .models import AdminArea, ApiToken, Office, Programme, RoleGrant, TaskProgress, User
from .roles import APPROVAL_ROLES, AUDIT_ROLES


def record_create(obj: models.Model, *, by: User | None, reason: str = "") -> models.Model:
    with transaction.atomic():
        obj.full_clean()
        obj.save()
        audit.record(AuditAction.CREATE, actor=by, obj=obj, changes=audit.diff({}, audit.snapshot(obj)), reason=reason)
    return obj


def record_create_many(
    model: type[models.Model], objects: Sequence[models.Model], *, by: User | None, reason: str = ""
) -> list[models.Model]:
    """The bulk form of `record_create` (the demo, imports): each record validated by the same `full_clean`, all
    inserted in batches and audited one event each, in one transaction.

    Uniqueness and the existence of related rows are left to the database's constraints (a duplicate fails the
    whole call): checking them row by row would cost a query each."""
    relations = [field for field in model._meta.concrete_fields if field.is_relation]
    exclude = [field.name for field in relations]
    for obj in objects:
        for relation in relations:
            # Planned before the record it points to was saved: take its id now.
            if getattr(obj, relation.attname) is None and relation.is_cached(obj):
                setattr(obj, relation.name, getattr(obj, relation.name))
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    with transaction.atomic():
        created = model._default_manager.bulk_create(objects, batch_size=500)
        audit.record_many(AuditAction.CREATE, created, actor=by, reason=reason)
    return created


def record_update(obj: models.Model, *, by: User | None, changes: dict, reason: str = "") -> models.Model:
    with transaction.atomic():
        before = audit.snapshot(obj)
        for name, value in changes.items():
            setattr(obj, name, value)
        # Fields that did not change were valid when saved: only the changed ones, the model's own rules (`clean`)
        # and the constraints that involve a changed field are checked again. A relation given as a row read from
        # the database is not looked up again either (the foreign key holds it): each check would cost a query, on
        # every step of every workflow.
        after = audit.snapshot(obj)
        unchanged = [name for name, value in before.items() if after.get(name) == value]
        obj.full_clean(exclude=unchanged + _loaded_relations(obj, changes))
        obj.save()
        delta = audit.diff(before, audit.snapshot(obj))
        if delta:
            audit.record(AuditAction.UPDATE, actor=by, obj=obj, changes=delta, reason=reason)
    return obj


def _loaded_relations(obj: models.Model, changes: dict) -> list[str]:
    """Relations set to a row read from the database, whose field asks nothing more of it (no `limit_choices_to`)."""
    loaded = []
    for name, value in changes.items():
        if isinstance(value, models.Model) and value._state.db and value.pk is not None:
            field = obj._meta.get_field(name)
            if field.is_relation and not field.remote_field.limit_choices_to:
                loaded.append(name)
    return loaded


def record_delete(obj: models.Model, *, by: User | None, reason: str = "") -> None:
    with transaction.atomic():
        audit.record(AuditAction.DELETE, actor=by, obj=obj, changes=audit.diff(audit.snapshot(obj), {}), reason=reason)
        obj.delete()


def office_create(
    *, code: str, name: str, province: AdminArea, type: str = OfficeType.FIELD, by: User | None
) -> Office:
    return record_create(Office(code=code.upper(), name=name, province=province, type=type), by=by)


def office_update(
    *, office: Office, by: User | None, name: str, type: str, is_active: bool, reason: str = ""
) -> Office:
    """An all-offices administrator renames an office, changes its type or closes (reopens) it; the code and the
    province stay, since records and reports are filed under them."""
    if by is not None and not administers(by, None):
        raise PermissionDenied(_("Only an administrator of all offices edits an office."))
    return record_update(office, by=by, changes={"name": name, "type": type, "is_active": is_active}, reason=reason)


def programme_ensure(*, code: str, name: str) -> Programme:
    programme, _ = Programme.objects.get_or_create(code=code, defaults={"name": name})
    return programme


def user_create(
    *, username: str, password: str | None, by: User | None, first_name: str = "", last_name: str = "", email: str = ""
) -> User:
    with transaction.atomic():
        user = User(username=username, first_name=first_name, last_name=last_name, email=email)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean()
        user.save()
        audit.record(AuditAction.CREATE, actor=by, obj=user, changes={"username": [None, username]})
    return user


def role_grant_add(
    *,
    user: User,
    role: str,
    office: Office | None,
    programme: Programme | None = None,
    by: User | None,
    expires_on=None,
) -> RoleGrant:
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}; roles are: {', '.join(Role.values)}.")
    existing = RoleGrant.objects.filter(user=user, role=role, office=office, programme=programme).first()
    if existing is not None:
        return existing
    # A role that opens protection or medical records waits for a second administrator (`role_grant_approve`).
    grant = record_create(
        RoleGrant(
            user=user,
            role=role,
            office=office,
            programme=programme,
            granted_by=by,
            expires_on=expires_on,
            is_pending=role in APPROVAL_ROLES,
        ),
        by=by,
    )
    forget_grants(user)
    return grant


def administers(user: User, office: Office | None) -> bool:
    """Whether `user` is an administrator of `office` (None: of every office, which needs an all-offices grant)."""
    if user.is_superuser:
        return True
    office_id = getattr(office, "pk", office)
    for grant in active_grants(user):
        if grant.role in AUDIT_ROLES and grant.office_id in (None, office_id):
            return True
    return False


def role_grant_may_approve(user: User, grant: RoleGrant) -> bool:
    """A pending grant is approved by an administrator of its office who neither holds it nor granted it."""
    return (
        grant.is_pending and user.pk not in (grant.user_id, grant.granted_by_id) and administers(user, grant.office_id)
    )


def role_grant_approve(*, grant: RoleGrant, by: User) -> RoleGrant:
    """A second administrator puts a pending grant of a protection- or medical-tier role in force (audited)."""
    with transaction.atomic():
        grant = RoleGrant.objects.select_for_update().get(pk=grant.pk)
        if not grant.is_pending:
            raise ValidationError(_("This role grant is already in force."))
        if by.pk in (grant.user_id, grant.granted_by_id):
            raise PermissionDenied(
                _("A second administrator approves this grant: not the person who holds it, nor the one who gave it.")
            )
        if not administers(by, grant.office_id):
            raise PermissionDenied(_("Only an administrator of the grant's office approves it."))
        record_update(
            grant,
            by=by,
            changes={"is_pending": False, "approved_by": by, "approved_at": timezone.now()},
            reason=_("Approved by a second administrator"),
        )
    forget_grants(grant.user)
    return grant


def role_grant_revoke(*, grant: RoleGrant, by: User, reason: str) -> None:
    record_delete(grant, by=by, reason=reason)
    forget_grants(grant.user)


def user_may_administer(by: User, member: User, *, every_office: bool = False) -> bool:
    """Whether `by` manages `member`'s account: as an administrator of an office the member holds a grant in
    (`every_office`: of every such office), or of all offices.

    A member with an all-offices grant, or a superuser, is managed only from above: an office administrator must
    not lock out, or take over, an account that reaches further than their own.
    """
    if by.is_superuser:
        return True
    if member.is_superuser:
        return False
    if administers(by, None):
        return True
    offices = set(RoleGrant.objects.filter(user=member).values_list("office_id", flat=True))
    if not offices or None in offices:
        return False
    check = all if every_office else any
    return check(administers(by, office_id) for office_id in offices)


def user_update(
    *, user: User, by: User | None, first_name: str, last_name: str, email: str, preferred_language: str = ""
) -> User:
    """An administrator corrects a staff member's name, email or preferred language."""
    from django.conf import settings

    if preferred_language and preferred_language not in dict(settings.LANGUAGES):
        raise ValidationError({"preferred_language": _("Choose one of the languages Liman speaks.")})
    if by is not None and by.pk != user.pk and not user_may_administer(by, user):
        raise PermissionDenied(_("Only an administrator of an office this person works in edits their account."))
    changes = {"first_name": first_name, "last_name": last_name, "email": email}
    return record_update(user, by=by, changes={**changes, "preferred_language": preferred_language})


def _sessions_end(user: User) -> int:
    """Delete every stored session signed in as `user`; returns how many (none with a non-database engine)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):
        return 0  # cookie or cache sessions: the inactive flag alone refuses them at the next request
    model = store.get_model_class()
    ended = [
        session.pk
        for session in model.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get(SESSION_KEY) == str(user.pk)
    ]
    model.objects.filter(pk__in=ended).delete()
    return len(ended)


def user_deactivate(*, user: User, by: User | None, reason: str) -> User:
    """Close an account: the person can no longer sign in, their sessions end and their API tokens are deleted.

    Their role grants stay on file (they are no longer in force), so reactivating restores what they had.
    """
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the account is deactivated.")})
    if by is not None:
        if by.pk == user.pk:
            raise PermissionDenied(_("You cannot deactivate your own account: ask another administrator."))
        if not user_may_administer(by, user):
            raise PermissionDenied(_("Only an administrator of an office this person works in deactivates them."))
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if not user.is_active:
            raise ValidationError(_("This account is already deactivated."))
        tokens, _by_model = ApiToken.objects.filter(user=user).delete()
        sessions = _sessions_end(user)
        user.is_active = False
        user.save(update_fields=["is_active"])
        audit.record(
            AuditAction.UPDATE,
            actor=by,
            obj=user,
            changes={
                "is_active": ["True", "False"],  # as `record_update` writes a boolean's change
                "sessions_ended": [None, sessions],
                "api_tokens_deleted": [None, tokens],
            },
            reason=reason.strip(),
        )
    forget_grants(user)
    return user


def user_reactivate(*, user: User, by: User | None, reason: str) -> User:
    """Open a deactivated account again; the grants it still holds are in force again (API tokens are not)."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the account is reactivated.")})
    if by is not None and not user_may_administer(by, user):
        raise PermissionDenied(_("Only an administrator of an office this person works in reactivates them."))
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.is_active:
            raise ValidationError(_("This account is active."))
        record_update(user, by=by, changes={"is_active": True}, reason=reason.strip())
    forget_grants(user)
    return user


READABLE_CHARACTERS = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: a new password is read out or copied


def password_generate(groups: int = 4, size: int = 4) -> str:
    """A random password such as `k7dq-m3xa-9fwe-tz2h` (about 79 bits)."""
    import secrets

    return "-".join(
        "".join(secrets.choice(READABLE_CHARACTERS) for _position in range(size)) for _group in range(groups)
    )


def user_password_set(*, user: User, by: User | None, password: str | None = None) -> str:
    """An administrator sets a new password (generated when `password` is None) and gets it back, to hand over once.

    The member's other sessions end with the old password (Django checks the password hash on every request).
    The audit event says who set it and whether it was generated, never the password.
    """
    from django.contrib.auth.password_validation import validate_password

    if by is not None and by.pk != user.pk and not user_may_administer(by, user, every_office=True):
        raise PermissionDenied(_("Only an administrator of every office this person works in sets their password."))
    generated = password is None
    if generated:
        password = password_generate()
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit.record(
            AuditAction.UPDATE,
            actor=by,
            obj=user,
            changes={"password": [audit.REDACTED, "generated" if generated else "set"]},
            reason=_("Password generated by an administrator") if generated else _("Password set by an administrator"),
        )
    return password


def task_progress_start(*, name: str, owner: User | None, office: Office | None = None, total: int = 0) -> TaskProgress:
    return TaskProgress.objects.create(name=name, owner=owner, office=office, total=total)


REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: references are read out on the phone


def new_reference(prefix: str, model: type[models.Model], length: int = 8) -> str:
    """A short random reference (`IST-7K3X9Q2M`) not yet used by `model`; random, so two offices never race."""
    import secrets

    while True:
        code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(length))
        reference = f"{prefix}-{code}"
        if not model._default_manager.filter(reference=reference).exists():
            return reference


def second_factor_device_pending(*, user: User):
    """The TOTP device being set up for `user` (created unconfirmed on first need)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Liman", confirmed=False)


def second_factor_confirm(*, device, by: User) -> None:
    """The first correct code confirms the device; from then on it is required at every sign-in."""
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit.record(AuditAction.UPDATE, actor=by, obj=by, changes={"second_factor": [None, "confirmed"]})


def api_token_issue(*, user: User, by: User | None, days: int | None = None, reason: str = "") -> str:
    """A new API token for `user`, replacing the old one; the key is returned once and kept only as a digest.

    The audit event says who issued it and until when, never any part of the key.
    """
    from . import tokens

    if days is not None and days < 1:
        raise ValidationError({"days": _("A token lasts at least one day.")})
    key = tokens.new_key()
    with transaction.atomic():
        replaced = ApiToken.objects.filter(user=user).count()
        ApiToken.objects.filter(user=user).delete()
        token = ApiToken(
            user=user, digest=tokens.key_digest(key), prefix=key[: tokens.PREFIX_LENGTH], expires_at=tokens.expiry(days)
        )
        token.full_clean()
        token.save()
        audit.record(
            AuditAction.CREATE,
            actor=by,
            obj=user,
            changes={"api_token_expires_at": [None, token.expires_at.isoformat()], "replaced_tokens": [None, replaced]},
            reason=reason or _("API token issued"),
        )
    return key
