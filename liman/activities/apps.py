from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "liman.activities"
    label = "activities"
    verbose_name = _("Activities with participants")

    def ready(self):
        from liman.core import navigation, seeding
        from liman.registry import sections

        from .sections import person_activities_context

        # Roles from the views (`role_required`): who reads the office's activities.
        navigation.register(
            navigation.NavItem("activities", _("Activities"), "activities:activity-list", order=46, group="assistance")
        )
        sections.register(
            sections.PersonSection(
                key="activities",
                title=_("Activities attended / certificates"),
                template="activities/_person_activities.html",
                context=person_activities_context,
                order=46,
            )
        )
        seeding.register_seeder("activities", "liman.activities.demo.seed_activities")
        from . import messages as activity_messages  # certificates ready, told to the participants (core.messages)

        activity_messages.declare()
        from .measures import register as register_measures  # reporting reads them (core.measures)

        register_measures()
        from liman.registry.signals import people_merged

        from .reach import merge_refresh  # people reached follow the registry's merges, in the merge's transaction

        people_merged.connect(merge_refresh, dispatch_uid="activities.reach.merge_refresh")
