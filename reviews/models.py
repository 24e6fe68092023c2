from django.conf import settings
from django.db import models
from django.db.models.functions import ExtractDay
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from branches.models import Member


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
