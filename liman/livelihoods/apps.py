from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LivelihoodsConfig(AppConfig):
    name = "liman.livelihoods"
    label = "livelihoods"
    verbose_name = _("Livelihoods")

    def ready(self):
        from liman.core import navigation, seeding
        from liman.registry import sections

        from .sections import person_grants_context

        navigation.register(
            navigation.NavItem("grants", _("Grants"), "livelihoods:grant-home", order=47, group="assistance")
        )
        navigation.register(
            navigation.NavItem(
                "employment", _("Employment"), "livelihoods:employment-home", order=48, group="assistance"
            )
        )
        sections.register(
            sections.PersonSection(
                key="grants",
                title=_("Grants, jobs and work permits"),
                template="livelihoods/_person_grants.html",
                context=person_grants_context,
                order=47,
            )
        )
        seeding.register_seeder("livelihoods", "liman.livelihoods.demo.seed_livelihoods")
        seeding.register_seeder("employment", "liman.livelihoods.demo.seed_employment")
