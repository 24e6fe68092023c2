"""The year-end rating form (年终评议)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from branches.forms.fields import LongSelect
from reviews.enums import ReviewRating

COMMENT_MAX_LENGTH = 1000


class EvaluationForm(forms.Form):
    organisation_rating = forms.ChoiceField(
        label=_("组织评议"),
        choices=[("", _("请选择")), *ReviewRating.choices],
        error_messages={
            "required": _("请选择组织评议等次。"),
            "invalid_choice": _("请选择好、较好、一般或差。"),
        },
    )
    comment = forms.CharField(
        label=_("评议意见"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": COMMENT_MAX_LENGTH}),
        error_messages={"max_length": _("评议意见不能超过 %(limit_value)d 字。")},
    )


class EvaluationRowForm(forms.Form):
    """One confirmed row of the year-end table (rows not confirmed are not read)."""

    organisation_rating = forms.ChoiceField(
        label=_("组织评议"),
        choices=ReviewRating.choices,
        error_messages={
            "required": _("请选择组织评议等次。"),
            "invalid_choice": _("请选择好、较好、一般或差。"),
        },
        # A page holds a row for each pledge: the one-pass select, not a template an option.
        widget=LongSelect,
    )
    comment = forms.CharField(
        label=_("评议意见"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": COMMENT_MAX_LENGTH}),
        error_messages={"max_length": _("评议意见不能超过 %(limit_value)d 字。")},
    )
