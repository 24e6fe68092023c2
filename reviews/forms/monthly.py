from django import forms
from django.utils.translation import gettext_lazy as _

from branches.models import Member

# The three things each member reports at the theme party day.
REPORT_FIELDS = ("service_done", "problems", "next_steps")
REPORT_TEXT_MAX_LENGTH = 2000


def _report_text(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=REPORT_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MonthlyReportForm(forms.Form):
    """One member's report of the month, the member named by the page (逐人填写)."""

    service_done = _report_text(_("服务情况"))
    problems = _report_text(_("存在问题"))
    next_steps = _report_text(_("下步打算"))


class MonthlyReportEntryForm(MonthlyReportForm):
    """One member's lines of the monthly sheet; the member is named by a hidden id."""

    member_id = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, members: dict[int, Member], **kwargs):
        super().__init__(*args, **kwargs)
        self.members = members

    @property
    def member(self) -> Member | None:
        """The member this row is for, as typed in the hidden field (None if unknown)."""
        try:
            return self.members.get(int(self["member_id"].value()))
        except (TypeError, ValueError):
            return None

    def clean_member_id(self):
        member_id = self.cleaned_data["member_id"]
        if member_id not in self.members:
            raise forms.ValidationError(_("该党员不是本支部的在册党员，汇报未保存。"))
        return member_id


class BaseMonthlyReportFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            member_id = form.cleaned_data.get("member_id")
            if member_id in seen:
                raise forms.ValidationError(_("同一名党员出现了两次，请刷新页面后重新填写。"))
            seen.add(member_id)


MonthlyReportFormSet = forms.formset_factory(
    MonthlyReportEntryForm, formset=BaseMonthlyReportFormSet, extra=0
)
