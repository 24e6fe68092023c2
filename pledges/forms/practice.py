"""Forms of the pledge page, approval, 示诺 and 践诺."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.forms.fields import LongSelect, ModelIdsField
from pledges.enums import TimeNodeOutcome
from pledges.models import Pledge


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class MultiplePhotoInput(forms.ClearableFileInput):
    """A file input that lets a phone pick several photos at once."""

    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several uploaded files, cleaned one by one into a list (possibly empty).

    Only presence is checked here; what a photo must be is decided by
    pledges.photos when the record is saved.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            # No `capture` attribute: phones offer the camera for image/* anyway, and
            # `capture` would hide the album, where photos taken during the work are.
            MultiplePhotoInput(attrs={"accept": "image/*"}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single_clean = super().clean
        if isinstance(data, list | tuple):
            return [single_clean(item, initial) for item in data if item]
        return [single_clean(data, initial)] if data else []


class ReasonForm(forms.Form):
    """The reason of a move that needs one (退回修改, 撤销)."""

    reason = forms.CharField(
        label=_("原因"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写原因。")},
    )


class ProgressForm(forms.Form):
    """One record of 践诺: when, what was done, and photos."""

    happened_on = forms.DateField(
        label=_("日期"),
        widget=DateInput(),
        error_messages={"required": _("请填写日期。"), "invalid": _("请填写正确的日期。")},
    )
    description = forms.CharField(
        label=_("推进情况"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("做了什么，如：组织党员为村东生产路树木浇水，共浇水 120 棵。"),
        error_messages={"required": _("请填写推进情况。")},
    )
    photos = MultiplePhotoField(
        label=_("照片"),
        required=False,
        help_text=_(
            "可多选，手机上可直接拍照。JPEG、PNG 或 WebP，每张不超过 10 MB，最多 10 张。"
            "照片中的位置等信息会被去除。"
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["happened_on"].initial = today
        self.fields["happened_on"].widget.attrs["max"] = today.isoformat()


class TimeNodeCloseForm(forms.Form):
    """How one open time node is closed: done on a date, or no longer needed and why."""

    outcome = forms.ChoiceField(
        label=_("节点结果"),
        choices=TimeNodeOutcome.choices,
        initial=TimeNodeOutcome.DONE,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("请选择已完成还是不再需要。"),
            "invalid_choice": _("请选择已完成还是不再需要。"),
        },
    )
    done_on = forms.DateField(
        label=_("完成日期"),
        required=False,
        widget=DateInput(),
        help_text=_("已完成的填写完成日期。"),
        error_messages={"invalid": _("请填写正确的日期。")},
    )
    reason = forms.CharField(
        label=_("不再需要的原因"),
        required=False,
        max_length=200,
        help_text=_("不再需要的写明原因，会在公示页上显示。"),
        error_messages={"max_length": _("原因最多 %(limit_value)d 个字。")},
    )

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        today = today or timezone.localdate()
        self.fields["done_on"].initial = today
        self.fields["done_on"].widget.attrs["max"] = today.isoformat()

    def clean(self):
        cleaned = super().clean()
        outcome = cleaned.get("outcome")
        if outcome == TimeNodeOutcome.DONE:
            if not cleaned.get("done_on") and "done_on" not in self.errors:
                self.add_error("done_on", _("请填写完成日期。"))
            cleaned["reason"] = ""
        elif outcome == TimeNodeOutcome.NOT_NEEDED:
            cleaned["reason"] = (cleaned.get("reason") or "").strip()
            if not cleaned["reason"] and "reason" not in self.errors:
                self.add_error("reason", _("请填写该时间节点不再需要的原因。"))
            cleaned["done_on"] = None
        return cleaned


class ApprovalFilterForm(forms.Form):
    """Narrow the approval queue to one committee or one branch; the choices are the
    committees and branches that have pledges waiting, so nothing out of reach shows."""

    # A province has hundreds of committees and thousands of branches (LongSelect).
    committee = forms.TypedChoiceField(
        label=_("党委"), coerce=int, required=False, widget=LongSelect
    )
    branch = forms.TypedChoiceField(
        label=_("党支部"), coerce=int, required=False, widget=LongSelect
    )

    def __init__(self, *args, committees=(), branches=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].choices = [("", _("全部党委")), *committees]
        self.fields["branch"].choices = [("", _("全部党支部")), *branches]


class PublishForm(forms.Form):
    """The pledges of one branch chosen for publishing together."""

    pledges = ModelIdsField(
        label=_("要公示的承诺"),
        queryset=Pledge.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("请至少选择一项承诺。"),
            "invalid_choice": _("所选承诺不属于本支部：%(value)s。"),
            "invalid_pk_value": _("“%(pk)s”不是有效的承诺编号。"),
        },
    )

    def __init__(self, *args, branch, **kwargs):
        super().__init__(*args, **kwargs)
        # Any pledge of the branch may be chosen; one no longer approved is refused by
        # the workflow with its title, a pledge of another branch by this field.
        self.fields["pledges"].queryset = Pledge.objects.filter(owner_branch=branch).select_related(
            "owner_branch__committee"
        )
