from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HealthConfig(AppConfig):
    name = "liman.health"
    label = "health"
    verbose_name = _("Migration health")

    def ready(self):
        from liman.core import navigation
        from liman.core.choices import Role
        from liman.registry import sections

        from .sections import person_health_context

        navigation.register(
            navigation.NavItem(
                "health",
                _("Health"),
                "health:health-assessment-list",
                frozenset({Role.HEALTH}),
                order=40,
                group="people",
            )
        )
        sections.register(
            sections.PersonSection(
                "health", _("Migration health"), "health/_person_section.html", person_health_context, order=40
            )
        )
