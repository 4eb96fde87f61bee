from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "liman.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self):
        from liman.core import navigation, seeding
        from liman.core.choices import Role
        from liman.registry import sections

        from .sections import person_cases_context

        casework = frozenset({Role.CASEWORKER, Role.SUPERVISOR})
        people = "people"
        navigation.register(
            navigation.NavItem("cases", _("Cases"), "cases:case-list", casework | {Role.VIEWER}, order=20, group=people)
        )
        navigation.register(
            navigation.NavItem(
                "follow-ups", _("My follow-ups"), "cases:follow-up-list", casework, order=21, group=people
            )
        )
        navigation.register(
            navigation.NavItem(
                "referrals", _("Referrals"), "cases:referral-list", casework | {Role.PARTNER}, order=22, group=people
            )
        )
        navigation.register(
            navigation.NavItem("ctdc", _("CTDC export"), "cases:ctdc-export", casework, order=23, group=people)
        )
        # Roles from the view (`role_required`): administrators and supervisors.
        navigation.register(
            navigation.NavItem("partners", _("Partners"), "cases:partner-list", order=905, group="admin")
        )
        sections.register(
            sections.PersonSection(
                key="cases",
                title=_("Cases"),
                template="cases/_person_cases.html",
                context=person_cases_context,
                order=20,
            )
        )
        seeding.register_seeder("cases", "liman.cases.demo.seed_cases")
        from liman.dedup import comparison

        def cases_by_person(user, person_ids):
            from django.db.models import Count

            from .models import Case

            rows = Case.objects.visible_to(user).filter(person_id__in=person_ids).values("person_id")
            return {row["person_id"]: row["n"] for row in rows.annotate(n=Count("id"))}

        comparison.register(comparison.PersonCount("cases", _("Cases"), cases_by_person, order=20))
        from .measures import register as register_measures  # reporting reads them (core.measures)

        register_measures()

        from liman.core.access import has_role
        from liman.core.selectors import register_home_figure

        from . import selectors

        def open_cases(user):
            return selectors.cases_for(user, open_only=True).count() if has_role(user, casework) else None

        def overdue_follow_ups(user):
            if not has_role(user, casework):
                return None
            return selectors.follow_ups_for(user, overdue_only=True).count()

        def cases_waiting_on_me(user):
            if not has_role(user, casework):
                return None
            return selectors.cases_for(user, owner="me", open_only=True).count()

        def referrals_to_answer(user):
            if not has_role(user, casework | {Role.PARTNER}):
                return None
            return selectors.referrals_received(user, status="pending").count()

        register_home_figure("open_cases", _("Open cases"), open_cases, url="cases:case-list?open=1")
        register_home_figure(
            "overdue_follow_ups",
            _("My overdue follow-ups"),
            overdue_follow_ups,
            url="cases:follow-up-list?overdue=1",
            to_do=True,
        )
        register_home_figure(
            "cases_waiting",
            _("Open cases waiting on me"),
            cases_waiting_on_me,
            url="cases:case-list?owner=me&open=1",
            to_do=True,
        )
        register_home_figure(
            "referrals_to_answer",
            _("Referrals to answer"),
            referrals_to_answer,
            url="cases:referral-list?status=pending",
            to_do=True,
        )

        from . import maps as map_measures

        map_measures.register()
