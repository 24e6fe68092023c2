from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("督诺与用诺")

    def ready(self):
        from pledges.figures.stored import also_counted_again
        from reviews import signals  # noqa: F401  (connects the year-end figures' receivers)
        from reviews.services.stored_figures import count_yearend_again

        # The year-end figures are counted again with the pledges' stored figures.
        also_counted_again(count_yearend_again)
