"""Forms of the needs list (研诺)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from branches.models import Branch
from pledges.enums import NeedCategory, NeedSource, NeedStatus
from pledges.models import Need
from pledges.selectors import URGENCY_RANK


class NeedForm(forms.ModelForm):
    """A need as the secretary writes it down; the village defaults to the branch's."""

    class Meta:
        model = Need
        fields = ["description", "category", "urgency", "source", "raised_by", "village"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"village": _("留空则为本支部所在的村。")}

    def __init__(self, *args, branch: Branch, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].initial = branch.village
        self.fields["village"].required = False
        self.fields["category"].choices = [("", _("请选择类别")), *NeedCategory.choices]
        self.fields["source"].choices = [("", _("请选择来源")), *NeedSource.choices]


class NeedChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, need):
        first_line = need.description.splitlines()[0][:60]
        origin = need.raised_by or need.get_source_display()
        return f"{first_line}（{need.get_status_display()} · {origin}）"


class NeedMergeForm(forms.Form):
    """Two lines of the branch's list that say the same thing: the one kept, the duplicate."""

    keep = NeedChoiceField(
        label=_("保留的需求"),
        queryset=Need.objects.none(),
        help_text=_("合并后保留这条需求的内容。"),
    )
    duplicate = NeedChoiceField(
        label=_("重复的需求"),
        queryset=Need.objects.none(),
        help_text=_("它的提出人和来源并入保留的需求，认领它的承诺改为认领保留的需求。"),
    )

    def __init__(self, *args, branch: Branch, **kwargs):
        super().__init__(*args, **kwargs)
        live = Need.objects.filter(
            branch=branch, status__in=[NeedStatus.OPEN, NeedStatus.CLAIMED]
        ).order_by(URGENCY_RANK, "-created_at", "-pk")
        self.fields["keep"].queryset = live
        self.fields["duplicate"].queryset = live

    def clean(self):
        cleaned = super().clean()
        keep, duplicate = cleaned.get("keep"), cleaned.get("duplicate")
        if keep and duplicate and keep.pk == duplicate.pk:
            self.add_error("duplicate", _("请选择与保留的需求不同的另一条需求。"))
        return cleaned
