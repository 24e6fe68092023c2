"""The stored year-end figures of each branch and year: what the year-end page's heading
counts (pledges to rate, rated, waiting for confirmation, published), read instead of
joining a province's year of pledges to their evaluations on every request.

Counted by the same definition as the live figures (reviews.selectors.yearend.yearend_counts)
and kept by pledges.figures.stored, which counts them again with the pledges' own stored
figures for every (branch, year) a change names: a pledge saved or moved, and here an
evaluation recorded, corrected or published. Imported by reviews.models, so that Django
registers the model with the app.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from branches.models import Branch


class YearEndFigures(models.Model):
    """A branch's pledges of one year to rate at year end (verified or evaluated), the rated
    ones, the rated ones still waiting for confirmation, and the published ones."""

    branch = models.ForeignKey(
        Branch, on_delete=models.CASCADE, related_name="yearend_figures", editable=False
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    total = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    waiting = models.PositiveIntegerField(default=0)
    published = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("党支部年终评议计数")
        verbose_name_plural = _("党支部年终评议计数")
        constraints = [
            models.UniqueConstraint(fields=["year", "branch"], name="yearend_figures_once"),
        ]

    def __str__(self):
        return f"{self.branch_id}/{self.year}"


# The figures, in the order of the page's heading.
YEAREND_FIGURES = ("total", "rated", "waiting", "published")
