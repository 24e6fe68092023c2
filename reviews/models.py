from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import ExtractDay
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.models import Branch, Committee, Member
from reviews.enums import NoticeStatus, ReviewRating


class MonthlyReport(models.Model):
    """主题党日汇报: what one member reported at the month's theme party day."""

    member = models.ForeignKey(
        Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="monthly_reports"
    )
    month = models.DateField(_("月份"), help_text=_("该月的第一天。"))
    service_done = models.TextField(_("开展服务情况"), blank=True)
    problems = models.TextField(_("存在问题"), blank=True)
    next_steps = models.TextField(_("下步打算"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.PROTECT,
        related_name="monthly_reports",
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("主题党日汇报")
        verbose_name_plural = _("主题党日汇报")
        ordering = ["-month", "member"]
        indexes = [models.Index(fields=["month", "member"], name="monthly_report_month")]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "month"],
                name="monthly_report_one_per_month",
                violation_error_message=_("该党员本月已有汇报记录。"),
            ),
            models.CheckConstraint(
                condition=Exact(ExtractDay("month"), 1),
                name="monthly_report_month_first_day",
                violation_error_message=_("月份须记为该月第一天。"),
            ),
        ]

    def __str__(self):
        return f"{self.member} {self.month:%Y-%m}"


QUARTERS = [(1, _("第一季度")), (2, _("第二季度")), (3, _("第三季度")), (4, _("第四季度"))]


