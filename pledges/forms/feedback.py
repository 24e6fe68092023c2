"""Forms of 服务对象评议 and of changes to a pledge after publication.

The forms parse and keep what was typed; the limits that matter (the comment's length,
the statuses, the reason) are decided by the services, which give the Chinese messages.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from pledges.enums import FeedbackRating
from pledges.services.amend import REASON_MAX_LENGTH
from pledges.services.feedback import COMMENT_MAX_LENGTH, GATHERED_AT_MAX_LENGTH

# Where recorded feedback is usually gathered: offered as suggestions, any text is taken.
GATHERED_AT_SUGGESTIONS = (_("入户走访"), _("群众会"), _("电话"), _("党员大会"), _("座谈会"))


class FeedbackForm(forms.Form):
    """A villager's online feedback. The comment is not cut by the form: an overlong one
    is refused by the service with its length, and the text is shown again to be edited."""

    rating = forms.ChoiceField(
        label=_("您对这项承诺满意吗？"),
        choices=FeedbackRating.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("请选择满意、基本满意或不满意。"),
            "invalid_choice": _("请选择满意、基本满意或不满意。"),
        },
    )
    comment = forms.CharField(
        label=_("留言（可不填）"),
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": COMMENT_MAX_LENGTH}),
    )


class FeedbackRecordForm(forms.Form):
    """Feedback the secretary gathered from a villager at a visit, a meeting or by phone."""

    rating = forms.ChoiceField(
        label=_("群众评价"),
        choices=FeedbackRating.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择满意、基本满意或不满意。")},
    )
    comment = forms.CharField(
        label=_("群众意见（可不填）"),
        required=False,
        help_text=_("按群众原意记录，不写姓名、电话等个人信息。留言经审核后才会公开。"),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": COMMENT_MAX_LENGTH}),
    )
    gathered_at = forms.CharField(
        label=_("收集场合"),
        max_length=GATHERED_AT_MAX_LENGTH,
        help_text=_("如入户走访、群众会、电话。"),
        widget=forms.TextInput(attrs={"list": "gathered-at-suggestions"}),
        error_messages={"required": _("请填写在什么场合收集的，如入户走访、群众会、电话。")},
    )

    suggestions = GATHERED_AT_SUGGESTIONS


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class AmendForm(forms.Form):
    """The public wording of a pledge and its due date, changed with a reason."""

    title = forms.CharField(
        label=_("承诺事项"),
        max_length=200,
        error_messages={"required": _("请填写承诺事项。")},
    )
    content = forms.CharField(
        label=_("具体内容"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    beneficiaries = forms.CharField(label=_("服务对象"), max_length=200, required=False)
    due_date = forms.DateField(
        label=_("完成时限"),
        widget=DateInput(),
        error_messages={"required": _("请填写完成时限。"), "invalid": _("请填写正确的日期。")},
    )
    reason = forms.CharField(
        label=_("修改原因"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("修改原因会和修改前后的内容一起在公示页面上显示。"),
        error_messages={"required": _("请填写修改原因，它会和修改内容一起公示。")},
    )

    def changes(self) -> dict:
        """The new values, as pledges.services.amend.pledge_amend takes them."""
        data = self.cleaned_data
        return {name: data[name] for name in ("title", "content", "beneficiaries", "due_date")}
