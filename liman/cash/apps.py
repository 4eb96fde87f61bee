from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CashConfig(AppConfig):
    name = "liman.cash"
    label = "cash"
    verbose_name = _("Cash assistance")

    def ready(self):
        from liman.core import navigation, seeding
        from liman.registry import sections

        from .sections import household_cash_context, person_cash_context

        # No roles here: each entry shows to the roles its view requires (`role_required`: who reads cash).
        navigation.register(
            navigation.NavItem("cash", _("Cash"), "cash:cash-programme-list", order=43, group="assistance")
        )
        for order, (key, label, url_name) in enumerate(
            (
                ("programmes", _("Programmes"), "cash:cash-programme-list"),
                ("cycles", _("Payment cycles"), "cash:cash-cycle-list"),
                ("check", _("Check a payment file"), "cash:cash-check-file"),
            )
        ):
            navigation.register(navigation.NavItem(key, label, url_name, order=order, menu="cash"))
        sections.register(
            sections.PersonSection(
                key="cash",
                title=_("Cash assistance"),
                template="cash/_person_cash.html",
                context=person_cash_context,
                order=41,
            )
        )
        sections.register_household(
            sections.PersonSection(
                key="cash",
                title=_("Cash assistance"),
                template="cash/_person_cash.html",
                context=household_cash_context,
                order=41,
            )
        )
        seeding.register_seeder("cash", "liman.cash.demo.seed_cash")
        from .measures import register as register_measures  # reporting reads them (core.measures)

        register_measures()
        seeding.register_login_notes("liman.cash.demo.demo_file_lines")
        from . import messages

        messages.declare()
