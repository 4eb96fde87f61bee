from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MovementsConfig(AppConfig):
    name = "liman.movements"
    label = "movements"
    verbose_name = _("Resettlement and movements")

    def ready(self):
        from liman.core import navigation, seeding
        from liman.core.choices import Role
        from liman.registry import sections

        from .selectors import person_movements

        resettlement_staff = frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.PROGRAMME_OFFICER})
        navigation.register(
            navigation.NavItem(
                "resettlement",
                _("Resettlement"),
                "movements:resettlement-board",
                resettlement_staff,
                order=30,
                group="movements",
            )
        )
        navigation.register(
            navigation.NavItem(
                "departures",
                _("Departures"),
                "movements:movements-calendar",
                resettlement_staff,
                order=31,
                group="movements",
            )
        )
        sections.register(
            sections.PersonSection(
                "movements",
                _("Resettlement and movements"),
                "movements/_person_section.html",
                person_movements,
                order=45,
            )
        )
        seeding.register_seeder("movements", "liman.movements.demo.seed_movements")
        from .measures import register as register_measures  # reporting reads them (core.measures)

        register_measures()
        _declare_messages(resettlement_staff)
        _home_figures()


def _declare_messages(resettlement_staff) -> None:
    """What movements may send to a traveller (liman.core.messages; messaging queues and sends them)."""
    from liman.core import messages
    from liman.core.choices import Role

    messages.register_message_kind(
        messages.MessageKind(
            key="health_assessment_appointment",
            label=_("Health assessment appointment"),
            purpose=_("Tells a traveller the day and place of their pre-migration health assessment."),
            placeholders=("name", "date", "place"),
            roles=resettlement_staff | {Role.HEALTH},
            templates={
                "tr": "{name}, sağlık değerlendirmesi randevunuz {date} tarihinde {place} adresindedir. Kimliğinizi "
                "ve sağlık belgelerinizi getirin. Mesaj almamak için DUR yazın.",
                "ar": "{name}، موعد التقييم الصحي الخاص بك في {date} في {place}. يرجى إحضار هويتك وأي وثائق طبية. "
                "للإلغاء أرسل توقف",
                "en": "{name}, your health assessment appointment is on {date} at {place}. Please bring your ID and "
                "any medical papers. Reply STOP to opt out.",
                "fa": "{name}، وقت ارزیابی صحی شما در تاریخ {date} در {place} است. لطفاً تذکره و اسناد صحی خود را "
                "بیاورید. برای لغو، «لغو» بفرستید.",
                "ps": "{name}، ستاسو د روغتیا ارزونې وخت په {date} نېټه په {place} کې دی. مهرباني وکړئ خپل پېژندپاڼه "
                "او روغتیايي اسناد راوړئ. د بندولو لپاره «بند» ولیږئ.",
            },
        )
    )
    messages.register_message_kind(
        messages.MessageKind(
            key="flight_reminder",
            label=_("Flight reminder"),
            purpose=_("Reminds a booked traveller of the day, time and airport of their flight, two days before."),
            placeholders=("name", "date", "place"),
            roles=resettlement_staff,
            reminders=_flight_reminders,
            templates={
                "tr": "{name}, uçuşunuz {date} tarihinde {place} havalimanından kalkıyor. Lütfen kalkıştan 3 saat "
                "önce belgelerinizle havalimanında olun. Mesaj almamak için DUR yazın.",
                "ar": "{name}، رحلتك تغادر في {date} من مطار {place}. يرجى الحضور إلى المطار قبل 3 ساعات من الإقلاع "
                "مع وثائقك. للإلغاء أرسل توقف",
                "en": "{name}, your flight leaves on {date} from {place} airport. Please be at the airport 3 hours "
                "before departure with your documents. Reply STOP to opt out.",
                "fa": "{name}، پرواز شما در {date} از میدان هوایی {place} حرکت می‌کند. لطفاً ۳ ساعت پیش از پرواز با "
                "اسناد خود در میدان هوایی باشید. برای لغو، «لغو» بفرستید.",
                "ps": "{name}، ستاسو الوتکه په {date} له {place} هوايي ډګر څخه الوځي. مهرباني وکړئ د الوتنې درې ساعته "
                "مخکې له خپلو اسنادو سره هوايي ډګر ته راشئ. د بندولو لپاره «بند» ولیږئ.",
            },
        )
    )


def _flight_reminders(now):
    """Each traveller booked on a flight that leaves within LIMAN_FLIGHT_REMINDER_HOURS (48): once per booking and
    departure time (a flight moved to another time is reminded again)."""
    import datetime

    from django.conf import settings

    from liman.core.messages import Recipient

    from .choices import BookingStatus
    from .models import Booking

    hours = settings.LIMAN_FLIGHT_REMINDER_HOURS
    bookings = (
        Booking.objects.filter(
            status=BookingStatus.BOOKED,
            flight__departs_at__gt=now,
            flight__departs_at__lte=now + datetime.timedelta(hours=hours),
        )
        .select_related("person", "flight")
        .prefetch_related("flight__legs")
        .order_by("flight__departs_at", "pk")
    )
    for booking in bookings:
        flight = booking.flight
        legs = sorted(flight.legs.all(), key=lambda leg: leg.sequence)
        yield Recipient(
            booking.person,
            {"date": flight.departs_at, "place": legs[0].origin if legs else flight.reference},
            key=f"booking:{booking.pk}:{flight.departs_at:%Y%m%d%H%M}",
        )


def _home_figures() -> None:
    """What waits on resettlement staff, on the home page."""
    import datetime

    from django.utils import timezone

    from liman.core.selectors import register_home_figure

    from . import selectors

    def flights_this_week(user):
        if not selectors.works_on_resettlement(user):
            return None
        now = timezone.now()
        departing = selectors.flights_for(user).filter(
            departs_at__gte=now, departs_at__lt=now + datetime.timedelta(days=7)
        )
        return departing.count()

    register_home_figure(
        "flights_this_week",
        _("Flights departing in the next 7 days"),
        flights_this_week,
        url="movements:movements-calendar",
        to_do=True,
    )
