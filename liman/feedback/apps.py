from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "liman.feedback"
    label = "feedback"
    verbose_name = _("Feedback and complaints")

    def ready(self):
        from liman.core import navigation, seeding
        from liman.core.selectors import register_home_figure

        from . import selectors

        # Roles from the view (`role_required`): everyone who reads the office's feedback.
        navigation.register(
            navigation.NavItem("feedback", _("Feedback"), "feedback:feedback-list", order=45, group="people")
        )
        register_home_figure(
            "feedback_overdue",
            _("Feedback overdue for an answer"),
            selectors.overdue_count,
            url="feedback:feedback-list?overdue=1",
            to_do=True,
        )
        seeding.register_seeder("feedback", "liman.feedback.demo.seed_feedback")
        from .measures import register as register_measures  # reporting reads them (core.measures)

        register_measures()
        from liman.core.messages import register_inbound_handler

        register_inbound_handler(feedback_from_sms)


def feedback_from_sms(text):
    """An inbound SMS that is not an opt-out becomes feedback from the SMS channel, to be triaged like a call. It is
    from the one person registered with the number; when none or several are (a phone shared in a family), it names
    no one and keeps the number (encrypted) as the way to answer: never a guess at who wrote."""
    from .choices import Category, Channel
    from .services import feedback_record

    if text.office is None or not text.text.strip():
        return None
    return feedback_record(
        office=text.office, channel=Channel.SMS, category=Category.OTHER, summary=text.text, by=None,
        person=text.person, contact="" if text.person is not None else text.number, received_at=text.received_at,
    )  # fmt: skip
