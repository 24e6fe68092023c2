from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from branches.admin import ReadOnlyAdmin
from pledges.admin import StoredFiguresAdmin
from reviews.models import (
    BranchGrade,
    HalfYearNotice,
    MonthlyReport,
    PointsEntry,
    QuarterlyBriefing,
    QuarterlyReview,
    QuarterSignOff,
    YearEndEvaluation,
)
from reviews.stored_figures import YEAREND_FIGURES, YearEndFigures


@admin.register(MonthlyReport)
class MonthlyReportAdmin(admin.ModelAdmin):
    list_display = ["member", "branch", "month", "recorded_by", "updated_at"]
    list_select_related = ["member__branch", "recorded_by"]
    list_filter = ["member__branch__committee"]
    search_fields = ["member__name", "member__branch__name", "service_done", "problems"]
    autocomplete_fields = ["member"]
    date_hierarchy = "month"
    readonly_fields = ["recorded_by", "created_at", "updated_at"]

    @admin.display(description=_("党支部"), ordering="member__branch__name")
    def branch(self, report):
        return report.member.branch

    def save_model(self, request, obj, form, change):
        if obj.recorded_by_id is None:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


class ReviewRecordAdmin(ReadOnlyAdmin):
    """Review records are written by the review pages, where the sign-off and correction
    rules hold; the back office reads them."""


@admin.register(QuarterlyBriefing)
class QuarterlyBriefingAdmin(ReviewRecordAdmin):
    list_display = ["branch", "year", "quarter", "held_on", "recorded_by"]
    list_select_related = ["branch", "recorded_by"]
    list_filter = ["year", "quarter"]
    search_fields = ["branch__name", "summary", "member_comments"]


@admin.register(QuarterlyReview)
class QuarterlyReviewAdmin(ReviewRecordAdmin):
    list_display = ["pledge", "year", "quarter", "rating", "on_schedule", "reviewer", "corrects"]
    list_select_related = ["pledge", "reviewer", "corrects"]
    list_filter = ["year", "quarter", "rating", "on_schedule"]
    search_fields = ["pledge__title", "comment"]


@admin.register(QuarterSignOff)
class QuarterSignOffAdmin(ReviewRecordAdmin):
    list_display = ["committee", "year", "quarter", "signed_by", "signed_at"]
    list_select_related = ["committee", "signed_by"]
    list_filter = ["year", "quarter"]


@admin.register(HalfYearNotice)
class HalfYearNoticeAdmin(ReviewRecordAdmin):
    list_display = ["title", "committee", "year", "status", "published_at"]
    list_select_related = ["committee"]
    list_filter = ["year", "status"]
    search_fields = ["title", "body"]


@admin.register(YearEndEvaluation)
class YearEndEvaluationAdmin(ReviewRecordAdmin):
    list_display = [
        "pledge",
        "year",
        "organisation_rating",
        "feedback_score",
        "result_score",
        "result",
        "is_published",
    ]
    list_select_related = ["pledge"]
    list_filter = ["year", "result", "is_published"]
    search_fields = ["pledge__title", "comment"]


@admin.register(PointsEntry)
class PointsEntryAdmin(ReviewRecordAdmin):
    list_display = ["member", "year", "points", "reason", "pledge"]
    list_select_related = ["member", "pledge"]
    list_filter = ["year"]
    search_fields = ["member__name", "reason"]


@admin.register(BranchGrade)
class BranchGradeAdmin(ReviewRecordAdmin):
    list_display = ["branch", "year", "grade", "graded_by"]
    list_select_related = ["branch", "graded_by"]
    list_filter = ["year", "grade"]
    search_fields = ["branch__name", "reasons"]


@admin.register(YearEndFigures)
class YearEndFiguresAdmin(StoredFiguresAdmin):
    """Counted by reviews.services.stored_figures with the pledges' stored figures."""

    list_display = ["branch", "year", *YEAREND_FIGURES]
