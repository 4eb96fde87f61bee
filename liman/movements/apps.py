from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MovementsConfig(AppConfig):
    name = "liman.movements"
    label = "movements"
    verbose_name = _("Resettlement and movements")

    def ready(self):
        from liman.core import demo, navigation
        from liman.core.choices import Role
        from liman.registry import sections

        from .demo import seed_movements
        from .selectors import person_movements

        resettlement_staff = frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.PROGRAMME_OFFICER})
        navigation.register(
            navigation.NavItem("resettlement", _("Resettlement"), "resettlement-board", resettlement_staff, order=30)
        )
        navigation.register(
            navigation.NavItem("departures", _("Departures"), "movements-calendar", resettlement_staff, order=31)
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
        demo.register_seeder("movements", seed_movements)
