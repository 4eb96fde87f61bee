import datetime

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    """Donors, projects, results frameworks and the 3RP 4W. Last in the dependency order: it reads every app through
    the measures they register (liman.core.measures), and no app imports it."""

    name = "liman.reporting"
    label = "reporting"
    verbose_name = _("Reporting")

    def ready(self):
        from liman.core import navigation, schedule, seeding

        from . import tagging

        navigation.register_group(navigation.NavGroup("reporting", _("Reporting"), 80))
        navigation.register(navigation.NavItem("fourw", _("3RP 4W"), "reporting:fourw", order=80, group="reporting"))
        navigation.register(
            navigation.NavItem("projects", _("Projects"), "reporting:project-list", order=81, group="reporting")
        )
        navigation.register(navigation.NavItem("reporting-dashboard", _("Dashboard"), "reporting:reporting-dashboard",
                                               order=82, group="reporting"))  # fmt: skip
        navigation.register(
            navigation.NavItem(
                "donor-reports", _("Donor reports"), "reporting:donor-report-list", order=83, group="reporting"
            )
        )
        navigation.register(navigation.NavItem("project-tags", _("Project tagging"), "reporting:project-tags", order=84,
                                               group="reporting"))  # fmt: skip
        seeding.register_seeder("reporting", "liman.reporting.demo.seed_reporting", last=True)
        tagging.connect()

        def reach_catch_up() -> dict:
            from . import reach

            ready = reach.catch_up_all(rebuild_now=True)
            built = reach.build_missing_projects()
            return {"caught_up": {key: sorted(map(str, units)) for key, units in ready.items()}, "built": built}

        schedule.register_job(
            "reach-catch-up", reach_catch_up, every=datetime.timedelta(minutes=10),
            description="Stored first reaches (4W, projects) brought up to the audit log; new projects' built.",
        )  # fmt: skip
