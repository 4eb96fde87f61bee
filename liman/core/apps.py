from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "liman.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from . import maps, navigation, progress, signals  # noqa: F401  (signals connect on import)
        from .roles import AUDIT_ROLES, STAFF_DIRECTORY_ROLES

        navigation.register(navigation.NavItem("home", _("Home"), "home", order=0))
        navigation.register(navigation.NavItem("offices", _("Offices"), "office-list", order=10))
        navigation.register(navigation.NavItem("map", _("Map"), "map", order=20))
        navigation.register(navigation.NavItem("staff", _("Staff"), "staff-list", STAFF_DIRECTORY_ROLES, order=900))
        navigation.register(navigation.NavItem("audit", _("Audit log"), "audit-list", AUDIT_ROLES, order=910))
        from .models import ImportBatch

        navigation.register(
            navigation.NavItem("imports", _("Imports"), "import-list", ImportBatch.scope.roles, order=800)
        )
        maps.register_core_metrics()
