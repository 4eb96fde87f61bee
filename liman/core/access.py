"""Access scoping, deny by default: the one `visible_to(user)` every app uses.

A model opts in by declaring `scope = Scope(...)` and using `ScopedQuerySet` (or a
subclass) as its manager. Every selector, view and API viewset reads through
`Model.objects.visible_to(user)`; a record outside it answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Q
from django.http import Http404

from .roles import ROLE_TIERS


@dataclass(frozen=True)
class Scope:
    """Where a model keeps the fields that decide who may see a row."""

    office: str = "office"
    #: Path to the record's programme; a record without one is office-wide.
    programme: str | None = None
    #: Path to the record's sensitivity tier (see `Sensitivity`).
    sensitivity: str | None = None
    #: When set, only grants of these roles see the model at all.
    roles: frozenset[str] | None = None
    #: The office path crosses a to-many relation: filter by id so rows are not repeated.
    through_many: bool = False


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
        q = Q()
        if grant.office_id is not None:
            q &= Q(**{scope.office: grant.office_id})
        if scope.programme and grant.programme_id is not None:
            q &= Q(**{scope.programme: grant.programme_id}) | Q(**{f"{scope.programme}__isnull": True})
        if scope.sensitivity:
            tiers = ROLE_TIERS.get(grant.role, frozenset())
            if not tiers:
                continue
            q &= Q(**{f"{scope.sensitivity}__in": sorted(tiers)})
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
