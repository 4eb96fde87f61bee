"""Core pages: home, offices, staff, audit log, task progress, map, second factor."""

from __future__ import annotations

import json
from functools import cache

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import selectors
from .access import get_visible_or_404, has_role
from .choices import AuditAction
from .forms import RoleGrantForm, StaffCreateForm
from .maps import METRICS
from .models import AdminArea, AuditEvent, RoleGrant, TaskProgress
from .roles import AUDIT_ROLES, STAFF_DIRECTORY_ROLES
from .services import (
    api_token_issue,
    role_grant_add,
    role_grant_revoke,
    second_factor_confirm,
    second_factor_device_pending,
    task_progress_start,
    user_create,
)


def require_role(request: HttpRequest, roles) -> None:
    """Pages for some roles only answer 404 to everyone else (no hint that they exist)."""
    if not has_role(request.user, roles):
        raise Http404


def paginate(request: HttpRequest, queryset, per_page: int = 50):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def home(request: HttpRequest) -> HttpResponse:
    context = {
        "figures": selectors.home_figures(request.user),
        "offices": selectors.offices_for(request.user),
        "grants": request.user.grants,
    }
    return render(request, "core/home.html", context)


def office_list(request: HttpRequest) -> HttpResponse:
    return render(request, "core/office_list.html", {"offices": selectors.offices_for(request.user)})


def office_detail(request: HttpRequest, code: str) -> HttpResponse:
    office = get_visible_or_404(selectors.offices_for(request.user), request.user, code=code.upper())
    staff = None
    if has_role(request.user, STAFF_DIRECTORY_ROLES, office=office):
        staff = selectors.staff_for(request.user, office=office)
    return render(request, "core/office_detail.html", {"office": office, "staff": staff})


def staff_list(request: HttpRequest) -> HttpResponse:
    require_role(request, STAFF_DIRECTORY_ROLES)
    query = request.GET.get("q", "").strip()
    page = paginate(request, selectors.staff_for(request.user, query=query))
    can_create = selectors.offices_managed_by(request.user).exists()
    return render(request, "core/staff_list.html", {"page": page, "query": query, "can_create": can_create})


def staff_detail(request: HttpRequest, username: str) -> HttpResponse:
    member = get_visible_or_404(selectors.staff_for(request.user), request.user, username=username)
    managed = selectors.offices_managed_by(request.user)
    form = None
    if managed.exists():
        form = RoleGrantForm(request.POST if request.method == "POST" else None, offices=managed)
        if request.method == "POST" and form.is_valid():
            role_grant_add(user=member, by=request.user, **form.cleaned_data)
            messages.success(request, _("Role granted."))
            return redirect("staff-detail", username=member.username)
    context = {"member": member, "form": form, "managed_ids": set(managed.values_list("pk", flat=True))}
    return render(request, "core/staff_detail.html", context)


@require_POST
def role_grant_revoke_view(request: HttpRequest, username: str, grant_id: int) -> HttpResponse:
    grant = get_visible_or_404(RoleGrant, request.user, pk=grant_id, user__username=username)
    if not selectors.offices_managed_by(request.user).filter(pk=grant.office_id).exists():
        raise Http404
    role_grant_revoke(grant=grant, by=request.user, reason=request.POST.get("reason", "").strip() or _("revoked"))
    messages.success(request, _("Role revoked."))
    return redirect("staff-detail", username=username)


def staff_create(request: HttpRequest) -> HttpResponse:
    """An administrator opens an account and gives its first role in one of the offices they manage."""
    managed = selectors.offices_managed_by(request.user)
    if not managed.exists():
        raise Http404
    account = StaffCreateForm(request.POST or None, prefix="account")
    grant = RoleGrantForm(request.POST or None, offices=managed, prefix="grant")
    if request.method == "POST" and account.is_valid() and grant.is_valid():
        with transaction.atomic():
            member = user_create(by=request.user, **account.cleaned_data)
            role_grant_add(user=member, by=request.user, **grant.cleaned_data)
        messages.success(request, _("Account created."))
        return redirect("staff-detail", username=member.username)
    return render(request, "core/staff_create.html", {"account": account, "grant": grant})


