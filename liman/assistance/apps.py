from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistanceConfig(AppConfig):
    name = "liman.assistance"
    label = "assistance"
    verbose_name = _("Assistance")

    def ready(self):
        from liman.core import demo, maps, navigation
        from liman.core.access import has_role
        from liman.core.selectors import register_home_figure

        from . import selectors
        from .demo import seed_assistance
        from .permissions import INCIDENT_READ_ROLES, STOCK_READ_ROLES

        # Roles from the view (`role_required`): everyone who reads stock.
        navigation.register(navigation.NavItem("stock", _("Stock"), "stock-overview", order=40))
        navigation.register(navigation.NavItem("incidents", _("Incidents"), "incident-list", order=41))
        navigation.register(navigation.NavItem("distributions", _("Distributions"), "distribution-list", order=42))
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
        demo.register_seeder("assistance", seed_assistance)

        def in_transit(user):
            return selectors.transfers_for(user, in_transit=True).count() if has_role(user, STOCK_READ_ROLES) else None

        register_home_figure("stock_in_transit", _("Stock transfers in transit"), in_transit)
