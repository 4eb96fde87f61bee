"""Core pages: home, offices, staff, audit log, task progress, map, second factor."""

from __future__ import annotations

import json
from functools import cache, wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import audit, lists_core, selectors
from .access import get_visible_or_404, has_role
from .forms import (
    AccountReasonForm,
    OfficeCreateForm,
    OfficeEditForm,
    PasswordSetForm,
    RoleGrantForm,
    StaffCreateForm,
    StaffEditForm,
)
from .lists import Listing
from .maps import metrics_for
from .models import AdminArea, AuditEvent, RoleGrant, TaskProgress
from .progress import refresh as refresh_progress
from .roles import AUDIT_ROLES, STAFF_DIRECTORY_ROLES
from .services import (
    administers,
    api_token_issue,
    office_create,
    office_update,
    role_grant_add,
    role_grant_approve,
    role_grant_may_approve,
    role_grant_revoke,
    second_factor_confirm,
    second_factor_device_pending,
    task_progress_start,
    user_create,
    user_deactivate,
    user_may_administer,
    user_password_set,
    user_reactivate,
    user_update,
)


def require_role(request: HttpRequest, roles) -> None:
    """Pages for some roles only answer 404 to everyone else (no hint that they exist)."""
    if not has_role(request.user, roles):
        raise Http404


def role_required(roles):
    """A view for some roles only (404 to everyone else); the navigation reads `required_roles` from the view."""

    def decorate(view):
        @wraps(view)
        def guarded(request: HttpRequest, *args, **kwargs):
            require_role(request, roles)
            return view(request, *args, **kwargs)

        guarded.required_roles = frozenset(roles)
        return guarded

    return decorate


def refusal_messages(exc: Exception) -> list[str]:
    """What a refused service call says, as lines for the page: a workflow's blockers, an import's problems, a
    validation error's messages (field by field), or the exception's text."""
    from django.core.exceptions import ValidationError

    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return [message for found in exc.message_dict.values() for message in found]
        return list(exc.messages)
    if isinstance(getattr(exc, "messages", None), list):
        return [str(message) for message in exc.messages]
    return [str(exc) or str(_("You cannot do this."))]


def paginate(request: HttpRequest, queryset, per_page: int = 50):
    """One page of a list; reading protection- or medical-tier rows through it is audited (one event per page)."""
    page = Paginator(queryset, per_page).get_page(request.GET.get("page"))
    if page.object_list and isinstance(page.object_list[0], Model):
        audit.record_read(request.user, page.object_list, reason="list page", ip_address=audit.client_address(request))
    return page


def home(request: HttpRequest) -> HttpResponse:
    context = {
        "next": selectors.home_next(request.user),
        "figures": selectors.home_figures(request.user),
        "offices": selectors.offices_for(request.user),
        "grants": request.user.grants,
    }
    return render(request, "core/home.html", context)


def office_list(request: HttpRequest) -> HttpResponse:
    context = {"offices": selectors.offices_for(request.user), "can_create": administers(request.user, None)}
    return render(request, "core/office_list.html", context)


def office_detail(request: HttpRequest, code: str) -> HttpResponse:
    office = get_visible_or_404(selectors.offices_for(request.user), request.user, code=code.upper())
    staff = None
    if has_role(request.user, STAFF_DIRECTORY_ROLES, office=office):
        staff = selectors.staff_for(request.user, office=office)
    context = {"office": office, "staff": staff, "can_edit": administers(request.user, None)}
    return render(request, "core/office_detail.html", context)


