"""The stored figures of each branch and year: counts the staff pages read instead of
counting a province's pledges on every request.

They hold nothing of their own. Each row is a count by the definitions of pledges.figures,
recomputed from the pledges, members and moves of its branch and year in the same
transaction as any change to them (pledges.figures.stored), so they cannot drift; a test
compares them with a fresh count. What depends on the day (overdue, late needs) and on
the roll (members on it, exempt) is counted live: it changes without a write.

Imported by pledges.models, so that Django registers them with the app.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from branches.models import Branch
from pledges.enums import NeedCategory, PledgeStatus

QUARTERS = (1, 2, 3, 4)


class PledgeTally(models.Model):
    """How many pledges a branch owns of one year and category, by status (a column each,
    named as the status), and how many of the counted ones (LIVE) fall due in each quarter
    of that year. One row per category rather than per status keeps a province's year to
    some 40,000 rows, which the dashboard sums in one pass."""

    branch = models.ForeignKey(
        Branch, on_delete=models.CASCADE, related_name="pledge_tallies", editable=False
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    category = models.CharField(_("类别"), max_length=32, choices=NeedCategory.choices)
    draft = models.PositiveIntegerField(PledgeStatus.DRAFT.label, default=0)
    submitted = models.PositiveIntegerField(PledgeStatus.SUBMITTED.label, default=0)
    returned = models.PositiveIntegerField(PledgeStatus.RETURNED.label, default=0)
    approved = models.PositiveIntegerField(PledgeStatus.APPROVED.label, default=0)
    published = models.PositiveIntegerField(PledgeStatus.PUBLISHED.label, default=0)
    in_progress = models.PositiveIntegerField(PledgeStatus.IN_PROGRESS.label, default=0)
    completed = models.PositiveIntegerField(PledgeStatus.COMPLETED.label, default=0)
    verified = models.PositiveIntegerField(PledgeStatus.VERIFIED.label, default=0)
    evaluated = models.PositiveIntegerField(PledgeStatus.EVALUATED.label, default=0)
    withdrawn = models.PositiveIntegerField(PledgeStatus.WITHDRAWN.label, default=0)
    due_q1 = models.PositiveIntegerField(default=0)
    due_q2 = models.PositiveIntegerField(default=0)
    due_q3 = models.PositiveIntegerField(default=0)
    due_q4 = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("承诺计数")
        verbose_name_plural = _("承诺计数")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "branch", "category"], name="tally_one_per_key"
            ),
        ]

    def __str__(self):
        return f"{self.branch_id}/{self.year}/{self.category}"


# Each status's column on PledgeTally: named as the status (a test holds them equal).
STATUS_COLUMNS = tuple(status.value for status in PledgeStatus)


class BranchYearFigures(models.Model):
    """A branch's figures of one year that do not change with the day: its counted pledges
    and the done ones (LIVE), its members on the roll who pledged and the covered ones,
    and the pledges it owns completed in each quarter of the year."""

    branch = models.ForeignKey(
        Branch, on_delete=models.CASCADE, related_name="year_figures", editable=False
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    pledges_total = models.PositiveIntegerField(default=0)
    pledges_done = models.PositiveIntegerField(default=0)
    pledged_members = models.PositiveIntegerField(default=0)
    covered_members = models.PositiveIntegerField(default=0)
    completed_q1 = models.PositiveIntegerField(default=0)
    completed_q2 = models.PositiveIntegerField(default=0)
    completed_q3 = models.PositiveIntegerField(default=0)
    completed_q4 = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("党支部年度计数")
        verbose_name_plural = _("党支部年度计数")
        constraints = [
            models.UniqueConstraint(fields=["year", "branch"], name="branch_year_figures_once"),
        ]

    def __str__(self):
        return f"{self.branch_id}/{self.year}"
