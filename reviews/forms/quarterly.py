"""Forms of the quarterly review and the half-year notice."""

from django import forms
from django.utils.translation import gettext_lazy as _

from branches.forms.fields import LongSelect
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


class QuarterlyRowForm(forms.Form):
    """One row of the quarterly table: a compact rating, on schedule or not, and a
    comment kept folded until needed. A row left without a rating is not saved."""

    rating = forms.ChoiceField(
        label=_("讲评等次"),
        required=False,
        choices=[("", _("未讲评")), *ReviewRating.choices],
        error_messages={"invalid_choice": _("请选择好、较好、一般或差。")},
        # A page holds a row for each pledge: the one-pass select, not a template an option.
        widget=LongSelect,
    )
    on_schedule = forms.BooleanField(label=_("按节点推进"), required=False)
    comment = forms.CharField(
        label=_("讲评意见"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": TEXT_MAX_LENGTH}),
    )

    @classmethod
    def initial_for(cls, review, *, on_schedule: bool) -> dict:
        """The saved review's values, or a blank rating and `on_schedule` as guessed."""
        if review is None:
            return {"on_schedule": on_schedule}
        return {
            "rating": review.rating,
            "on_schedule": review.on_schedule,
            "comment": review.comment,
        }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("comment", "").strip() and not cleaned.get("rating"):
            self.add_error("rating", _("填写了讲评意见，请选择讲评等次。"))
        return cleaned


class NoticeForm(forms.ModelForm):
    class Meta:
        model = HalfYearNotice
        fields = ["title", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 16})}
        error_messages = {
            "title": {"required": _("请填写标题。")},
            "body": {"required": _("请填写通报内容。")},
        }


class ScopeFilterForm(forms.Form):
    """Narrow a staff table to one committee, one branch and (where offered) one status.

    The choices are what the person may see, so nothing out of reach is named; a choice
    out of the list is ignored by the page (the form is then invalid and filters nothing).
    """

    # A province has hundreds of committees and thousands of branches.
    committee = forms.TypedChoiceField(
        label=_("党委"), coerce=int, required=False, widget=LongSelect
    )
    branch = forms.TypedChoiceField(
        label=_("党支部"), coerce=int, required=False, widget=LongSelect
    )
    status = forms.ChoiceField(label=_("状态"), required=False)

    def __init__(self, *args, committees=(), branches=(), statuses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].choices = [("", _("全部党委")), *committees]
        self.fields["branch"].choices = [("", _("全部党支部")), *branches]
        if statuses:
            self.fields["status"].choices = [("", _("全部")), *statuses]
        else:
            del self.fields["status"]

    def narrow(self, queryset, *, branch_field: str = "owner_branch", status_filters=None):
        """The queryset narrowed by the valid choices; `status_filters` maps a status
        choice to a Q (default: the pledge status itself)."""
        if not self.is_bound or not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data.get("committee"):
            queryset = queryset.filter(**{f"{branch_field}__committee_id": data["committee"]})
        if data.get("branch"):
            queryset = queryset.filter(**{f"{branch_field}_id": data["branch"]})
        if data.get("status"):
            if status_filters is not None:
                queryset = queryset.filter(status_filters[data["status"]])
            else:
                queryset = queryset.filter(status=data["status"])
        return queryset
