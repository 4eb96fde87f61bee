from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsignmentsConfig(AppConfig):
    name = "liman.consignments"
    label = "consignments"
    verbose_name = _("Cross-border consignments")

    def ready(self):
        from liman.core import navigation, seeding
        from liman.core.access import has_role
        from liman.core.selectors import register_home_figure

        from . import selectors
        from .permissions import READ_ROLES, REPORT_ROLES

        # Roles from the view (`role_required`): the hub offices' readers and partner users.
        navigation.register(
            navigation.NavItem(
                "consignments", _("Consignments"), "consignments:consignment-list", order=42, group="assistance"
            )
        )
        seeding.register_seeder("consignments", "liman.consignments.demo.seed_consignments")
        seeding.register_login_notes("liman.consignments.demo.partner_logins")

        def on_the_road(user):
            return selectors.on_the_road(user) if has_role(user, READ_ROLES | REPORT_ROLES) else None

        register_home_figure(
            "consignments_on_the_road", _("Consignments on the road"), on_the_road, url="consignments:consignment-list"
        )
