"""The form of 致全区党员的一封信. It parses and keeps what was typed; the limits that
matter (texts present, the body short enough for one page) are the service's, with the
Chinese messages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from pledges.forms.drafting import DATE_INPUT
from pledges.services.letters import LETTER_BODY_MAX_CHARS, LETTER_MAX_PARAGRAPHS


class MembersLetterForm(forms.Form):
    title = forms.CharField(
        label=_("标题"),
        max_length=50,
        error_messages={
            "required": _("请填写标题。"),
            "max_length": _("标题最多 %(limit_value)d 字（现在 %(show_value)d 字）。"),
        },
    )
    body = forms.CharField(
        label=_("正文"),
        strip=True,
        widget=forms.Textarea(attrs={"rows": 16}),
        error_messages={"required": _("请填写正文。")},
    )
    signature = forms.CharField(
        label=_("落款"),
        max_length=100,
        help_text=_("发信的党组织，如“中共漯河市城乡一体化示范区党工委”。"),
        error_messages={
            "required": _("请填写落款，即发信的党组织。"),
            "max_length": _("落款最多 %(limit_value)d 字（现在 %(show_value)d 字）。"),
        },
    )
    dated = forms.DateField(
        label=_("落款日期"),
        widget=forms.DateInput(attrs=DATE_INPUT, format="%Y-%m-%d"),
        error_messages={
            "required": _("请填写落款日期。"),
            "invalid": _("请按“2026-03-01”的格式填写落款日期。"),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].help_text = _(
            "一行一段，打印时每段首行缩进两字；称呼“××同志：”和二维码由系统按党员逐份加上，"
            "不必写在正文里。最多 %(chars)s 字、%(paragraphs)s 段，每封信正好印一页。"
        ) % {"chars": LETTER_BODY_MAX_CHARS, "paragraphs": LETTER_MAX_PARAGRAPHS}

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {name: data[name] for name in ("title", "body", "signature", "dated")}
