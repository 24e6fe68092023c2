"""Keep the stored year-end figures (reviews.stored_figures) in step with the evaluations:
a rating or a correction names its pledge's branch and year, counted again in the same
transaction (or once at the end of a deferral: pledges.figures.stored)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from reviews.models import YearEndEvaluation
from reviews.services.stored_figures import yearend_figures_changed


@receiver(post_save, sender=YearEndEvaluation)
@receiver(post_delete, sender=YearEndEvaluation)
def evaluation_changed(sender, instance, **kwargs):
    # The services create a rating with its pledge loaded: no query for its keys.
    yearend_figures_changed(pledges=[instance.pledge])
