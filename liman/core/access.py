"""Access scoping, deny by default: the one `visible_to(user)` every app uses.

A model opts in by declaring `scope = Scope(...)` and using `ScopedQuerySet` (or a
subclass) as its manager. Every selector, view and API viewset reads through
`Model.objects.visible_to(user)`; a record outside it answers 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Q
from django.http import Http404

from .roles import NAMED_ONLY_ROLES, ROLE_TIERS


@dataclass(frozen=True)
class Scope:
    """Where a model keeps the fields that decide who may see a row."""

    office: str = "office"
    #: Path to the record's programme; a record without one is office-wide.
    programme: str | None = None
    #: Path to the record's sensitivity tier (see `Sensitivity`), or several paths that must all be within the
    #: reader's tiers (a vulnerability is as sensitive as its own kind and as the person it belongs to).
    sensitivity: str | tuple[str, ...] | None = None
    #: When set, only grants of these roles see the model at all.
    roles: frozenset[str] | None = None
    #: The office path crosses a to-many relation: filter by id so rows are not repeated.
    through_many: bool = False
    #: Roles of `NAMED_ONLY_ROLES` that see the model although `roles` does not name them, as every other role does
    #: (the offices themselves, to the data protection focal point of those offices).
    opens_to: frozenset[str] = frozenset()

    @property
    def sensitivity_paths(self) -> tuple[str, ...]:
        if not self.sensitivity:
            return ()
        return (self.sensitivity,) if isinstance(self.sensitivity, str) else tuple(self.sensitivity)


#: Tiers from the least to the most restricted, to name the strictest of several.
TIER_ORDER = ("normal", "protection", "medical", "psea")


def _tier_rank(tier: str) -> int:
    return TIER_ORDER.index(tier) if tier in TIER_ORDER else len(TIER_ORDER)


def strictest(tiers) -> str:
    """The most restricted of `tiers` (normal when there are none)."""
    ranked = [tier for tier in tiers if tier]
    # An unknown tier counts as the strictest: a new tier is never read as normal by mistake.
    return max(ranked, key=_tier_rank, default="normal")


def record_tier(obj) -> str:
    """The sensitivity tier of one record, read along its model's scope paths (normal when it declares none)."""
    scope: Scope | None = getattr(type(obj), "scope", None)
    if scope is None:
        return "normal"
    tiers = []
    for path in scope.sensitivity_paths:
        value = obj
        for part in path.split("__"):
            value = getattr(value, part, None)
            if value is None:
                break
        tiers.append(value)
    return strictest(tiers)


def tiers_of(user, *, office=None) -> frozenset[str]:
    """The tiers `user` may read (in `office`, when given): the union over their current grants."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(TIER_ORDER)
    office_id = getattr(office, "pk", office)
    tiers: set[str] = set()
    for grant in active_grants(user):
        if office_id is None or grant.office_id in (None, office_id):
            tiers |= ROLE_TIERS.get(grant.role, frozenset())
    return frozenset(tiers)


def active_grants(user) -> list:
    """The user's current role grants, loaded once per request (cached on the user)."""
    cached = getattr(user, "_liman_grants", None)
    if cached is None:
        from .models import RoleGrant

        cached = list(RoleGrant.objects.current().filter(user=user).select_related("office", "programme"))
        user._liman_grants = cached
    return cached


def forget_grants(user) -> None:
    user.__dict__.pop("_liman_grants", None)


@contextmanager
def reading_as(user, *, role: str, office) -> Iterator[None]:
    """For the span of the block, `user` reads as one grant of `role` in `office` and nothing else (their own grants
    set aside, in memory only): a page that lets a narrow role read one record the way another role reads it (a data
    protection focal point's access export of a person reads the person's office as a viewer: normal tier only)."""
    from .models import RoleGrant

    saved = user.__dict__.get("_liman_grants")
    user._liman_grants = [RoleGrant(user=user, role=role, office_id=getattr(office, "pk", office))]
    try:
        yield
    finally:
        if saved is None:
            forget_grants(user)
        else:
            user._liman_grants = saved


def has_role(user, roles, *, office=None) -> bool:
    """Whether the user holds one of `roles` (in `office`, when given)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    roles = {roles} if isinstance(roles, str) else set(roles)
    for grant in active_grants(user):
        if grant.role in roles and (office is None or grant.office_id in (None, getattr(office, "pk", office))):
            return True
    return False


def scope_condition(model, user) -> Q | None:
    """The filter for what `user` may see of `model`; None means nothing at all."""
    scope: Scope | None = getattr(model, "scope", None)
    if scope is None:
        raise ImproperlyConfigured(f"{model.__name__} has no `scope`: declare one to make it visible to anyone.")
    condition: Q | None = None
    for grant in active_grants(user):
        if scope.roles is not None and grant.role not in scope.roles:
            continue
        tiers = ROLE_TIERS.get(grant.role, frozenset())
        # A role that reads no tier, or one of NAMED_ONLY_ROLES, sees a model only where the model names it: what
        # reaches a partner does so by an explicit referral, never because it belongs to the partner's office.
        named_only = not tiers or grant.role in NAMED_ONLY_ROLES
        if named_only and grant.role not in (scope.roles or frozenset()) | scope.opens_to:
            continue
        q = Q()
        if grant.office_id is not None:
            q &= Q(**{scope.office: grant.office_id})
        if scope.programme and grant.programme_id is not None:
            q &= Q(**{scope.programme: grant.programme_id}) | Q(**{f"{scope.programme}__isnull": True})
        for path in scope.sensitivity_paths:
            if not tiers:
                break
            q &= Q(**{f"{path}__in": sorted(tiers)})
        else:
            condition = q if condition is None else condition | q
    return condition


class ScopedQuerySet(models.QuerySet):
    """A queryset that can narrow itself to what one user may see."""

    def visible_to(self, user):
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        condition = scope_condition(self.model, user)
        if condition is None:
            return self.none()
        if self.model.scope.through_many:
            return self.filter(pk__in=self.model._default_manager.filter(condition).values("pk"))
        return self.filter(condition)


def is_scoped(model) -> bool:
    return hasattr(model._default_manager.get_queryset(), "visible_to")


def get_visible_or_404(queryset_or_model, user, **lookup):
    """The one record matching `lookup` that `user` may see, else 404 (never 403: no existence leak)."""
    queryset = queryset_or_model
    if isinstance(queryset_or_model, type):
        queryset = queryset_or_model._default_manager.all()
    try:
        return queryset.visible_to(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(f"No {queryset.model._meta.verbose_name} matches the given query.") from exc