def audit_list(request: HttpRequest) -> HttpResponse:
    require_role(request, AUDIT_ROLES)
    filters = {
        "action": request.GET.get("action", ""),
        "object_type": request.GET.get("object_type", ""),
        "actor": request.GET.get("actor", "").strip(),
    }
    page = paginate(request, selectors.audit_events_for(request.user, **filters))
    context = {"page": page, "filters": filters, "actions": AuditAction.choices}
    return render(request, "core/audit_list.html", context)


def audit_detail(request: HttpRequest, seq: int) -> HttpResponse:
    event = get_visible_or_404(AuditEvent, request.user, seq=seq)
    return render(request, "core/audit_detail.html", {"event": event})


@require_POST
def audit_verify_start(request: HttpRequest) -> HttpResponse:
    require_role(request, AUDIT_ROLES)
    from .tasks import audit_chain_verify

    with transaction.atomic():
        progress = task_progress_start(name=_("Audit chain check"), owner=request.user)
        transaction.on_commit(lambda: audit_chain_verify.enqueue(str(progress.pk)))
    return redirect("task-detail", pk=progress.pk)


def task_detail(request: HttpRequest, pk) -> HttpResponse:
    progress = get_visible_or_404(TaskProgress, request.user, pk=pk)
    template = "core/_task_progress.html" if request.headers.get("HX-Request") else "core/task_detail.html"
    return render(request, template, {"progress": progress})


def map_page(request: HttpRequest) -> HttpResponse:
    metric = request.GET.get("metric", "staff")
    if metric not in METRICS:
        metric = "staff"
    return render(request, "core/map.html", {"metrics": METRICS.values(), "metric": METRICS[metric]})


@cache
def _province_geojson() -> str:
    features = []
    for area in AdminArea.objects.provinces().only("pcode", "name_tr", "name_en", "iso_code", "geometry"):
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "pcode": area.pcode,
                    "name": area.name_tr,
                    "name_en": area.name_en,
                    "iso": area.iso_code,
                },
                "geometry": area.geometry,
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, separators=(",", ":"))


def map_provinces(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_province_geojson(), content_type="application/geo+json")
    response["Cache-Control"] = "private, max-age=3600"
    return response


def map_counts(request: HttpRequest) -> JsonResponse:
    metric = METRICS.get(request.GET.get("metric", ""))
    if metric is None:
        raise Http404
    counts = metric.count(request.user)
    return JsonResponse({"metric": metric.key, "label": str(metric.label), "counts": counts})


def second_factor(request: HttpRequest) -> HttpResponse:
    """Set up (first time) or confirm the TOTP code that privileged roles need after the password."""
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    pending = None
    if device is None:
        pending = second_factor_device_pending(user=user)
    next_url = request.POST.get("next") or request.GET.get("next") or reverse("home")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("home")
    error = ""
    if request.method == "POST":
        token = request.POST.get("token", "").strip().replace(" ", "")
        candidate = device or pending
        if token.isdigit() and candidate.verify_token(token):
            if pending is not None:
                second_factor_confirm(device=pending, by=user)
            otp_login(request, candidate)
            return redirect(next_url)
        error = _("That code is not valid. Enter the 6-digit code your authenticator app shows now.")
    context = {"pending": pending, "next": next_url, "error": error}
    if pending is not None:
        import segno

        context["qr_svg"] = segno.make(pending.config_url, error="m").svg_inline(scale=4, dark="#111")
        context["secret"] = pending.config_url.split("secret=")[1].split("&")[0]
    return render(request, "core/second_factor.html", context)


def api_token(request: HttpRequest) -> HttpResponse:
    """Create or replace the caller's API token; it is shown once, then only its first characters."""
    from rest_framework.authtoken.models import Token

    new_key = api_token_issue(user=request.user) if request.method == "POST" else None
    token = Token.objects.filter(user=request.user).first()
    return render(request, "core/api_token.html", {"token": token, "new_key": new_key})


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        language = form.get_user().preferred_language
        if language in dict(settings.LANGUAGES):
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
        return response


login_view = login_not_required(LoginView.as_view())


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    from django.contrib.auth import logout

    logout(request)
    messages.info(request, _("You are signed out."))
    return redirect("login")


@login_not_required
def health(request: HttpRequest) -> JsonResponse:
    """For the reverse proxy and monitoring: answers 200 when the database answers."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
