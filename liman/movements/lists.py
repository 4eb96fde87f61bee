"""The bookings list (every seat the user sees, on every flight): columns, filters, order (`liman.core.lists`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liman.core.lists import Column, Filter, ListSpec, name_column, register

from .choices import BookingStatus, CaseState, FlightStatus, ReunificationState
from .models import country_label


def _departs(booking):
    return booking.flight.departs_at


BOOKINGS = register(
    ListSpec(
        url_name="movements:movements-booking-list",
        title=_("Bookings"),
        columns=(
            name_column("traveller", _("Traveller"), "person"),
            Column("person", _("Person reference"), lambda booking: booking.person.reference, ("person__reference",)),
            Column("flight", _("Flight"), lambda booking: booking.flight.reference, ("flight__reference",)),
            Column("departs", _("Departs"), _departs, ("flight__departs_at",)),
            Column(
                "destination",
                _("Destination"),
                lambda booking: country_label(booking.flight.destination_country),
                ("flight__destination_country",),
            ),
            Column(
                "case",
                _("Case"),
                lambda booking: booking.case.reference if booking.case_id else booking.source_reference,
                ("case__reference", "source_reference"),
            ),
            Column("status", _("Status"), lambda booking: booking.get_status_display(), ("status",)),
            Column("office", _("Office"), lambda booking: booking.office.code, ("office__code",)),
        ),
        filters=(
            Filter("q", _("Search"), kind="text", empty_label=_("Name, person, flight or case")),
            Filter("status", _("Status"), choices=lambda request, values: BookingStatus.choices),
            Filter(
                "destination",
                _("Destination"),
                choices=lambda request, values: _destinations(request.user),
            ),
            Filter("upcoming", _("Upcoming flights only"), kind="flag"),
        ),
        default_sort="departs",
        export_url_name="movements:movements-booking-export",
    )
)


def _destinations(user) -> list[tuple[str, str]]:
    from . import selectors

    return [(code, country_label(code)) for code in selectors.booking_destinations(user)]


def _country_choices(request, values) -> list[tuple[str, str]]:
    from .choices import RESETTLEMENT_COUNTRIES

    return [(code, country_label(code)) for code in RESETTLEMENT_COUNTRIES]


RESETTLEMENT_CASES = register(
    ListSpec(
        url_name="movements:resettlement-case-list",
        title=_("Resettlement cases"),
        columns=(
            Column("case", _("Case"), lambda case: case.reference, ("reference",)),
            name_column("principal", _("Principal applicant"), "principal"),
            Column("people", _("People"), lambda case: case.member_count, ("member_count",)),
            Column("country", _("Country"), lambda case: case.country_name, ("country",)),
            Column("state", _("State"), lambda case: case.get_state_display(), ("state",)),
            Column("referred", _("Referred"), lambda case: case.referred_on, ("referred_on",)),
            Column("office", _("Office"), lambda case: case.office.code, ("office__code",)),
        ),
        filters=(
            Filter("q", _("Search"), kind="text", empty_label=_("Case, UNHCR number or family name")),
            Filter(
                "state",
                _("State"),
                choices=lambda request, values: CaseState.choices,
                empty_label=_("Every state"),
            ),
            Filter("country", _("Country"), choices=_country_choices, empty_label=_("Every country")),
            # Set by the pipeline board's links; kept in the URL, read by the board's own filters.
            Filter("office", _("Office"), kind="text", in_bar=False),
            Filter("hold_reason", _("On hold because of"), kind="text", in_bar=False),
            Filter("from", _("Referred from"), kind="text", in_bar=False),
            Filter("until", _("Referred until"), kind="text", in_bar=False),
            Filter("ended", _("Ended cases too"), kind="flag", in_bar=False),
            Filter("medical_hold", _("A traveller on medical hold"), kind="flag"),
        ),
        default_sort="-referred",
    )
)


FLIGHTS = register(
    ListSpec(
        url_name="movements:movements-flight-list",
        title=_("Flights"),
        columns=(
            Column("flight", _("Flight"), lambda flight: flight.reference, ("reference",)),
            Column("departs", _("Departs"), lambda flight: flight.departs_at, ("departs_at",)),
            Column("destination", _("Destination"), lambda flight: flight.country_name, ("destination_country",)),
            Column("travellers", _("Travellers"), lambda flight: flight.traveller_count, ("traveller_count",)),
            Column("status", _("Status"), lambda flight: flight.get_status_display(), ("status",)),
            Column("office", _("Office"), lambda flight: flight.office.code, ("office__code",)),
        ),
        filters=(
            Filter("all", _("Past flights too"), kind="flag", in_bar=False),
            Filter("status", _("Status"), choices=lambda request, values: FlightStatus.choices),
            Filter("destination", _("Destination"), choices=_country_choices),
        ),
        default_sort="departs",
    )
)


REUNIFICATION_CASES = register(
    ListSpec(
        url_name="movements:reunification-case-list",
        title=_("Family reunification"),
        columns=(
            Column("case", _("Case"), lambda case: case.reference, ("reference",)),
            name_column("applicant", _("Applicant"), "person"),
            Column("country", _("Country"), lambda case: case.country_name, ("country",)),
            Column("state", _("State"), lambda case: case.get_state_display(), ("state",)),
            Column("appointment", _("First appointment"), lambda case: case.appointment_on, ("appointment_on",)),
        ),
        filters=(
            Filter(
                "state",
                _("State"),
                choices=lambda request, values: ReunificationState.choices,
                empty_label=_("Every state"),
            ),
        ),
        default_sort="-appointment",
    )
)


MISSIONS = register(
    ListSpec(
        url_name="movements:resettlement-mission-list",
        title=_("Selection missions"),
        columns=(
            Column("mission", _("Mission"), lambda mission: mission.reference, ("reference",)),
            Column("country", _("Country"), lambda mission: mission.country_name, ("country",)),
            Column("dates", _("Dates"), lambda mission: mission.starts_on, ("starts_on", "ends_on")),
            Column("place", _("Place"), lambda mission: mission.place, ("place",)),
            Column("interviews", _("Interviews"), lambda mission: mission.slot_count, ("slot_count",)),
        ),
        default_sort="-dates",
    )
)


SESSIONS = register(
    ListSpec(
        url_name="movements:resettlement-session-list",
        title=_("Cultural orientation"),
        columns=(
            Column("session", _("Session"), lambda session: session.reference, ("reference",)),
            Column("course", _("Course"), lambda session: session.course.name, ("course__name",)),
            Column("dates", _("Dates"), lambda session: session.starts_on, ("starts_on", "ends_on")),
            Column("place", _("Place"), lambda session: session.place, ("place",)),
            Column("attendees", _("Attendees"), lambda session: session.attendee_count, ("attendee_count",)),
        ),
        default_sort="-dates",
    )
)
