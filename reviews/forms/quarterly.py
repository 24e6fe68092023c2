"""Forms of the quarterly review and the half-year notice."""

from django import forms
from django.utils.translation import gettext_lazy as _

from reviews.enums import ReviewRating
from reviews.models import HalfYearNotice, QuarterlyBriefing

TEXT_MAX_LENGTH = 4000


class BriefingForm(forms.ModelForm):
    class Meta:
        model = QuarterlyBriefing
        fields = ["summary", "member_comments", "held_on"]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4, "maxlength": TEXT_MAX_LENGTH}),
            "member_comments": forms.Textarea(attrs={"rows": 4, "maxlength": TEXT_MAX_LENGTH}),
            "held_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        error_messages = {
            "summary": {"required": _("请填写向党员通报的承诺完成情况。")},
            "held_on": {"required": _("请填写讲评日期。"), "invalid": _("请输入正确的日期。")},
        }

    def validate_unique(self):
        """One briefing per branch and quarter is the service's concern (it updates)."""


ON_SCHEDULE_CHOICES = [("yes", _("是")), ("no", _("否"))]


class QuarterlyReviewForm(forms.Form):
    rating = forms.ChoiceField(
        label=_("讲评等次"),
        choices=ReviewRating.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择讲评等次。")},
    )
    on_schedule = forms.TypedChoiceField(
        label=_("按时间节点推进"),
        choices=ON_SCHEDULE_CHOICES,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择是否按时间节点推进。")},
    )
    comment = forms.CharField(
        label=_("讲评意见"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    @classmethod
    def initial_for(cls, review) -> dict:
        if review is None:
            return {}
        return {
            "rating": review.rating,
            "on_schedule": "yes" if review.on_schedule else "no",
            "comment": review.comment,
        }


class NoticeForm(forms.ModelForm):
    class Meta:
        model = HalfYearNotice
        fields = ["title", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 16})}
        error_messages = {
            "title": {"required": _("请填写标题。")},
            "body": {"required": _("请填写通报内容。")},
        }
