from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from reviews.models import MonthlyReport


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
