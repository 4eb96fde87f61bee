"""Stock pages: overview, a location's stock, stock cards, receipt, transfer, loss and count forms, the XLSX report.
Thin: parse, call a selector or a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liman.core import audit
from liman.core.access import get_visible_or_404, has_role
from liman.core.choices import AuditAction
from liman.core.disclosure import publishes
from liman.core.lists import Listing
from liman.core.tabular import xlsx_bytes
from liman.core.views import paginate, role_required
from liman.core.views import refusal_messages as _messages_of
from liman.core.workflows import TransitionRefused

from . import forms, lists, permissions, selectors, services
from .choices import AgeGroup, DistributionState, EntitlementState, LocationKind, Sex, TransferState
from .figures import incident_figures_csv
from .models import Item, Loss, StockBalance, StockLocation, Transfer
from .permissions import DISTRIBUTION_READ_ROLES, INCIDENT_READ_ROLES, STOCK_READ_ROLES


def _lines(location: StockLocation):
    return (
        StockBalance.objects.filter(location=location, quantity__gt=0)
        .select_related("item", "lot")
        .order_by("item__name", "lot__expires_on", "lot__code")
    )


@role_required(STOCK_READ_ROLES)
def stock_overview(request: HttpRequest) -> HttpResponse:
    locations = list(selectors.locations_for(request.user, office=request.GET.get("office", "").strip()))
    totals = selectors.location_totals(request.user, locations)
    context = {
        "rows": [(location, totals[location.pk]) for location in locations],
        "in_transit": selectors.transfers_for(request.user, in_transit=True)[:50],
        "pending_losses": selectors.losses_for(request.user, pending=True)[:50],
        "may_receive": has_role(request.user, permissions.TRANSFER_RECEIVE_ROLES),
        "may_add": has_role(request.user, permissions.CATALOGUE_ROLES),
    }
    return render(request, "assistance/stock_overview.html", context)


def location_detail(request: HttpRequest, pk: int) -> HttpResponse:
    location = selectors.location_for(request.user, pk)
    office = location.office_id
    user = request.user
    context = {
        "location": location,
        "lines": selectors.stock_overview(user, location),
        "transfers": selectors.transfers_for(user, in_transit=True, location=location),
        "losses": selectors.losses_for(user, location=location)[:20],
        "counts": selectors.counts_for(user, location=location)[:10],
        "may_keep": permissions.may_keep_stock(user, office),
        "may_receive": permissions.may_receive_transfer(user, office),
        "may_report_loss": permissions.may_report_loss(user, office),
        "expiring_days": selectors.EXPIRING_SOON_DAYS,
    }
    context["approvable"] = {loss.pk for loss in context["losses"] if permissions.may_approve_loss(user, loss)}
    return render(request, "assistance/location_detail.html", context)


def stock_card(request: HttpRequest, location_id: int, item_id: int) -> HttpResponse:
    location = selectors.location_for(request.user, location_id)
    item = get_object_or_404(Item, pk=item_id)
    page = paginate(request, selectors.stock_card(request.user, location, item), per_page=100)
    on_hand = sum(b.quantity for b in selectors.balances_for(request.user, location=location).filter(item=item))
    context = {"location": location, "item": item, "page": page, "on_hand": on_hand}
    return render(request, "assistance/stock_card.html", context)


def _form_page(request, location, form, template_title, done):
    """Render the form, or run `done(cleaned_data)` on a valid post and go back to the location."""
    if request.method == "POST" and form.is_valid():
        try:
            message = done(form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            for text in _messages_of(exc):
                form.add_error(None, text)
        else:
            messages.success(request, message)
            return redirect("assistance:stock-location", pk=location.pk)
    return render(request, "assistance/stock_form.html", {"location": location, "form": form, "title": template_title})


def _location_for_writing(request, pk: int, allowed) -> StockLocation:
    location = selectors.location_for(request.user, pk)
    if not allowed(request.user, location.office_id):
        raise Http404
    return location


def stock_receive(request: HttpRequest, pk: int) -> HttpResponse:
    location = _location_for_writing(request, pk, permissions.may_keep_stock)
    form = forms.ReceiptForm(request.POST or None, items=selectors.items())

    def done(data):
        entry = services.stock_receive(
            location=location,
            item=data["item"],
            quantity=data["quantity"],
            project_code=data["project_code"],
            lot_code=data["lot_code"],
            expires_on=data["expires_on"],
            supplier=data["supplier"],
            by=request.user,
        )
        return _("Received %(quantity)d × %(item)s.") % {"quantity": entry.quantity, "item": entry.item}

    return _form_page(request, location, form, _("Receive stock"), done)


def transfer_dispatch(request: HttpRequest, pk: int) -> HttpResponse:
    location = _location_for_writing(request, pk, permissions.may_keep_stock)
    destinations = StockLocation.objects.filter(office=location.office, is_active=True).exclude(pk=location.pk)
    form = forms.TransferForm(request.POST or None, lines=_lines(location), destinations=destinations)

    def done(data):
        line = data["line"]
        transfer = services.transfer_dispatch(
            from_location=location,
            to_location=data["to_location"],
            item=line.item,
            lot=line.lot,
            quantity=data["quantity"],
            note=data["note"],
            by=request.user,
        )
        return _("Transfer %(reference)s dispatched: in transit to %(to)s.") % {
            "reference": transfer.reference,
            "to": transfer.to_location,
        }

    return _form_page(request, location, form, _("Dispatch a transfer"), done)


def loss_report(request: HttpRequest, pk: int) -> HttpResponse:
    location = _location_for_writing(request, pk, permissions.may_report_loss)
    form = forms.LossForm(request.POST or None, lines=_lines(location))

    def done(data):
        line = data["line"]
        services.loss_report(
            location=location,
            item=line.item,
            lot=line.lot,
            quantity=data["quantity"],
            reason_kind=data["reason_kind"],
            reason=data["reason"],
            by=request.user,
        )
        return _("Loss reported: a second person approves it before it is written off.")

    return _form_page(request, location, form, _("Report a loss"), done)


def stock_count(request: HttpRequest, pk: int) -> HttpResponse:
    location = _location_for_writing(request, pk, permissions.may_keep_stock)
    lines = StockBalance.objects.filter(location=location).select_related("item", "lot").order_by("item__name")
    form = forms.CountForm(request.POST or None, lines=lines)

    def done(data):
        line = data["line"]
        count = services.stock_count(
            location=location,
            item=line.item,
            lot=line.lot,
            counted_quantity=data["counted_quantity"],
            note=data["note"],
            by=request.user,
        )
        if not count.variance:
            return _("Count recorded: it matches the ledger.")
        return _("Count recorded: variance of %(variance)+d posted.") % {"variance": count.variance}

    return _form_page(request, location, form, _("Record a count"), done)


@role_required(STOCK_READ_ROLES)
def transfer_list(request: HttpRequest) -> HttpResponse:
    listing = Listing.read(request, lists.TRANSFERS)
    transfers = selectors.transfers_for(request.user, **listing.values)
    context = {
        "page": paginate(request, listing.ordered(transfers)),
        "listing": listing,
        "state": listing.values["state"],
        "may_receive": has_role(request.user, permissions.TRANSFER_RECEIVE_ROLES),
    }
    return render(request, "assistance/transfer_list.html", context)


@require_POST
def transfer_receive(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = get_visible_or_404(Transfer.objects.select_related("to_location", "item", "lot"), request.user, pk=pk)
    try:
        services.transfer_receive(transfer=transfer, by=request.user)
    except (TransitionRefused, ValidationError, PermissionDenied) as exc:
        for text in _messages_of(exc):
            messages.error(request, text)
    else:
        messages.success(request, _("Transfer %(reference)s received.") % {"reference": transfer.reference})
    return redirect("assistance:stock-location", pk=transfer.to_location_id)


@require_POST
def loss_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    loss = get_visible_or_404(Loss.objects.select_related("location", "item", "lot"), request.user, pk=pk)
    form = forms.DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        if decision == "approve":
            services.loss_approve(loss=loss, by=request.user, note=note)
            messages.success(request, _("Loss approved and written off."))
        else:
            services.loss_reject(loss=loss, by=request.user, note=note)
            messages.success(request, _("Loss rejected."))
    except (ValidationError, PermissionDenied) as exc:
        for text in _messages_of(exc):
            messages.error(request, text)
    return redirect("assistance:stock-location", pk=loss.location_id)


@role_required(STOCK_READ_ROLES)
def stock_report(request: HttpRequest) -> HttpResponse:
    office = request.GET.get("office", "").strip()
    rows = selectors.stock_report_rows(request.user, office=office)
    audit.record(
        AuditAction.EXPORT,
        actor=request.user,
        object_type="assistance.stockbalance",
        object_repr="stock report",
        changes={"office": [None, office or "all"], "rows": [None, len(rows) - 1], "format": [None, "xlsx"]},
    )
    response = HttpResponse(
        xlsx_bytes({_("Stock"): rows}),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="stock-{office.upper() or "all"}-{stamp}.xlsx"'
    return response


# --- mobile-team field incidents ----------------------------------------------------------------------------


@role_required(INCIDENT_READ_ROLES)
def incident_list(request: HttpRequest) -> HttpResponse:
    listing = Listing.read(request, lists.INCIDENTS)
    incidents = selectors.incidents_for(request.user, **listing.values)
    context = {
        "page": paginate(request, listing.ordered(incidents)),
        "listing": listing,
        "may_record": has_role(request.user, permissions.INCIDENT_RECORD_ROLES),
    }
    return render(request, "assistance/incident_list.html", context)


def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = selectors.incident_for(request.user, pk)
    counts = list(incident.group_counts.all())
    grid: dict[str, dict[str, int]] = {}
    for row in counts:
        grid.setdefault(row.nationality, {})[f"{row.sex}_{row.age_group}"] = row.count
    cells = [f"{sex}_{age}" for sex, age in forms.GRID_CELLS]
    context = {
        "incident": incident,
        "grid_headers": [f"{Sex(sex).label} {AgeGroup(age).label}" for sex, age in forms.GRID_CELLS],
        "grid": [(nat, [values.get(cell, 0) for cell in cells], sum(values.values())) for nat, values in grid.items()],
        "services": incident.services_given.all(),
        "items": [(entry, -entry.quantity) for entry in selectors.incident_items(incident)],
    }
    return render(request, "assistance/incident_detail.html", context)


@role_required(permissions.INCIDENT_RECORD_ROLES)
def incident_create(request: HttpRequest) -> HttpResponse:
    vehicles = selectors.incident_vehicles(request.user)
    data = request.POST or None
    form = forms.IncidentForm(data, vehicles=vehicles)
    groups = forms.GroupRowFormSet(data, prefix="group")
    items = forms.ItemLineFormSet(data, prefix="item", form_kwargs={"items": selectors.items()})
    if request.method == "POST" and form.is_valid() and groups.is_valid() and items.is_valid():
        cleaned = form.cleaned_data
        try:
            incident = services.incident_record(
                office=cleaned["vehicle"].office,
                vehicle=cleaned["vehicle"],
                occurred_at=cleaned["occurred_at"],
                district=cleaned["district"],
                latitude=cleaned["latitude"],
                longitude=cleaned["longitude"],
                terrain=cleaned["terrain"],
                authority=cleaned["authority"],
                how_met=cleaned["how_met"],
                group_counts=[cell for row in groups if row.has_changed() for cell in row.group_counts()],
                services_given=form.services_given(),
                items=[(row.cleaned_data["item"], row.cleaned_data["quantity"]) for row in items
                       if row.cleaned_data.get("item")],
                referral_note=cleaned["referral_note"],
                note=cleaned["note"],
                by=request.user,
                **{name: cleaned[name] for name in services.INCIDENT_COUNTS},
            )  # fmt: skip
        except (ValidationError, PermissionDenied) as exc:
            for text in _messages_of(exc):
                form.add_error(None, text)
        else:
            messages.success(request, _("Incident %(reference)s recorded.") % {"reference": incident.reference})
            return redirect("assistance:incident-detail", pk=incident.pk)
    context = {"form": form, "groups": groups, "items": items, "grid_headers": forms.GRID_CELLS}
    context["grid_labels"] = [f"{Sex(sex).label} {AgeGroup(age).label}" for sex, age in forms.GRID_CELLS]
    return render(request, "assistance/incident_form.html", context)


@role_required(INCIDENT_READ_ROLES)
def incident_figures(request: HttpRequest) -> HttpResponse:
    context = {"figures": selectors.monthly_figures(request.user), "metric": selectors.MAP_METRIC}
    return render(request, "assistance/incident_figures.html", context)


@publishes(None)
@role_required(INCIDENT_READ_ROLES)
def incident_figures_hxl(request: HttpRequest) -> HttpResponse:
    """People met by province × month × sex and age, HXL-tagged, with the minimum cell rule applied."""
    content = incident_figures_csv(selectors.people_met_by_sex_age(request.user))
    audit.record(
        AuditAction.EXPORT,
        actor=request.user,
        object_type="assistance.fieldincident",
        object_repr="people met at the border (HXL)",
        changes={"format": [None, "csv"]},
    )
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="border-people-met-{stamp}.csv"'
    return response


# --- locations ----------------------------------------------------------------------------------------------


def _offices_where(user, allowed) -> list:
    from liman.core.selectors import offices_for

    return [office for office in offices_for(user) if allowed(user, office.pk)]


def _may_add_location(user, office) -> bool:
    return permissions.may_keep_stock(user, office) or has_role(user, "administrator", office=office)


@role_required(STOCK_READ_ROLES)
def location_create(request: HttpRequest) -> HttpResponse:
    offices = _offices_where(request.user, _may_add_location)
    if not offices:
        raise Http404
    from liman.core.models import Office

    form = forms.LocationForm(request.POST or None, offices=Office.objects.filter(pk__in=[o.pk for o in offices]))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            location = services.location_create(
                office=data["office"],
                name=data["name"],
                kind=data["kind"],
                vehicle_plate=data["vehicle_plate"],
                by=request.user,
            )
        except (ValidationError, PermissionDenied) as exc:
            for text in _messages_of(exc):
                form.add_error(None, text)
        else:
            messages.success(request, _("%(location)s added.") % {"location": location})
            return redirect("assistance:stock-location", pk=location.pk)
    return render(request, "assistance/stock_form.html", {"form": form, "title": _("Add a stock location")})


@role_required(permissions.CATALOGUE_ROLES)
def item_create(request: HttpRequest) -> HttpResponse:
    form = forms.ItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.item_create(**form.cleaned_data, by=request.user)
        except (ValidationError, PermissionDenied) as exc:
            for text in _messages_of(exc):
                form.add_error(None, text)
        else:
            messages.success(request, _("%(item)s added to the catalogue.") % {"item": item})
            return redirect("assistance:stock-overview")
    return render(request, "assistance/stock_form.html", {"form": form, "title": _("Add an item to the catalogue")})


# --- in-kind distributions ----------------------------------------------------------------------------------


@role_required(DISTRIBUTION_READ_ROLES)
def distribution_list(request: HttpRequest) -> HttpResponse:
    listing = Listing.read(request, lists.DISTRIBUTIONS)
    plans = selectors.plans_for(request.user, **listing.values)
    context = {
        "page": paginate(request, listing.ordered(plans)),
        "listing": listing,
        "may_plan": has_role(request.user, permissions.DISTRIBUTION_PLAN_ROLES),
    }
    return render(request, "assistance/distribution_list.html", context)


@role_required(permissions.DISTRIBUTION_PLAN_ROLES)
def distribution_create(request: HttpRequest) -> HttpResponse:
    data = request.POST or None
    form = forms.PlanForm(
        data,
        warehouses=selectors.plan_sites(request.user, LocationKind.WAREHOUSE),
        sites=selectors.plan_sites(request.user, LocationKind.SITE),
    )
    bands = forms.BandFormSet(data, prefix="band", form_kwargs={"items": selectors.items()})
    if request.method == "POST" and form.is_valid() and bands.is_valid():
        cleaned = form.cleaned_data
        try:
            plan = services.distribution_plan_create(
                office=cleaned["warehouse"].office,
                name=cleaned["name"],
                project_code=cleaned["project_code"],
                warehouse=cleaned["warehouse"],
                site=cleaned["site"],
                starts_on=cleaned["starts_on"],
                ends_on=cleaned["ends_on"],
                items=[row.band() for row in bands if row.cleaned_data.get("item")],
                by=request.user,
            )
        except (ValidationError, PermissionDenied) as exc:
            for text in _messages_of(exc):
                form.add_error(None, text)
        else:
            messages.success(request, _("Distribution %(reference)s planned.") % {"reference": plan.reference})
            return redirect("assistance:distribution-select", pk=plan.pk)
    return render(request, "assistance/distribution_form.html", {"form": form, "bands": bands})


def distribution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_for(request.user, pk)
    state = request.GET.get("state", "").strip()
    page = paginate(request, selectors.entitlements_for(request.user, plan, state=state, q=request.GET.get("q", "")))
    user, office = request.user, plan.office_id
    heads = selectors.visible_heads(user, [row.household for row in page])
    for row in page:
        row.head_name = heads.get(row.household_id, "")
    context = {
        "plan": plan,
        "progress": selectors.plan_progress(plan),
        "bands": plan.plan_items.select_related("item"),
        "page": page,
        "state": state,
        "states": EntitlementState.choices,
        "transfers": plan.site.transfers_in.filter(state=TransferState.DISPATCHED).select_related("item", "lot"),
        "may_plan": permissions.may_plan_distribution(user, office) and plan.state == DistributionState.PLANNED,
        "may_open": not plan.workflow.blockers(plan, DistributionState.OPEN, user=user),
        "may_close": not plan.workflow.blockers(plan, DistributionState.CLOSED, user=user),
        "may_record": permissions.may_record_receipt(user, office) and plan.state == DistributionState.OPEN,
    }
    return render(request, "assistance/distribution_detail.html", context)


def distribution_select(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_for(request.user, pk)
    if not permissions.may_plan_distribution(request.user, plan.office_id):
        raise Http404
    provinces = [plan.office.province_id] if plan.office.province_id else None
    form = forms.SelectionForm(request.POST or None, provinces=provinces)
    outcome = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        references = form.reference_list()
        households, unknown = selectors.households_for_selection(
            request.user,
            plan,
            district=data["district"],
            min_size=data["min_size"],
            max_size=data["max_size"],
            references=references,
        )
        if unknown:
            form.add_error("references", _("Not found in this office: %(refs)s.") % {"refs": ", ".join(unknown[:20])})
        else:
            described = (
                _("list of %(n)d references") % {"n": len(references)}
                if references
                else ", ".join(
                    part
                    for part in (
                        str(data["district"]) if data["district"] else "",
                        _("from %(n)d people") % {"n": data["min_size"]} if data["min_size"] else "",
                        _("up to %(n)d people") % {"n": data["max_size"]} if data["max_size"] else "",
                    )
                    if part
                )
            )
            try:
                outcome = services.distribution_select(
                    plan=plan, households=households, selection=described, by=request.user
                )
            except (ValidationError, PermissionDenied) as exc:
                for text in _messages_of(exc):
                    form.add_error(None, text)
            else:
                messages.success(
                    request,
                    _("%(added)d households entitled; %(already)d were already; %(none)d have a size no line serves.")
                    % {
                        "added": len(outcome["added"]),
                        "already": len(outcome["already"]),
                        "none": len(outcome["no_band"]),
                    },
                )
                return redirect("assistance:distribution-detail", pk=plan.pk)
    context = {"plan": plan, "form": form, "bands": plan.plan_items.select_related("item")}
    return render(request, "assistance/distribution_select.html", context)


def _plan_step(request: HttpRequest, pk: int, step) -> HttpResponse:
    plan = selectors.plan_for(request.user, pk)
    try:
        transfers = step(plan=plan, by=request.user)
    except (ValidationError, PermissionDenied, TransitionRefused) as exc:
        for text in _messages_of(exc):
            messages.error(request, text)
    else:
        messages.success(
            request,
            _("%(plan)s: %(state)s; %(n)d transfers on their way.")
            % {"plan": plan.reference, "state": plan.get_state_display(), "n": len(transfers)},
        )
    return redirect("assistance:distribution-detail", pk=plan.pk)


@require_POST
def distribution_open(request: HttpRequest, pk: int) -> HttpResponse:
    return _plan_step(request, pk, services.distribution_open)


@require_POST
def distribution_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _plan_step(request, pk, services.distribution_close)


def distribution_verify(request: HttpRequest, pk: int) -> HttpResponse:
    """The site's verification screen: type or scan (the card's QR) a reference, or search a name or phone."""
    from liman.registry import selectors as registry

    plan = selectors.plan_for(request.user, pk)
    if not permissions.may_record_receipt(request.user, plan.office_id):
        raise Http404
    query = request.GET.get("q", "").strip()
    found = selectors.verify_lookup(request.user, plan, query) if query else []
    audit.record_read(request.user, found, reason="distribution verification", ip_address=audit.client_address(request))
    heads = selectors.visible_heads(request.user, [row.household for row in found])
    members_of = registry.members_of_households(request.user, [row.household for row in found])
    rows = []
    for entitlement in found:
        members = [m.person for m in members_of[entitlement.household_id]]
        form = forms.ReceiptRecordForm(members=members, prefix=f"e{entitlement.pk}")
        rows.append((entitlement, form, heads.get(entitlement.household_id, "")))
    context = {
        "plan": plan,
        "query": query,
        "rows": rows,
        # A receipt to record: one Tab from the scan box reaches it (the Find button leaves the Tab order).
        "waiting": any(entitlement.state == EntitlementState.PENDING for entitlement in found),
        "progress": selectors.plan_progress(plan),
    }
    return render(request, "assistance/distribution_verify.html", context)


@require_POST
def entitlement_receive(request: HttpRequest, pk: int, entitlement_id: int) -> HttpResponse:
    from django.urls import reverse
    from django.utils.http import urlencode

    from liman.registry import selectors as registry

    plan = selectors.plan_for(request.user, pk)
    entitlement = selectors.entitlement_for(request.user, plan, entitlement_id)
    members = [m.person for m in registry.household_members(request.user, entitlement.household)]
    form = forms.ReceiptRecordForm(request.POST, members=members, prefix=f"e{entitlement.pk}")
    back = (
        reverse("assistance:distribution-verify", args=[plan.pk])
        + "?"
        + urlencode({"q": entitlement.household.reference})
    )
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)
        return redirect(back)
    try:
        services.distribution_receive(
            entitlement=entitlement,
            received_by_person=form.person(),
            received_by_name=form.cleaned_data.get("received_by_name", ""),
            by=request.user,
        )
    except (ValidationError, PermissionDenied) as exc:
        for text in _messages_of(exc):
            messages.error(request, text)
        return redirect(back)
    messages.success(request, _("%(household)s received.") % {"household": entitlement.household.reference})
    return redirect("assistance:distribution-verify", pk=plan.pk)


def distribution_cards(request: HttpRequest, pk: int) -> HttpResponse:
    """Household cards (reference and QR) of the plan's households, as PDF to print."""
    from .cards import household_cards_pdf

    plan = selectors.plan_for(request.user, pk)
    rows = list(selectors.entitlements_for(request.user, plan, state=request.GET.get("state", "").strip()))
    audit.record_read(request.user, rows, reason="household cards", ip_address=audit.client_address(request))
    heads = selectors.visible_heads(request.user, [row.household for row in rows])
    cards = [
        {
            "reference": row.household.reference,
            "head": heads.get(row.household_id, ""),
            "size": row.household_size,
            "office": plan.office.name,
            "plan": f"{plan.reference} · {plan.name}",
        }
        for row in rows
    ]
    pdf = household_cards_pdf(cards, title=_("Household cards: %(plan)s") % {"plan": plan.reference})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="cards-{plan.reference}.pdf"'
    return response
