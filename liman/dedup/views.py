"""Duplicate pages: the review queue, the side-by-side pair page and its decision, runs, thresholds.

Views parse the input, call one service or selector, and render. A pair is read through
`selectors.match_pairs_for` (the user must see both people: otherwise 404); every change goes through a service.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liman.core import audit
from liman.core.choices import AuditAction, Sensitivity
from liman.core.models import Office

from . import permissions, selectors, services
from .choices import MatchBand, MatchStatus
from .forms import DecisionForm, RunForm, ThresholdsForm

PER_PAGE = 50


def _require_review(request: HttpRequest) -> None:
    """The queue, runs and thresholds answer 404 to users who do not review pairs (no hint that they exist)."""
    if not permissions.may_review(request.user):
        raise Http404


# --- the queue -------------------------------------------------------------------------------------------------


def queue(request: HttpRequest) -> HttpResponse:
    _require_review(request)
    band = request.GET.get("band", "")
    status = request.GET.get("status", MatchStatus.OPEN)
    filters = {
        "band": band if band in MatchBand.values else "",
        "status": status if status in MatchStatus.values else "",
        "office": request.GET.get("office", "").strip().upper()[:8],
    }
    pairs = selectors.match_pairs_for(request.user, **filters)
    page = Paginator(pairs, PER_PAGE).get_page(request.GET.get("page"))
    counts = selectors.queue_counts(request.user, office=filters["office"])
    open_counts = counts.get(MatchStatus.OPEN, {})
    context = {
        "page": page,
        "filters": filters,
        "bands": [(value, label) for value, label in MatchBand.choices if value != MatchBand.DISTINCT],
        "statuses": MatchStatus.choices,
        "offices": selectors.review_offices(request.user),
        "open_total": sum(open_counts.values()),
        "open_likely": open_counts.get(MatchBand.AUTO_LINK, 0),
        "open_review": open_counts.get(MatchBand.REVIEW, 0),
        "decided_same": sum(counts.get(MatchStatus.SAME_PERSON, {}).values()),
        "decided_different": sum(counts.get(MatchStatus.DIFFERENT_PEOPLE, {}).values()),
        "closed": sum(counts.get(MatchStatus.CLOSED, {}).values()),
    }
    return render(request, "dedup/queue.html", context)


# --- one pair --------------------------------------------------------------------------------------------------


def _pair_page(request: HttpRequest, pair, *, form: DecisionForm | None = None, status: int = 200) -> HttpResponse:
    user = request.user
    for person in (pair.person_l, pair.person_r):
        if person.sensitivity != Sensitivity.NORMAL:
            audit.record(
                AuditAction.VIEW,
                actor=user,
                obj=person,
                reason="duplicate pair page",
                ip_address=request.META.get("REMOTE_ADDR", ""),
            )
    rows, left, right = selectors.pair_comparison(user, pair)
    may_decide = not pair.is_decided and permissions.may_decide(user, pair)
    context = {
        "pair": pair,
        "rows": rows,
        "left": left,
        "right": right,
        "may_decide": may_decide,
        "form": form or (DecisionForm(pair=pair) if may_decide else None),
        "older": pair.older_record,
    }
    return render(request, "dedup/pair_detail.html", context, status=status)


def pair_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not permissions.may_see_pairs(request.user):
        raise Http404
    return _pair_page(request, selectors.match_pair_get(request.user, pk))


@require_POST
def pair_decide(request: HttpRequest, pk: int) -> HttpResponse:
    pair = selectors.match_pair_get(request.user, pk)
    if not permissions.may_decide(request.user, pair):
        raise Http404
    form = DecisionForm(request.POST, pair=pair)
    if not form.is_valid():
        return _pair_page(request, pair, form=form)
    try:
        services.match_pair_decide(
            pair=pair,
            decision=form.cleaned_data["decision"],
            survivor=form.survivor_person(),
            reason=form.cleaned_data["reason"],
            by=request.user,
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return _pair_page(request, pair, form=form)
    if pair.status == MatchStatus.SAME_PERSON:
        merged = pair.person_r if pair.survivor_id == pair.person_l_id else pair.person_l
        messages.success(
            request,
            _("%(merged)s is merged into %(survivor)s.")
            % {"merged": merged.reference, "survivor": pair.survivor.reference},
        )
    else:
        messages.success(request, _("Recorded: two different people. This pair will not be asked again."))
    following = selectors.next_open_pair(request.user, after=pair)
    if following is not None:
        return redirect("dedup:dedup-pair", pk=following.pk)
    return redirect("dedup:dedup-queue")


# --- runs ------------------------------------------------------------------------------------------------------


def _run_form(request: HttpRequest, data=None) -> RunForm:
    offices = selectors.review_offices(request.user)
    return RunForm(data, offices=offices, everywhere=permissions.may_start_run(request.user, None))


def run_list(request: HttpRequest) -> HttpResponse:
    _require_review(request)
    runs = Paginator(selectors.runs_for(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "dedup/run_list.html", {"page": runs, "form": _run_form(request)})


@require_POST
def run_start(request: HttpRequest) -> HttpResponse:
    _require_review(request)
    form = _run_form(request, request.POST)
    if form.is_valid():
        code = form.cleaned_data["office"]
        office = Office.objects.visible_to(request.user).filter(code=code).first() if code else None
        try:
            run = services.dedup_run_start(by=request.user, office=office)
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            return redirect("dedup:dedup-run", pk=run.pk)
    runs = Paginator(selectors.runs_for(request.user), PER_PAGE).get_page(1)
    return render(request, "dedup/run_list.html", {"page": runs, "form": form}, status=200)


def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.run_get(request.user, pk)
    if request.headers.get("HX-Request"):
        return render(request, "dedup/_run_status.html", {"run": run})
    return render(request, "dedup/run_detail.html", {"run": run})


# --- thresholds ------------------------------------------------------------------------------------------------


def _threshold_ids(code: str) -> str:
    """One form per office on the page: the fields' ids carry the office code."""
    return f"thresholds-{''.join(ch for ch in code if ch.isalnum()).lower()}-%s"


def thresholds(request: HttpRequest) -> HttpResponse:
    _require_review(request)
    settings_shown = selectors.thresholds_for(request.user)
    bound = None
    if request.method == "POST":
        bound = ThresholdsForm(request.POST, auto_id=_threshold_ids(request.POST.get("office", "")))
        if bound.is_valid():
            setting = next((s for s in settings_shown if s.office.code == bound.cleaned_data["office"]), None)
            if setting is None or not setting.editable:
                raise Http404
            try:
                services.office_thresholds_set(
                    office=setting.office,
                    auto_link=bound.cleaned_data["auto_link"],
                    review=bound.cleaned_data["review"],
                    by=request.user,
                )
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    bound.add_error(name if name in bound.fields else None, errors)
            else:
                messages.success(
                    request, _("The thresholds of %(office)s are saved.") % {"office": setting.office.code}
                )
                return redirect("dedup:dedup-thresholds")
    rows = []
    for setting in settings_shown:
        form = None
        if setting.editable:
            is_bound = bound is not None and bound.data.get("office") == setting.office.code
            initial = {"office": setting.office.code, "review": setting.review, "auto_link": setting.auto_link}
            form = bound if is_bound else ThresholdsForm(initial=initial, auto_id=_threshold_ids(setting.office.code))
        rows.append({"setting": setting, "form": form})
    return render(request, "dedup/thresholds.html", {"rows": rows})
