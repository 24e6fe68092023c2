import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.enums import ExemptionReason
from branches.models import Member

# Digits, spaces, '-' and '+', 7 to 20 characters: landlines, mobiles, "+86 139-…".
PHONE_PATTERN = re.compile(r"^[0-9 +\-]{7,20}$")
EARLIEST_BIRTH_YEAR = 1900
# A member joins the party at eighteen at the earliest.
JOINING_AGE = 18
PHONE_MESSAGE = _("联系电话只能包含数字、空格、“-”和“+”，长度 7 到 20 位。")


class MemberForm(forms.ModelForm):
    """A member's own data; exemption and the active flag have their own actions."""

    class Meta:
        model = Member
        fields = ["name", "gender", "birth_year", "joined_on", "phone"]
        widgets = {
            "joined_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "birth_year": forms.NumberInput(attrs={"inputmode": "numeric"}),
        }
        error_messages = {
            "name": {"required": _("请填写姓名。")},
            "gender": {"required": _("请选择性别。")},
            "phone": {"max_length": PHONE_MESSAGE},
        }

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("请填写姓名。"))
        return name

    def clean_birth_year(self):
        year = self.cleaned_data.get("birth_year")
        this_year = timezone.localdate().year
        if year is not None and not EARLIEST_BIRTH_YEAR <= year <= this_year:
            raise forms.ValidationError(
                _("出生年份须在 %(first)s 年到 %(last)s 年之间。"),
                params={"first": EARLIEST_BIRTH_YEAR, "last": this_year},
            )
        return year

    def clean_joined_on(self):
        joined_on = self.cleaned_data.get("joined_on")
        if joined_on and joined_on > timezone.localdate():
            raise forms.ValidationError(_("入党日期不能晚于今天。"))
        return joined_on

    def clean_phone(self):
        phone = self.cleaned_data.get("phone", "").strip()
        if phone and (not PHONE_PATTERN.match(phone) or not any(c.isdigit() for c in phone)):
            raise forms.ValidationError(PHONE_MESSAGE)
        return phone

    def clean(self):
        cleaned = super().clean()
        birth_year = cleaned.get("birth_year")
        joined_on = cleaned.get("joined_on")
        if birth_year and joined_on and joined_on.year < birth_year + JOINING_AGE:
            self.add_error(
                "joined_on",
                forms.ValidationError(
                    _("入党时须年满 %(age)s 周岁：入党日期不能早于 %(year)s 年。"),
                    params={"age": JOINING_AGE, "year": birth_year + JOINING_AGE},
                ),
            )
        return cleaned


class ExemptionForm(forms.Form):
    """Mark a member exempt from pledging (with a reason), or lift the exemption."""

    is_exempt = forms.BooleanField(label=_("免于承诺"), required=False)
    exemption_reason = forms.ChoiceField(
        label=_("免于承诺原因"),
        choices=[("", _("请选择")), *ExemptionReason.choices],
        required=False,
    )
    exemption_note = forms.CharField(
        label=_("说明"),
        max_length=200,
        required=False,
        help_text=_("如“年过八旬，行动不便”。"),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("is_exempt"):
            if not cleaned.get("exemption_reason"):
                # Caught here before the database constraint member_exemption_has_reason.
                self.add_error("exemption_reason", _("免于承诺须选择原因。"))
        else:
            cleaned["exemption_reason"] = ""
            cleaned["exemption_note"] = ""
        return cleaned


def add_service_error(form: forms.BaseForm, error) -> None:
    """Show a refusal from a service on the form: beside its field when the form has that
    field, at the top otherwise."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        messages = getattr(error, "messages", None) or [getattr(error, "message", str(error))]
        form.add_error(None, [str(message) for message in messages])
