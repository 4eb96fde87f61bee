from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "liman.feedback"
    label = "feedback"
    verbose_name = _("Feedback and complaints")

    def ready(self):
        from liman.core import demo, navigation
        from liman.core.selectors import register_home_figure

        from . import selectors
        from .demo import seed_feedback

        # Roles from the view (`role_required`): everyone who reads the office's feedback.
        navigation.register(navigation.NavItem("feedback", _("Feedback"), "feedback-list", order=45))
        register_home_figure("feedback_overdue", _("Feedback overdue for an answer"), selectors.overdue_count)
        demo.register_seeder("feedback", seed_feedback)
