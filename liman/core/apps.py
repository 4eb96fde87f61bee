from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "liman.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from . import maps, navigation, progress, signals  # noqa: F401  (signals connect on import)
        from .roles import AUDIT_ROLES, STAFF_DIRECTORY_ROLES

        for key, label, order in (
            ("people", _("People & cases"), 5),
            ("movements", _("Movements"), 30),
            ("assistance", _("Assistance"), 40),
            ("field", _("Field data"), 60),
            ("admin", _("Administration"), 900),
        ):
            navigation.register_group(navigation.NavGroup(key, label, order))
        navigation.register(navigation.NavItem("home", _("Home"), "core:home", order=0))
        navigation.register(navigation.NavItem("offices", _("Offices"), "core:office-list", order=10, group="admin"))
        # In the reporting app's group when it is installed (alone, the entry shows on the bar itself).
        navigation.register(navigation.NavItem("map", _("Map"), "core:map", order=20, group="reporting"))
        navigation.register(
            navigation.NavItem("staff", _("Staff"), "core:staff-list", STAFF_DIRECTORY_ROLES, order=900, group="admin")
        )
        navigation.register(
            navigation.NavItem("audit", _("Audit log"), "core:audit-list", AUDIT_ROLES, order=910, group="admin")
        )
        from .models import ImportBatch

        navigation.register(
            navigation.NavItem(
                "imports", _("Imports"), "core:import-list", ImportBatch.scope.roles, order=800, group="field"
            )
        )
        maps.register_core_metrics()
        from . import seeding

        seeding.register_seeder("core", "liman.core.demo.seed_core")
        from . import schedule

        schedule.register_core_jobs()  # audit anchor and verify, import purge (liman/core/schedule.py)

        from .access import has_role
        from .selectors import register_home_figure
        from .staging import waiting_imports

        def imports_waiting(user):
            if not has_role(user, ImportBatch.scope.roles):
                return None
            return waiting_imports(ImportBatch.objects.visible_to(user)).filter(created_by=user).count()

        register_home_figure(
            "imports_waiting",
            _("My imports waiting to be committed"),
            imports_waiting,
            url="core:import-list?waiting=1",
            to_do=True,
        )
