from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistanceConfig(AppConfig):
    name = "liman.assistance"
    label = "assistance"
    verbose_name = _("Assistance")

    def ready(self):
        from liman.core import maps, navigation, seeding
        from liman.core.access import has_role
        from liman.core.selectors import register_home_figure

        from . import selectors
        from .permissions import INCIDENT_READ_ROLES, STOCK_READ_ROLES

        # Roles from the view (`role_required`): everyone who reads stock.
        navigation.register(
            navigation.NavItem("stock", _("Stock"), "assistance:stock-overview", order=40, group="assistance")
        )
        navigation.register(
            navigation.NavItem("incidents", _("Incidents"), "assistance:incident-list", order=41, group="assistance")
        )
        navigation.register(
            navigation.NavItem(
                "distributions", _("Distributions"), "assistance:distribution-list", order=42, group="assistance"
            )
        )
        from liman.registry import sections

        from .sections import person_assistance_context

        sections.register(
            sections.PersonSection(
                key="assistance",
                title=_("Assistance received"),
                template="assistance/_person_assistance.html",
                context=person_assistance_context,
                order=40,
            )
        )
        maps.register_metric(
            selectors.MAP_METRIC,
            _("People met at the border"),
            selectors.people_met_by_province,
            roles=INCIDENT_READ_ROLES,
        )
        seeding.register_seeder("assistance", "liman.assistance.demo.seed_assistance")
        from .measures import register as register_measures  # reporting reads them (core.measures)

        register_measures()

        def in_transit(user):
            return selectors.transfers_for(user, in_transit=True).count() if has_role(user, STOCK_READ_ROLES) else None

        register_home_figure(
            "stock_in_transit",
            _("Stock transfers in transit"),
            in_transit,
            url="assistance:stock-transfer-list?state=dispatched",
        )
        _declare_messages()


def _declare_messages() -> None:
    """What assistance may send to a household (liman.core.messages): the distribution day, to the households of a
    plan at once from the distribution's page ("Tell the households")."""
    from liman.core import messages

    from .permissions import DISTRIBUTION_PLAN_ROLES

    messages.register_message_kind(
        messages.MessageKind(
            key="distribution_day",
            label=_("Distribution day"),
            purpose=_("Tells a household the day and place of a distribution it is entitled to."),
            placeholders=("name", "date", "place"),
            roles=DISTRIBUTION_PLAN_ROLES,
            manual=False,
            audience=messages.Audience(
                path="distributions",
                button=_("Tell the households"),
                recipients=_distribution_households,
                demo=_demo_distribution,
            ),
            templates={
                "tr": "{name}, hanenizin yardım dağıtımı {date} tarihinde {place} noktasında yapılacak. Lütfen "
                "kimliğinizi ve hane kartınızı getirin. Mesaj almamak için DUR yazın.",
                "ar": "{name}، توزيع المساعدات لأسرتك في {date} في {place}. يرجى إحضار هويتك وبطاقة الأسرة. "
                "للإلغاء أرسل توقف",
                "en": "{name}, the distribution for your household is on {date} at {place}. Please bring your ID and "
                "household card. Reply STOP to opt out.",
                "fa": "{name}، توزیع کمک برای خانواده شما در تاریخ {date} در {place} است. لطفاً تذکره و کارت خانواده "
                "خود را بیاورید. برای لغو، «لغو» بفرستید.",
                "ps": "{name}، ستاسو د کورنۍ لپاره د مرستو وېش په {date} نېټه په {place} کې دی. مهرباني وکړئ خپل "
                "پېژندپاڼه او د کورنۍ کارت راوړئ. د بندولو لپاره «بند» ولیږئ.",
            },
        )
    )


def _distribution_households(user, pk: int):
    """The households of a plan still to collect, each told through its head, or else another adult member who may be
    contacted; the plan is read through the user's scope (404 outside it)."""
    from django.urls import reverse

    from liman.core.messages import AudienceList, Recipient
    from liman.registry.selectors import adults_to_tell

    from .choices import EntitlementState
    from .selectors import plan_for

    plan = plan_for(user, pk)
    entitlements = plan.entitlements.filter(state=EntitlementState.PENDING).select_related("household")
    adults = adults_to_tell(user, [entitlement.household for entitlement in entitlements.order_by("pk")])
    context = {"date": plan.starts_on, "place": plan.site.name}
    key = f"distribution:{plan.pk}:{plan.starts_on}"
    recipients = [Recipient(people[0], context, key=key, fallbacks=tuple(people[1:])) for people in adults.values()]
    return AudienceList(
        title=f"{plan.reference} · {plan.name}",
        office=plan.office,
        recipients=recipients,
        back_url=reverse("assistance:distribution-detail", args=[plan.pk]),
    )


def _demo_distribution():
    """The demo's distribution-day message: IST's open plan, sent by its distribution clerk."""
    from liman.core.choices import Role
    from liman.core.models import User
    from liman.core.seeding import demo_username

    from .choices import DistributionState
    from .models import DistributionPlan

    plan = DistributionPlan.objects.filter(office__code="IST", state=DistributionState.OPEN).order_by("pk").first()
    clerk = User.objects.filter(username=demo_username(Role.DISTRIBUTION, "IST")).first()
    return (clerk, plan.pk) if plan is not None and clerk is not None else None
