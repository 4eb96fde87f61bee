from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "liman.messaging"
    label = "messaging"
    verbose_name = _("Messages to people")

    def ready(self):
        from liman.core import navigation, seeding
        from liman.registry import sections

        from .sections import person_contact_context

        # Roles from the view (`role_required`): everyone who reads the outbox.
        navigation.register(
            navigation.NavItem("messages", _("Messages"), "messaging:message-list", order=46, group="people")
        )
        sections.register(
            sections.PersonSection(
                key="messages",
                title=_("Messages and how to reach them"),
                template="messaging/_person_section.html",
                context=person_contact_context,
                order=60,
            )
        )
        seeding.register_seeder("messaging", "liman.messaging.demo.seed_messaging")
        from datetime import timedelta

        from liman.core import schedule

        def reminders_queue() -> dict:
            from .services import reminders_queue

            return {kind: outcome.queued for kind, outcome in reminders_queue().items()}

        schedule.register_job(
            "messages-remind", reminders_queue, every=timedelta(hours=1), description="Reminders due."
        )
        # The list messages read the records the later apps seed (a distribution plan, a payment cycle).
        seeding.register_seeder("list-messages", "liman.messaging.demo.seed_list_messages", last=True)
