from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistanceConfig(AppConfig):
    name = "liman.assistance"
    label = "assistance"
    verbose_name = _("Assistance")

    def ready(self):
        from liman.core import demo, navigation
        from liman.core.access import has_role
        from liman.core.selectors import register_home_figure

        from . import selectors
        from .demo import seed_assistance
        from .permissions import STOCK_READ_ROLES

        # Roles from the view (`role_required`): everyone who reads stock.
        navigation.register(navigation.NavItem("stock", _("Stock"), "stock-overview", order=40))
        demo.register_seeder("assistance", seed_assistance)

        def in_transit(user):
            return selectors.transfers_for(user, in_transit=True).count() if has_role(user, STOCK_READ_ROLES) else None

        register_home_figure("stock_in_transit", _("Stock transfers in transit"), in_transit)
