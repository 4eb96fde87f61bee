from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "liman.privacy"
    label = "privacy"
    verbose_name = _("Data protection")

    def ready(self):
        from liman.core import demo, navigation, retention

        from .demo import seed_privacy
        from .permissions import PRIVACY_ROLES

        retention.autodiscover()  # every app's retention.py
        navigation.register(
            navigation.NavItem(
                "retention", _("Retention"), "privacy-schedules", PRIVACY_ROLES, order=920, group="admin"
            )
        )
        navigation.register(
            navigation.NavItem("data-map", _("Data map"), "privacy-data-map", PRIVACY_ROLES, order=925, group="admin")
        )
        navigation.register(
            navigation.NavItem(
                "breaches", _("Data breaches"), "privacy-breaches", PRIVACY_ROLES, order=927, group="admin"
            )
        )
        demo.register_seeder("privacy", seed_privacy, last=True)