def _form_errors_from(form, exc: ValidationError) -> None:
    """Show a service's refusal on the form: on its field when the form has one, above the form otherwise."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _require_all_offices_administrator(request: HttpRequest) -> None:
    """Opening and editing offices is for an administrator of all offices (a grant with no office); 404 otherwise."""
    if not administers(request.user, None):
        raise Http404


@role_required(AUDIT_ROLES)
def office_new(request: HttpRequest) -> HttpResponse:
    _require_all_offices_administrator(request)
    form = OfficeCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            office = office_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, _("Office opened."))
            return redirect("core:office-detail", code=office.code)
    return render(request, "core/office_form.html", {"form": form, "office": None})


@role_required(AUDIT_ROLES)
def office_edit(request: HttpRequest, code: str) -> HttpResponse:
    office = get_visible_or_404(selectors.offices_for(request.user), request.user, code=code.upper())
    _require_all_offices_administrator(request)
    initial = {"name": office.name, "type": office.type, "is_active": office.is_active}
    form = OfficeEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            office_update(office=office, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, _("Office saved."))
            return redirect("core:office-detail", code=office.code)
    return render(request, "core/office_form.html", {"form": form, "office": office})


def staff_list(request: HttpRequest) -> HttpResponse:
    require_role(request, STAFF_DIRECTORY_ROLES)
    listing = Listing.read(request, lists_core.STAFF)
    values = listing.values
    staff = selectors.staff_for(
        request.user,
        query=values["q"],
        active_only=not values["inactive"],
        office_code=values["office"],
        role=values["role"],
    )
    page = paginate(request, listing.ordered(staff))
    can_create = selectors.offices_managed_by(request.user).exists()
    return render(request, "core/staff_list.html", {"page": page, "listing": listing, "can_create": can_create})


def staff_detail(request: HttpRequest, username: str) -> HttpResponse:
    member = get_visible_or_404(selectors.staff_for(request.user, active_only=False), request.user, username=username)
    managed = selectors.offices_managed_by(request.user)
    form = None
    if managed.exists():
        form = RoleGrantForm(request.POST if request.method == "POST" else None, offices=managed)
        if request.method == "POST" and form.is_valid():
            grant = role_grant_add(user=member, by=request.user, **form.cleaned_data)
            if grant.is_pending:
                messages.success(request, _("Role granted; it takes effect when a second administrator approves it."))
            else:
                messages.success(request, _("Role granted."))
            return redirect("core:staff-detail", username=member.username)
    pending = [
        (grant, role_grant_may_approve(request.user, grant))
        for grant in RoleGrant.objects.pending().filter(user=member).select_related("office", "programme", "granted_by")
    ]
    context = {
        "member": member,
        "form": form,
        "managed_ids": set(managed.values_list("pk", flat=True)),
        "pending": pending,
        "may_administer": user_may_administer(request.user, member) and has_role(request.user, AUDIT_ROLES),
        "may_set_password": user_may_administer(request.user, member, every_office=True)
        and has_role(request.user, AUDIT_ROLES),
        "reason_form": AccountReasonForm(),
    }
    return render(request, "core/staff_detail.html", context)


@require_POST
def role_grant_approve_view(request: HttpRequest, username: str, grant_id: int) -> HttpResponse:
    """A second administrator approves a pending grant; the grantee and the granting administrator cannot."""
    grant = get_visible_or_404(RoleGrant, request.user, pk=grant_id, user__username=username)
    if not role_grant_may_approve(request.user, grant):
        raise Http404
    role_grant_approve(grant=grant, by=request.user)
    messages.success(request, _("Role grant approved: it is now in force."))
    return redirect("core:staff-detail", username=username)


@require_POST
def role_grant_revoke_view(request: HttpRequest, username: str, grant_id: int) -> HttpResponse:
    grant = get_visible_or_404(RoleGrant, request.user, pk=grant_id, user__username=username)
    if not selectors.offices_managed_by(request.user).filter(pk=grant.office_id).exists():
        raise Http404
    role_grant_revoke(grant=grant, by=request.user, reason=request.POST.get("reason", "").strip() or _("revoked"))
    messages.success(request, _("Role revoked."))
    return redirect("core:staff-detail", username=username)


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
        return redirect("core:staff-detail", username=member.username)
    return render(request, "core/staff_create.html", {"account": account, "grant": grant})


def _member_administered(request: HttpRequest, username: str, *, every_office: bool = False):
    """The staff member whose account the user administers; 404 outside their scope or their authority."""
    member = get_visible_or_404(selectors.staff_for(request.user, active_only=False), request.user, username=username)
    if not user_may_administer(request.user, member, every_office=every_office):
        raise Http404
    return member


@role_required(AUDIT_ROLES)
def staff_edit(request: HttpRequest, username: str) -> HttpResponse:
    member = _member_administered(request, username)
    initial = {field: getattr(member, field) for field in StaffEditForm.base_fields}
    form = StaffEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            user_update(user=member, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, _("Account saved."))
            return redirect("core:staff-detail", username=member.username)
    return render(request, "core/staff_edit.html", {"member": member, "form": form})


def _account_state_change(request: HttpRequest, username: str, service, done: str) -> HttpResponse:
    member = _member_administered(request, username)
    form = AccountReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason."))
    else:
        try:
            service(user=member, by=request.user, reason=form.cleaned_data["reason"])
        except (ValidationError, PermissionDenied) as exc:
            for message in getattr(exc, "messages", None) or [str(exc)]:
                messages.error(request, message)
        else:
            messages.success(request, done)
    return redirect("core:staff-detail", username=member.username)


@require_POST
@role_required(AUDIT_ROLES)
def staff_deactivate(request: HttpRequest, username: str) -> HttpResponse:
    """Close an account (never one's own): sign-in, sessions and API tokens end; the reason is audited."""
    return _account_state_change(request, username, user_deactivate, _("Account deactivated."))


@require_POST
@role_required(AUDIT_ROLES)
def staff_reactivate(request: HttpRequest, username: str) -> HttpResponse:
    return _account_state_change(request, username, user_reactivate, _("Account reactivated."))


@role_required(AUDIT_ROLES)
def staff_password(request: HttpRequest, username: str) -> HttpResponse:
    """Give a member a new password: generated and shown once, or typed by the administrator and validated."""
    member = _member_administered(request, username, every_office=True)
    form = PasswordSetForm(user=member)
    new_password = None
    if request.method == "POST":
        if "generate" in request.POST:
            new_password = user_password_set(user=member, by=request.user)
        else:
            form = PasswordSetForm(request.POST, user=member)
            if form.is_valid():
                try:
                    user_password_set(user=member, by=request.user, password=form.cleaned_data["password1"])
                except ValidationError as exc:
                    _form_errors_from(form, exc)
                else:
                    if member.pk == request.user.pk:
                        update_session_auth_hash(request, member)
                    messages.success(request, _("Password set. Hand it over in person or by a separate channel."))
                    return redirect("core:staff-detail", username=member.username)
        if new_password and member.pk == request.user.pk:
            update_session_auth_hash(request, member)
    context = {"member": member, "form": form, "new_password": new_password}
    response = render(request, "core/staff_password.html", context)
    # The generated password is shown once: no browser or proxy cache may keep the page.
    response["Cache-Control"] = "no-store"
    return response


def audit_list(request: HttpRequest) -> HttpResponse:
    require_role(request, AUDIT_ROLES)
    listing = Listing.read(request, lists_core.AUDIT)
    values = listing.values
    events = selectors.audit_events_for(
        request.user,
        action=values["action"],
        object_type=values["object_type"],
        actor=values["actor"],
        office_code=values["office"],
    )
    page = paginate(request, listing.ordered(events))
    page.object_list = audit.present(page.object_list, request.user)
    context = {"page": page, "listing": listing}
    return render(request, "core/audit_list.html", context)


def audit_detail(request: HttpRequest, seq: int) -> HttpResponse:
    event = get_visible_or_404(AuditEvent, request.user, seq=seq)
    [event] = audit.present([event], request.user)
    return render(request, "core/audit_detail.html", {"event": event})


@require_POST
def audit_verify_start(request: HttpRequest) -> HttpResponse:
    require_role(request, AUDIT_ROLES)
    from .tasks import audit_chain_verify

    with transaction.atomic():
        progress = task_progress_start(name=_("Audit chain check"), owner=request.user)
        transaction.on_commit(lambda: audit_chain_verify.enqueue(str(progress.pk)))
    return redirect("core:task-detail", pk=progress.pk)


def task_detail(request: HttpRequest, pk) -> HttpResponse:
    progress = refresh_progress(get_visible_or_404(TaskProgress, request.user, pk=pk))
    if request.headers.get("HX-Request"):
        request.is_poll = True  # the bar refreshing itself is not the user's activity: the session is not saved
    template = "core/_task_progress.html" if request.headers.get("HX-Request") else "core/task_detail.html"
    return render(request, template, {"progress": progress})


def map_page(request: HttpRequest) -> HttpResponse:
    offered = metrics_for(request.user)
    metric = offered.get(request.GET.get("metric", "")) or offered.get("staff") or next(iter(offered.values()))
    # The same counts as a table: the map is a picture of it, and the page reads without JavaScript.
    counts = {pcode: n for pcode, n in metric.count(request.user).items() if pcode and n}
    names = dict(AdminArea.objects.provinces().filter(pcode__in=counts).values_list("pcode", "name_tr"))
    rows = sorted(((names.get(pcode, pcode), n) for pcode, n in counts.items()), key=lambda row: (-row[1], row[0]))
    context = {
        "metrics": offered.values(),
        "metric": metric,
        "province_counts": rows,
        "unplaced": metric.unplaced_text(request.user),
    }
    return render(request, "core/map.html", context)


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
    metric = metrics_for(request.user).get(request.GET.get("metric", ""))
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
    next_url = request.POST.get("next") or request.GET.get("next") or reverse("core:home")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("core:home")
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
    new_key = api_token_issue(user=request.user, by=request.user) if request.method == "POST" else None
    token = request.user.api_tokens.first()
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
    return redirect("core:login")


@login_not_required
def health(request: HttpRequest) -> JsonResponse:
    """For the reverse proxy and monitoring: answers 200 when the database answers."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
