"""The "Migration health" section of the person page: the clearance for everyone who sees the person,
the assessments and the fit-to-fly checks for health staff."""

from __future__ import annotations

from . import selectors


def person_health_context(user, person) -> dict | None:
    clearance = selectors.clearance_for(user, person)
    is_health = selectors.can_read_findings(user)
    if clearance.status is None and not is_health:
        return None
    context = {"person": person, "clearance": clearance, "is_health": is_health}
    if is_health:
        context["assessments"] = list(selectors.assessments_of_person(user, person)[:10])
        context["checks"] = list(selectors.fit_to_fly_checks_for(user, person)[:3])
        from .forms import FitToFlyForm

        context["fit_form"] = FitToFlyForm()
    return context