class QuarterlyBriefing(models.Model):
    """季度党支部讲评, the branch's side: how its pledges stand, told to its members, and
    what the members said."""

    branch = models.ForeignKey(
        Branch, verbose_name=_("党支部"), on_delete=models.PROTECT, related_name="briefings"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"), choices=QUARTERS)
    summary = models.TextField(_("向党员通报的承诺完成情况"))
    member_comments = models.TextField(_("党员讲评意见"), blank=True)
    held_on = models.DateField(_("讲评日期"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("支部季度讲评")
        verbose_name_plural = _("支部季度讲评")
        ordering = ["-year", "-quarter", "branch"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "year", "quarter"], name="briefing_one_per_quarter"
            ),
        ]

    def __str__(self):
        return f"{self.branch} {self.year}Q{self.quarter}"


class QuarterlyReview(models.Model):
    """季度讲评, the upper side: committee staff rate one branch pledge for a quarter.

    Append-only once the quarter is signed off: a correction is a new row whose
    `corrects` points at the row it replaces; the newest row of a chain counts.
    """

    pledge = models.ForeignKey(
        "pledges.Pledge",
        verbose_name=_("承诺"),
        on_delete=models.PROTECT,
        related_name="quarterly_reviews",
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"), choices=QUARTERS)
    rating = models.CharField(_("讲评等次"), max_length=16, choices=ReviewRating.choices)
    on_schedule = models.BooleanField(_("按时间节点推进"))
    comment = models.TextField(_("讲评意见"), blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("讲评人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    corrects = models.OneToOneField(
        "self",
        verbose_name=_("更正的记录"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrected_by",
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("季度讲评")
        verbose_name_plural = _("季度讲评")
        ordering = ["-year", "-quarter", "pledge", "created_at"]
        constraints = [
            # One original review per pledge and quarter; corrections hang off it.
            models.UniqueConstraint(
                fields=["pledge", "year", "quarter"],
                condition=Q(corrects__isnull=True),
                name="quarterly_review_one_per_quarter",
            ),
        ]

    def __str__(self):
        return f"{self.pledge_id} {self.year}Q{self.quarter} {self.get_rating_display()}"


class QuarterSignOff(models.Model):
    """A committee closes a quarter's reviews: from then on they change only by correction."""

    committee = models.ForeignKey(
        Committee, verbose_name=_("党委"), on_delete=models.PROTECT, related_name="sign_offs"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"), choices=QUARTERS)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签署人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("签署时间"), default=timezone.now)

    class Meta:
        verbose_name = _("季度讲评签署")
        verbose_name_plural = _("季度讲评签署")
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "year", "quarter"], name="sign_off_one_per_quarter"
            ),
        ]

    def __str__(self):
        return f"{self.committee} {self.year}Q{self.quarter}"


class HalfYearNotice(models.Model):
    """半年党委销号制: the committee's notice (通报) naming slow branches, generated from the
    data, edited, then published on the public site."""

    committee = models.ForeignKey(
        Committee, verbose_name=_("党委"), on_delete=models.PROTECT, related_name="notices"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("通报内容"))
    generated_body = models.TextField(_("系统生成的初稿"), editable=False)
    status = models.CharField(
        _("状态"), max_length=16, choices=NoticeStatus.choices, default=NoticeStatus.DRAFT
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("起草人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("半年销号通报")
        verbose_name_plural = _("半年销号通报")
        ordering = ["-year", "committee"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "year"], name="notice_one_per_year"),
        ]

    def __str__(self):
        return self.title


class YearEndEvaluation(models.Model):
    """年终逐村评议 of one pledge: the organisation's rating (the branch's for a member's
    pledge, the upper committee's for a branch's) combined with the served villagers'
    feedback into a result. Corrections are new rows pointing at what they correct."""

    pledge = models.ForeignKey(
        "pledges.Pledge",
        verbose_name=_("承诺"),
        on_delete=models.PROTECT,
        related_name="evaluations",
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    organisation_rating = models.CharField(
        _("组织评议"), max_length=16, choices=ReviewRating.choices
    )
    feedback_score = models.DecimalField(
        _("群众评议得分"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("0–100；无群众评议时为空。"),
    )
    result_score = models.DecimalField(_("综合得分"), max_digits=5, decimal_places=2)
    result = models.CharField(_("评议结果"), max_length=16, choices=ReviewRating.choices)
    comment = models.TextField(_("评议意见"), blank=True)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评议人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    corrects = models.OneToOneField(
        "self",
        verbose_name=_("更正的记录"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrected_by",
    )
    is_published = models.BooleanField(_("已公示"), default=False)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("年终评议")
        verbose_name_plural = _("年终评议")
        ordering = ["-year", "pledge", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["pledge", "year"],
                condition=Q(corrects__isnull=True),
                name="evaluation_one_per_year",
            ),
        ]

    def __str__(self):
        return f"{self.pledge_id} {self.year} {self.get_result_display()}"


class PointsEntry(models.Model):
    """One line of a member's yearly points ledger (党员积分), with why it was given."""

    member = models.ForeignKey(
        Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="points"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    points = models.SmallIntegerField(_("分值"))
    reason = models.CharField(_("原因"), max_length=200)
    pledge = models.ForeignKey(
        "pledges.Pledge",
        verbose_name=_("承诺"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="points_entries",
    )
    # The ledger is append-only: a pledge whose points change after the year's results
    # were published (verified and evaluated late, say) gets a correction entry for the
    # difference, pointing at the pledge's entry it corrects (none if it had none).
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("更正的记录"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("党员积分")
        verbose_name_plural = _("党员积分")
        ordering = ["-year", "member", "created_at"]
        indexes = [models.Index(fields=["year", "member"], name="points_year_member")]

    def __str__(self):
        return f"{self.member} {self.year} {self.points:+d}"


class BranchGrade(models.Model):
    """支部分类定级 for a year, with its reasons."""

    branch = models.ForeignKey(
        Branch, verbose_name=_("党支部"), on_delete=models.PROTECT, related_name="grades"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    grade = models.CharField(_("等次"), max_length=16, choices=ReviewRating.choices)
    reasons = models.TextField(_("定级依据"))
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("定级人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("支部分类定级")
        verbose_name_plural = _("支部分类定级")
        ordering = ["-year", "branch"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "year"], name="grade_one_per_year"),
        ]

    def __str__(self):
        return f"{self.branch} {self.year} {self.get_grade_display()}"


# Registered with the app here; kept apart, as they hold counts, not records.
from reviews.stored_figures import YearEndFigures  # noqa: E402, F401
