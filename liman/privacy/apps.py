from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "liman.privacy"
    label = "privacy"
    verbose_name = _("Data protection")

    def ready(self):
        from liman.core import navigation, retention, seeding

        from .permissions import PRIVACY_ROLES

        retention.autodiscover()  # every app's retention.py
        from liman.core import sharing as transfers

        from . import sharing

        transfers.register(sharing)  # referrals, partners' access and file exchanges ask it (core.sharing)
        navigation.register(
            navigation.NavItem(
                "retention", _("Retention"), "privacy:privacy-schedules", PRIVACY_ROLES, order=920, group="admin"
            )
        )
        navigation.register(
            navigation.NavItem(
                "data-map", _("Data map"), "privacy:privacy-data-map", PRIVACY_ROLES, order=925, group="admin"
            )
        )
        navigation.register(
            navigation.NavItem(
                "breaches", _("Data breaches"), "privacy:privacy-breaches", PRIVACY_ROLES, order=927, group="admin"
            )
        )
        navigation.register(
            navigation.NavItem(
                "agreements",
                _("Sharing agreements"),
                "privacy:privacy-agreements",
                PRIVACY_ROLES,
                order=926,
                group="admin",
            )
        )
        from liman.core.selectors import register_home_figure

        from .permissions import REQUEST_LIST_ROLES
        from .selectors import agreements_expiring_count, subject_requests_overdue_count

        navigation.register(
            navigation.NavItem(
                "data-requests",
                _("Data requests"),
                "privacy:privacy-requests",
                REQUEST_LIST_ROLES,
                order=60,
                group="people",
            )
        )
        register_home_figure(
            "data_requests_overdue",
            _("Requests from people about their data, past their deadline"),
            subject_requests_overdue_count,
            url="privacy:privacy-requests?overdue=1",
            to_do=True,
        )
        register_home_figure(
            "agreements_expiring",
            _("Data-sharing agreements ending within 30 days"),
            agreements_expiring_count,
            url="privacy:privacy-agreements",
            to_do=True,
        )
        from liman.registry import sections

        sections.register(
            sections.PersonSection(
                key="consent-withdrawn",
                title=_("Consent withdrawn"),
                template="registry/_consent_banner.html",
                context=consent_banner_context,
                order=1,
            )
        )
        seeding.register_seeder("privacy", "liman.privacy.demo.seed_privacy", last=True)
        # The agreements must be in force before the cases' seeder sends referrals to partners.
        seeding.register_seeder("privacy-agreements", "liman.privacy.demo.seed_agreements", before="cases")
        from liman.core import schedule

        def retention_run() -> dict:
            from .services import run

            return {outcome.kind.key: outcome.purged for outcome in run(dry_run=False)}

        schedule.register_job(
            "retention-run", retention_run, at="01:30", description="Purge what the active retention schedules say."
        )


def consent_banner_context(user, person) -> dict | None:
    """The person page's banner: each purpose whose consent the person withdrew, and what that stops."""
    from liman.registry.consent import withdrawn

    found = withdrawn(person)
    return {"withdrawn": found} if found else None
