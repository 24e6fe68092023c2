from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BranchesConfig(AppConfig):
    name = "branches"
    verbose_name = _("组织与党员")

    def ready(self):
        import branches.checks  # noqa: F401  (registers the system checks)
        from branches import signin  # noqa: F401  (connects the sign-in log receivers)
