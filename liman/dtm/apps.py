from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DtmConfig(AppConfig):
    name = "liman.dtm"
    label = "dtm"
    verbose_name = _("Field data and DTM")

    def ready(self):
        from liman.core import demo, maps, navigation

        from . import selectors
        from .choices import DTM_READ_ROLES
        from .demo import demo_login_lines, seed_dtm

        navigation.register(navigation.NavItem("dtm", _("Field data"), "dtm-home", DTM_READ_ROLES, order=60))
        maps.register_metric(
            "dtm_site_individuals", _("Individuals in sites (DTM)"), selectors.site_individuals_by_province
        )
        demo.register_seeder("dtm", seed_dtm)
        demo.register_login_notes(demo_login_lines)
