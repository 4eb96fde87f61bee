from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DtmConfig(AppConfig):
    name = "liman.dtm"
    label = "dtm"
    verbose_name = _("Field data and DTM")
