from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DedupConfig(AppConfig):
    name = "liman.dedup"
    label = "dedup"
    verbose_name = _("Duplicate records")

    def ready(self):
        from liman.core import navigation, seeding
        from liman.registry import checks, sections

        from .checks import CHECKER
        from .models import REVIEW_ROLES
        from .sections import person_duplicates_context
        from .services import match_pairs_recheck

        navigation.register(
            navigation.NavItem(
                "duplicates", _("Duplicates"), "dedup:dedup-queue", REVIEW_ROLES, order=8, group="people"
            )
        )
        sections.register(
            sections.PersonSection(
                key="duplicates",
                title=_("Possible duplicates"),
                template="dedup/_person_duplicates.html",
                context=person_duplicates_context,
                order=5,
            )
        )
        checks.register(CHECKER)
        checks.on_person_changed(match_pairs_recheck)
        seeding.register_seeder("dedup", "liman.dedup.demo.seed_duplicates")

        from liman.core.access import has_role
        from liman.core.selectors import register_home_figure

        from . import selectors
        from .choices import MatchStatus

        def pairs_to_review(user):
            if not has_role(user, REVIEW_ROLES):
                return None
            return selectors.match_pairs_for(user, status=MatchStatus.OPEN).count()

        register_home_figure(
            "pairs_to_review",
            _("Duplicate pairs to review"),
            pairs_to_review,
            url="dedup:dedup-queue?status=open",
            to_do=True,
        )
