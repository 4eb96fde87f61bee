from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DtmConfig(AppConfig):
    name = "liman.dtm"
    label = "dtm"
    verbose_name = _("Field data and DTM")

    def ready(self):
        from liman.core import maps, navigation, seeding

        from . import selectors

        # No roles here: each entry shows to the roles its view requires.
        navigation.register(navigation.NavItem("dtm", _("Field data"), "dtm:dtm-home", order=60, group="field"))
        for order, (key, label, url_name) in enumerate(
            (
                ("operations", _("Operations"), "dtm:dtm-home"),
                ("forms", _("Forms"), "dtm:dtm-forms"),
                ("submissions", _("Submissions"), "dtm:dtm-submissions"),
                ("field_users", _("Field users"), "dtm:dtm-field-users"),
            )
        ):
            navigation.register(navigation.NavItem(key, label, url_name, order=order, menu="dtm"))
        maps.register_metric(
            "dtm_site_individuals", _("Individuals in sites (DTM)"), selectors.site_individuals_by_province
        )
        seeding.register_seeder("dtm", "liman.dtm.demo.seed_dtm")

        from liman.core.access import has_role
        from liman.core.selectors import register_home_figure

        from .choices import FIELD_DATA_ROLES, SubmissionState

        def submissions_failed(user):
            if not has_role(user, FIELD_DATA_ROLES):
                return None
            return selectors.submissions_for(user, state=SubmissionState.REVIEW).count()

        register_home_figure(
            "submissions_failed",
            _("Field submissions that failed to process"),
            submissions_failed,
            url="dtm:dtm-submissions?state=review",
            to_do=True,
        )
        seeding.register_login_notes("liman.dtm.demo.demo_login_lines")
