from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "liman.registry"
    label = "registry"
    verbose_name = _("Registry")

    def ready(self):
        from liman.core import navigation, seeding

        from . import maps as map_measures

        people_roles = map_measures.PEOPLE_ROLES
        navigation.register(
            navigation.NavItem("people", _("People"), "registry:person-search", people_roles, order=5, group="people")
        )
        navigation.register_search(navigation.BarSearch("people", "name", _("Find a person…")))
        seeding.register_seeder("registry", "liman.registry.demo.seed_registry")

        from liman.core.access import has_role
        from liman.core.selectors import register_home_figure

        from .models import Person

        def people_count(user):
            if not has_role(user, people_roles):
                return None
            return Person.objects.visible_to(user).active().count()

        register_home_figure("people", _("People registered"), people_count, url="registry:person-search")
        map_measures.register()
