from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PledgesConfig(AppConfig):
    name = "pledges"
    verbose_name = _("需求与承诺")

    def ready(self):
        from pledges import signals  # noqa: F401  (connects the public-page receivers)
        from pledges.figures import signals as figure_signals  # noqa: F401  (stored figures)
